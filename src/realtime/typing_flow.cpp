#include "realtime/typing_flow.hpp"

#include <algorithm>
#include <string>

#include "protocol/server_messages.hpp"
#include "realtime/connection.hpp"
#include "realtime/presence_access.hpp"
#include "realtime/ports.hpp"
#include "realtime/presence_registry.hpp"
#include "realtime/user_directory.hpp"

namespace herald::realtime {

namespace {
cluster::Target typing_target(UserId sender, const TypingIndicator& t) {
  if (raw(t.to_user) != 0) {
    auto target = cluster::Target::to_user(t.to_user, "typing");
    target.exclude_user = sender;
    return target;
  }
  return cluster::Target::to_context(t.context, sender, "typing");
}
}  // namespace

void TypingFlow::typing(Connection& c, const protocol::Typing& m) {
  TypingIndicator indicator{m.context, m.to_user_id.value_or(UserId{0})};
  if (raw(indicator.to_user) != 0) {
    if (indicator.to_user == c.user) {
      c.send_error(protocol::ErrorCode::invalid_message, "to_user_id must not be your own id");
      return;
    }
    if (!directory_.contains(indicator.to_user)) {
      c.send_error(protocol::ErrorCode::user_not_found, "to_user_id names no known user");
      return;
    }
  }
  auto now = std::chrono::steady_clock::now();
  auto it = std::find_if(c.typing.begin(), c.typing.end(),
                         [&](const TypingIndicator& t) { return t.same_as(indicator); });
  bool repeat = m.is_typing && it != c.typing.end() && now - it->sent_at < kRepeatAfter;
  if (repeat) return;  // already on, and said recently: nothing new to tell
  if (!registry_.take_broadcast(c.user, BroadcastKind::typing, now)) {
    c.send_error(protocol::ErrorCode::rate_limited,
                 "too many typing updates for this user; message dropped");
    return;
  }
  indicator.sent_at = now;
  if (m.is_typing && it != c.typing.end()) {
    it->sent_at = now;
  } else if (m.is_typing && c.typing.size() < kMaxRememberedTyping) {
    c.typing.push_back(indicator);
  } else if (!m.is_typing && it != c.typing.end()) {
    c.typing.erase(it);
  }
  broker_.publish(typing_target(c.user, indicator),
                  net::make_frame(protocol::typing(c.user, m.is_typing, m.context)));
}

void TypingFlow::stop_typing(Connection& c) {
  for (const auto& indicator : c.typing) {
    broker_.publish(typing_target(c.user, indicator),
                    net::make_frame(protocol::typing(c.user, false, indicator.context)));
  }
  c.typing.clear();
}

void TypingFlow::subscribe(Connection& c, const protocol::Subscribe& m) {
  if (access_) {
    switch (access_->check(c.user, m.context)) {
      case PresenceAccess::Verdict::malformed:
        c.send_error(protocol::ErrorCode::invalid_message, "presence: must be followed by a user id");
        return;
      case PresenceAccess::Verdict::forbidden:
        c.send_error(protocol::ErrorCode::forbidden,
                     "only this user's followers may subscribe to their presence");
        return;
      case PresenceAccess::Verdict::not_presence:
      case PresenceAccess::Verdict::allowed:
        break;
    }
  }
  bool already = std::find(c.subscriptions.begin(), c.subscriptions.end(), m.context) !=
                 c.subscriptions.end();
  if (!already) {
    if (c.subscriptions.size() >= max_subscriptions_) {
      c.send_error(protocol::ErrorCode::invalid_message,
                   "too many subscriptions (at most " + std::to_string(max_subscriptions_) +
                       " per connection)");
      return;
    }
    c.subscriptions.push_back(m.context);
    tables_.subscribe(c, m.context);
  }
  c.send(net::make_frame(protocol::subscribed(m.context)), "subscribed");
}

void TypingFlow::unsubscribe(Connection& c, const protocol::Unsubscribe& m) {
  auto it = std::find(c.subscriptions.begin(), c.subscriptions.end(), m.context);
  if (it != c.subscriptions.end()) {
    c.subscriptions.erase(it);
    tables_.unsubscribe(c, m.context);
  }
  c.send(net::make_frame(protocol::unsubscribed(m.context)), "unsubscribed");
}

}  // namespace herald::realtime
