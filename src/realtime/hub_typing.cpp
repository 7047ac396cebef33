// Hub: typing indicators and context subscriptions (PROTOCOL.md 4).
// Typing goes to every connection of `to_user_id` when given, otherwise to
// the other users' connections subscribed to the context; never back to
// the sender. Indicators switched on are remembered per connection so a
// disconnect switches them off for the same audience.
#include <algorithm>

#include "protocol/server_messages.hpp"
#include "realtime/hub.hpp"

namespace herald::realtime {

namespace {
// Bounds the memory a connection can pin with distinct typing contexts.
constexpr std::size_t kMaxRememberedTyping = 32;

cluster::Target typing_target(UserId sender, const TypingIndicator& t) {
  if (raw(t.to_user) != 0) {
    auto target = cluster::Target::to_user(t.to_user, "typing");
    target.exclude_user = sender;
    return target;
  }
  return cluster::Target::to_context(t.context, sender, "typing");
}
}  // namespace

void Hub::handle_typing(Connection& c, const protocol::Typing& m) {
  TypingIndicator indicator{m.context, m.to_user_id.value_or(UserId{0})};
  if (raw(indicator.to_user) != 0) {
    if (indicator.to_user == c.user) {
      send_error(c, protocol::ErrorCode::invalid_message, "to_user_id must not be your own id");
      return;
    }
    if (!directory_.contains(indicator.to_user)) {
      send_error(c, protocol::ErrorCode::user_not_found, "to_user_id names no known user");
      return;
    }
  }
  auto it = std::find(c.typing.begin(), c.typing.end(), indicator);
  if (m.is_typing && it == c.typing.end() && c.typing.size() < kMaxRememberedTyping) {
    c.typing.push_back(indicator);
  } else if (!m.is_typing && it != c.typing.end()) {
    c.typing.erase(it);
  }
  publish(typing_target(c.user, indicator),
          net::make_frame(protocol::typing(c.user, m.is_typing, m.context)));
}

void Hub::stop_typing(Connection& c) {
  for (const auto& indicator : c.typing) {
    publish(typing_target(c.user, indicator),
            net::make_frame(protocol::typing(c.user, false, indicator.context)));
  }
  c.typing.clear();
}

void Hub::handle_subscribe(Connection& c, const protocol::Subscribe& m) {
  bool already = std::find(c.subscriptions.begin(), c.subscriptions.end(), m.context) !=
                 c.subscriptions.end();
  if (!already) {
    if (c.subscriptions.size() >= options_.max_subscriptions) {
      send_error(c, protocol::ErrorCode::invalid_message,
                 "too many subscriptions (at most " + std::to_string(options_.max_subscriptions) +
                     " per connection)");
      return;
    }
    c.subscriptions.push_back(m.context);
    worker_hubs_[c.worker()]->subscribe(c, m.context);
  }
  c.send(net::make_frame(protocol::subscribed(m.context)), "subscribed");
}

void Hub::handle_unsubscribe(Connection& c, const protocol::Unsubscribe& m) {
  auto it = std::find(c.subscriptions.begin(), c.subscriptions.end(), m.context);
  if (it != c.subscriptions.end()) {
    c.subscriptions.erase(it);
    worker_hubs_[c.worker()]->unsubscribe(c, m.context);
  }
  c.send(net::make_frame(protocol::unsubscribed(m.context)), "unsubscribed");
}

}  // namespace herald::realtime
