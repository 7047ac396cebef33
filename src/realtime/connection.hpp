#pragma once
// One authenticated WebSocket connection as the real-time layer sees it:
// the user, the token's expiry, the rate limiter, subscriptions and the
// typing indicators it has raised. Lives on its session's worker; every
// member is touched only from that thread, so nothing here is locked.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/devector.hpp>

#include "cluster/broker.hpp"
#include "net/session.hpp"
#include "protocol/error.hpp"
#include "realtime/rate_limiter.hpp"
#include "util/ids.hpp"

namespace herald::realtime {

class Connection;
class WorkerPosts;

// Hears what arrives on a connection (the Hub).
class ConnectionEvents {
 public:
  virtual ~ConnectionEvents() = default;
  virtual void on_message(Connection& c, std::string_view text) = 0;
  virtual void on_closed(Connection& c, std::uint16_t code) = 0;
};

// A typing indicator this connection has switched on, remembered so a
// disconnect can switch it off for its audience (PROTOCOL.md 4).
struct TypingIndicator {
  std::string context;
  UserId to_user{};  // 0: the context's subscribers
  // When `is_typing: true` was last sent for it (repeats are coalesced).
  std::chrono::steady_clock::time_point sent_at{};
  bool same_as(const TypingIndicator& o) const { return context == o.context && to_user == o.to_user; }
};

class Connection;

// Brings a connection the mailbox seqs it is missing (MailboxGaps): called
// on its worker when it first holds an event that skips ahead.
class MailboxGapFiller {
 public:
  virtual ~MailboxGapFiller() = default;
  virtual void fill_later(const std::shared_ptr<Connection>& c) = 0;
};

class Connection final : public net::SessionObserver,
                         public std::enable_shared_from_this<Connection> {
 public:
  Connection(ConnectionEvents& events, WorkerPosts& posts, std::shared_ptr<net::Session> session,
             RateLimiter limiter)
      : limiter(limiter), events_(events), posts_(posts), session_(std::move(session)) {}

  void on_text(std::string_view text) override;
  void on_closed(std::uint16_t code) override;

  // Sends one frame, counting it; on overflow the session closes with 4010.
  // While the connection holds its output (a replay is being read), the
  // frame waits its turn instead (and `queued` is returned).
  net::SendResult send(const cluster::SharedFrame& frame, std::string_view type);

  // Mailbox events (PROTOCOL.md 4.3) carry the seq they have in this user's
  // mailbox; a connection sends each seq at most once, in order: one it has
  // sent already (in its replay) is skipped. They reach the worker in seq
  // order (published from the storage writer in commit order).
  void send_mailbox(std::uint64_t seq, const cluster::SharedFrame& frame, std::string_view type);
  // An `ack` carries the sender's seq of the acknowledged chat; it is never
  // skipped (a chat may be in the replay and still need its ack).
  void send_ack(std::uint64_t seq, const cluster::SharedFrame& frame);
  // Replay: hold() before anything is sent; release(first) sends `first`
  // (`connected`, then the replayed events), then everything that arrived
  // meanwhile, in order, skipping mailbox seqs already sent, at the pace the
  // socket drains (a 10,000-event replay would overflow the send queue).
  struct Outgoing {
    cluster::SharedFrame frame;
    std::string_view type;  // a literal
    std::uint64_t seq = 0;  // mailbox seq; 0: not a mailbox event
    bool ack = false;
  };
  void hold() { holding_ = true; }
  bool holding() const { return holding_; }
  void release(std::vector<Outgoing> first);
  // The highest mailbox seq sent (or known to the client at `connected`).
  std::uint64_t mailbox_seq = 0;
  // Cluster mode (shared storage): seqs may arrive out of order from
  // different nodes. With a filler set, an event that skips ahead of
  // mailbox_seq + 1 waits until the seqs before it come, or until the
  // filler reads them from storage and hands them to fill_gap().
  void set_gap_filler(MailboxGapFiller* filler) { gap_filler_ = filler; }
  bool has_gap() const { return ahead_ && !ahead_->empty(); }
  // The stored events after mailbox_seq, in seq order: sent, then whatever
  // waited behind them. Seqs still missing after them are not coming (the
  // storage has none): the waiting events go out anyway.
  void fill_gap(std::vector<Outgoing> stored);
  // An `error` frame (PROTOCOL.md 3); `ref` echoes the client_msg_id.
  void send_error(protocol::ErrorCode code, std::string_view message,
                  const std::optional<std::string>& ref = std::nullopt);
  void close(net::CloseCode code, std::string_view reason);
  bool open() const { return session_ && session_->is_open(); }
  ConnectionId id() const { return session_->id(); }
  unsigned worker() const { return session_->worker(); }

  // Identity, set once the token is verified.
  UserId user{};
  std::string username;
  std::int64_t token_expires_at = 0;  // unix seconds
  // Counted in the registry (this node's per-user cap and routing). In a
  // cluster a connection is counted before the cluster's attach answers,
  // and attached only once it has: it must not take part until welcomed.
  bool counted = false;
  bool attached = false;  // welcomed, and in the worker's tables
  // The last presence event its `connected` snapshot reflects: it receives
  // only the ones numbered after (PROTOCOL.md 5).
  std::uint64_t presence_from = 0;

  RateLimiter limiter;
  std::vector<std::string> subscriptions;
  std::vector<TypingIndicator> typing;

 private:
  net::SendResult transmit(const cluster::SharedFrame& frame, std::string_view type);
  void emit(const Outgoing& out);
  void queue_held(Outgoing out);
  void pump();

  ConnectionEvents& events_;
  WorkerPosts& posts_;
  std::shared_ptr<net::Session> session_;
  bool holding_ = false;
  bool pump_scheduled_ = false;
  // While holding: in send order. A devector, not a std::deque: libstdc++'s
  // deque allocates its map and a 512-byte chunk even when empty, which on
  // every idle connection was 0.7 KiB (1.44 -> 2.14 KiB per connection in
  // make bench); an empty devector holds nothing, and pump() frees it.
  boost::container::devector<Outgoing> pending_;
  std::size_t held_live_ = 0;     // of them, frames that arrived while holding
  // Events ahead of a gap, by seq; allocated only when one occurs (an idle
  // connection's size is the budget: docs/PERFORMANCE.md, "Idle memory").
  std::unique_ptr<std::map<std::uint64_t, Outgoing>> ahead_;
  MailboxGapFiller* gap_filler_ = nullptr;
  void send_ahead();
};

}  // namespace herald::realtime
