#pragma once
// Who a social action notifies, and what the notification says
// (PROTOCOL.md 6.3; the seed's five types). Pure: no storage, no I/O, so
// the rules are unit-tested alone and a write job applies them in the same
// transaction as the action.
//
// The rules:
// - Nobody is notified of their own action.
// - One action notifies a user once: recipients are taken in priority
//   order (new_comment to the post's author, then comment_reply to the
//   parent comment's author, then mentions in order of appearance) and a
//   user already notified is skipped, so a post author who is also
//   mentioned gets new_comment only.
// - `@name` mentions: a name is 3..32 of [A-Za-z0-9_] (the registration
//   rule) after `@` at the start or after a character that is not a name
//   character (so `a@b.com` mentions nobody); matched case-insensitively
//   against registered accounts by the caller; at most kMaxMentions
//   distinct names per text, the rest ignored.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

namespace herald::api {

inline constexpr std::size_t kMaxMentions = 20;

struct Actor {
  UserId id{};
  std::string name;  // shown in the messages: "alice followed you"
};

// Distinct mentioned names, lower-cased, in order of first appearance.
std::vector<std::string> mentioned_names(std::string_view text);

store::NotificationContent new_follower(const Actor& follower);
store::NotificationContent new_like(const Actor& liker, store::PostId post);
store::NotificationContent new_comment(const Actor& commenter, store::PostId post, store::CommentId comment);
store::NotificationContent comment_reply(const Actor& replier, store::PostId post, store::CommentId comment,
                                         store::CommentId parent);
// `comment` is empty for a mention in a post.
store::NotificationContent mention(const Actor& mentioner, store::PostId post,
                                   std::optional<store::CommentId> comment);

// The notifications of one action, each recipient at most once, never the actor.
class Recipients {
 public:
  explicit Recipients(UserId actor) : actor_(actor) {}
  void add(UserId user, store::NotificationContent content);
  struct Planned {
    UserId user{};
    store::NotificationContent content;
  };
  const std::vector<Planned>& planned() const { return planned_; }

 private:
  UserId actor_;
  std::vector<Planned> planned_;
};

}  // namespace herald::api
