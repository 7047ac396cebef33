#pragma once
// Who may subscribe to `presence:<id>` (PROTOCOL.md 4, `subscribe`): the
// prefix is reserved. With audience `all` anyone may (every online user
// hears every status anyway); with `followers`, only that user's followers
// and the user themselves. Otherwise FORBIDDEN: a subscription must not
// widen the audience the operator chose.
#include <charconv>
#include <string_view>

#include "realtime/follow_graph.hpp"
#include "realtime/presence_flow.hpp"

namespace herald::realtime {

class PresenceAccess {
 public:
  enum class Verdict { not_presence, allowed, forbidden, malformed };
  static constexpr std::string_view kPrefix = "presence:";

  PresenceAccess(PresenceAudience audience, const FollowGraph& follows)
      : audience_(audience), follows_(follows) {}

  Verdict check(UserId subscriber, std::string_view context) const {
    if (!context.starts_with(kPrefix)) return Verdict::not_presence;
    std::string_view id = context.substr(kPrefix.size());
    std::int64_t subject = 0;
    auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), subject);
    if (id.empty() || ec != std::errc() || end != id.data() + id.size() || subject <= 0 ||
        id.front() == '0') {
      return Verdict::malformed;
    }
    if (audience_ == PresenceAudience::all || UserId{subject} == subscriber ||
        follows_.follows(subscriber, UserId{subject})) {
      return Verdict::allowed;
    }
    return Verdict::forbidden;
  }

 private:
  PresenceAudience audience_;
  const FollowGraph& follows_;
};

}  // namespace herald::realtime
