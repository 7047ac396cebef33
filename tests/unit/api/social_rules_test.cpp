// The notification rules of social actions (api/social_rules.hpp).
#include "api/social_rules.hpp"

#include <gtest/gtest.h>

using namespace herald;
using namespace herald::api;

TEST(SocialRules, MentionsFollowTheNameRule) {
  EXPECT_EQ(mentioned_names("hi @Alice and @alice, @bob_1!"), (std::vector<std::string>{"alice", "bob_1"}));
  EXPECT_TRUE(mentioned_names("mail a@bob.com, @ab, @").empty());  // after a name char; too short
  EXPECT_TRUE(mentioned_names("@" + std::string(33, 'x')).empty());   // too long
  EXPECT_EQ(mentioned_names("(@carol)"), (std::vector<std::string>{"carol"}));
  std::string many;
  for (int i = 0; i < 30; ++i) many += " @user" + std::to_string(100 + i);
  EXPECT_EQ(mentioned_names(many).size(), kMaxMentions);
}

TEST(SocialRules, OneNotificationPerUserAndNoneToTheActor) {
  const Actor actor{UserId{1}, "alice"};
  Recipients r(actor.id);
  r.add(UserId{2}, new_comment(actor, store::PostId{9}, store::CommentId{3}));
  r.add(UserId{2}, mention(actor, store::PostId{9}, store::CommentId{3}));
  r.add(UserId{1}, mention(actor, store::PostId{9}, store::CommentId{3}));
  r.add(UserId{4}, mention(actor, store::PostId{9}, std::nullopt));
  ASSERT_EQ(r.planned().size(), 2u);
  EXPECT_EQ(r.planned()[0].content.type, "new_comment");
  EXPECT_EQ(r.planned()[1].content.data_json, R"({"post_id":9,"mentioner_id":1})");
}

TEST(SocialRules, ContentCarriesTheIdsAClientNeeds) {
  const Actor actor{UserId{456}, "John"};
  auto f = new_follower(actor);
  EXPECT_EQ(f.type, "new_follower");
  EXPECT_EQ(f.message, "John followed you");
  EXPECT_EQ(f.data_json, R"({"follower_id":456})");
  EXPECT_EQ(f.link, std::optional<std::string>("/users/456"));
  auto reply = comment_reply(actor, store::PostId{9}, store::CommentId{12}, store::CommentId{11});
  EXPECT_EQ(reply.data_json, R"({"post_id":9,"comment_id":12,"parent_id":11,"replier_id":456})");
  EXPECT_EQ(new_like(actor, store::PostId{9}).data_json, R"({"post_id":9,"liker_id":456})");
}
