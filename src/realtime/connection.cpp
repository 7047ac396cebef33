#include "realtime/connection.hpp"

#include <spdlog/spdlog.h>

#include "protocol/server_messages.hpp"
#include "realtime/ports.hpp"
#include "util/clock.hpp"
#include "util/metrics.hpp"

namespace herald::realtime {

void Connection::on_text(std::string_view text) { events_.on_message(*this, text); }

void Connection::on_closed(std::uint16_t code) {
  // The transport may report the close from inside a send() that is part of
  // a fan-out loop over the worker's tables; unregistering right here would
  // change those tables under the loop. So the hub hears of it from a fresh
  // turn of the worker's event loop.
  auto self = shared_from_this();
  posts_.post(worker(), [self, code] { self->events_.on_closed(*self, code); });
}

net::SendResult Connection::send(const cluster::SharedFrame& frame, std::string_view type) {
  auto result = session_->send(frame);
  if (result == net::SendResult::queued) {
    util::metrics().message_out(type);
  } else if (result == net::SendResult::overflow) {
    util::metrics().send_queue_drop();
    spdlog::warn("slow consumer closed user={} conn={}", raw(user), to_string(id()));
  }
  return result;
}

void Connection::send_error(protocol::ErrorCode code, std::string_view message,
                            const std::optional<std::string>& ref) {
  util::metrics().error(protocol::to_string(code));
  send(net::make_frame(protocol::error(code, message, ref, util::iso8601_now())), "error");
}

void Connection::close(net::CloseCode code, std::string_view reason) { session_->close(code, reason); }

}  // namespace herald::realtime
