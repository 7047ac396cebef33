#include "api/social_rules.hpp"

#include <algorithm>
#include <cctype>

namespace herald::api {

namespace {

bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string post_link(store::PostId post) { return "/posts/" + std::to_string(raw(post)); }

store::NotificationContent content(std::string type, std::string title, std::string message,
                                   std::string data_json, std::string link) {
  return store::NotificationContent{std::move(type), std::move(title), std::move(message),
                                    std::move(data_json), std::move(link)};
}

}  // namespace

std::vector<std::string> mentioned_names(std::string_view text) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < text.size() && names.size() < kMaxMentions; ++i) {
    if (text[i] != '@' || (i > 0 && name_char(text[i - 1]))) continue;
    std::size_t end = i + 1;
    while (end < text.size() && name_char(text[end])) ++end;
    const std::size_t length = end - i - 1;
    if (length >= 3 && length <= 32) {
      std::string name(text.substr(i + 1, length));
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
    }
    i = end - 1;
  }
  return names;
}

store::NotificationContent new_follower(const Actor& follower) {
  const std::string id = std::to_string(raw(follower.id));
  return content("new_follower", "New follower", follower.name + " followed you",
                 R"({"follower_id":)" + id + "}", "/users/" + id);
}

store::NotificationContent new_like(const Actor& liker, store::PostId post) {
  return content("new_like", "New like", liker.name + " liked your post",
                 R"({"post_id":)" + std::to_string(raw(post)) + R"(,"liker_id":)" +
                     std::to_string(raw(liker.id)) + "}",
                 post_link(post));
}

store::NotificationContent new_comment(const Actor& commenter, store::PostId post, store::CommentId comment) {
  return content("new_comment", "New comment", commenter.name + " commented on your post",
                 R"({"post_id":)" + std::to_string(raw(post)) + R"(,"comment_id":)" +
                     std::to_string(raw(comment)) + R"(,"commenter_id":)" +
                     std::to_string(raw(commenter.id)) + "}",
                 post_link(post));
}

store::NotificationContent comment_reply(const Actor& replier, store::PostId post, store::CommentId comment,
                                         store::CommentId parent) {
  return content("comment_reply", "New reply", replier.name + " replied to your comment",
                 R"({"post_id":)" + std::to_string(raw(post)) + R"(,"comment_id":)" +
                     std::to_string(raw(comment)) + R"(,"parent_id":)" + std::to_string(raw(parent)) +
                     R"(,"replier_id":)" + std::to_string(raw(replier.id)) + "}",
                 post_link(post));
}

store::NotificationContent mention(const Actor& mentioner, store::PostId post,
                                   std::optional<store::CommentId> comment) {
  std::string data = R"({"post_id":)" + std::to_string(raw(post));
  if (comment) data += R"(,"comment_id":)" + std::to_string(raw(*comment));
  data += R"(,"mentioner_id":)" + std::to_string(raw(mentioner.id)) + "}";
  return content("mention", "New mention",
                 mentioner.name + (comment ? " mentioned you in a comment" : " mentioned you in a post"),
                 std::move(data), post_link(post));
}

void Recipients::add(UserId user, store::NotificationContent content) {
  if (user == actor_) return;
  for (const auto& p : planned_) {
    if (p.user == user) return;
  }
  planned_.push_back({user, std::move(content)});
}

}  // namespace herald::api
