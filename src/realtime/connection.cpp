#include "realtime/connection.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

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

namespace {
// A replay fills the socket's queue to half its limit, then waits this
// long for it to drain (a full queue would close the connection 4010).
constexpr std::chrono::milliseconds kPumpRetry{2};
// Live frames a connection holds while its replay is read; beyond, it is a
// slow consumer (4010) and resumes with `since` later.
constexpr std::size_t kMaxHeldLive = 4096;
}  // namespace

net::SendResult Connection::send(const cluster::SharedFrame& frame, std::string_view type) {
  if (holding_) {
    queue_held(Outgoing{frame, type});
    return net::SendResult::queued;
  }
  return transmit(frame, type);
}

void Connection::send_mailbox(std::uint64_t seq, const cluster::SharedFrame& frame,
                              std::string_view type) {
  if (holding_) {
    queue_held(Outgoing{frame, type, seq});
    return;
  }
  emit(Outgoing{frame, type, seq});
}

void Connection::send_ack(std::uint64_t seq, const cluster::SharedFrame& frame) {
  if (holding_) {
    queue_held(Outgoing{frame, "ack", seq, true});
    return;
  }
  emit(Outgoing{frame, "ack", seq, true});
}

void Connection::queue_held(Outgoing out) {
  if (++held_live_ > kMaxHeldLive) {
    if (open()) {
      util::metrics().send_queue_drop();
      spdlog::warn("slow consumer closed during replay user={} conn={}", raw(user), to_string(id()));
      close(net::CloseCode::slow_consumer, "slow consumer");
    }
    pending_ = {};
    return;
  }
  pending_.push_back(std::move(out));
}

// One frame out, unless it is a mailbox event this connection has had.
void Connection::emit(const Outgoing& out) {
  if (out.seq != 0 && !out.ack) {
    if (out.seq <= mailbox_seq) return;
    if (gap_filler_ && out.seq > mailbox_seq + 1) {
      if (!ahead_) ahead_ = std::make_unique<std::map<std::uint64_t, Outgoing>>();
      const bool first = ahead_->empty();
      ahead_->emplace(out.seq, out);
      if (first) gap_filler_->fill_later(shared_from_this());
      return;
    }
    mailbox_seq = out.seq;
  } else if (out.ack) {
    mailbox_seq = std::max(mailbox_seq, out.seq);
  }
  transmit(out.frame, out.type);
  if (has_gap()) send_ahead();
}

// The waiting events that are next in line now.
void Connection::send_ahead() {
  while (has_gap() && ahead_->begin()->first <= mailbox_seq + 1) {
    Outgoing out = std::move(ahead_->begin()->second);
    ahead_->erase(ahead_->begin());
    if (out.seq <= mailbox_seq) continue;
    mailbox_seq = out.seq;
    transmit(out.frame, out.type);
  }
  if (ahead_ && ahead_->empty()) ahead_.reset();
}

void Connection::fill_gap(std::vector<Outgoing> stored) {
  for (const Outgoing& out : stored) {
    if (!has_gap() || out.seq >= ahead_->begin()->first) break;  // the rest waited already
    if (out.seq <= mailbox_seq) continue;
    mailbox_seq = out.seq;
    transmit(out.frame, out.type);
  }
  if (has_gap() && ahead_->begin()->first > mailbox_seq + 1) {
    mailbox_seq = ahead_->begin()->first - 1;  // not stored: rolled back, or past retention
  }
  send_ahead();
}

void Connection::release(std::vector<Outgoing> first) {
  pending_.insert(pending_.begin(), std::make_move_iterator(first.begin()),
                  std::make_move_iterator(first.end()));
  held_live_ = 0;
  pump();
}

void Connection::pump() {
  pump_scheduled_ = false;
  while (!pending_.empty()) {
    if (!open()) break;
    if (session_->queue_half_full()) {
      if (!pump_scheduled_) {
        pump_scheduled_ = true;
        auto self = shared_from_this();
        posts_.post_after(worker(), kPumpRetry, [self] { self->pump(); });
      }
      return;
    }
    Outgoing out = std::move(pending_.front());
    pending_.pop_front();
    emit(out);
  }
  pending_ = {};  // its storage too: the replay is over
  holding_ = false;
}

net::SendResult Connection::transmit(const cluster::SharedFrame& frame, std::string_view type) {
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
