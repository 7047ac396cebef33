// chat: P sender/receiver pairs. Each sender keeps up to W messages in flight
// (sent, and not yet both acknowledged and delivered); with --rate the total
// offered load is capped by a token bucket (the latency-at-half-throughput
// run). The send time rides in the message: the text starts "m<ns>" and the
// client_msg_id "c<ns>.<seq>" (after 32 random hex digits with
// --random-msg-ids), so ack and delivery latency need no lookup.
// Acks and deliveries of one pair arrive in order, so a sender's in-flight
// count is sent - min(acked, delivered).
#include <algorithm>
#include <cmath>
#include <random>

#include "clock.hpp"
#include "json_scan.hpp"
#include "scenario.hpp"

namespace herald::bench {

class ChatScenario final : public Scenario {
 public:
  using Scenario::Scenario;

  bool run(Result& r) override {
    r.param("pairs", static_cast<std::int64_t>(opt_.pairs));
    r.param("window", static_cast<std::int64_t>(opt_.window));
    r.param("rate", opt_.rate);
    r.param("message_bytes", static_cast<std::int64_t>(opt_.message_bytes));
    r.param("duration_s", opt_.duration_s);

    std::vector<std::uint64_t> ids;
    for (std::uint64_t p = 0; p < opt_.pairs; ++p) {
      ids.push_back(opt_.user_base + 2 * p + 1);  // receiver first: it must exist
      ids.push_back(opt_.user_base + 2 * p);
    }
    r.param("receiver_port", static_cast<std::int64_t>(opt_.receiver_port));
    // Receivers (even positions) on --receiver-port when given: each chat
    // then crosses from one cluster node to another.
    auto indices = open_clients(ids, opt_.timeout_s,
                                [this](std::size_t i) { return i % 2 == 0 ? opt_.receiver_port : 0; });
    pairs_.resize(opt_.pairs);
    role_.assign(loop_.size(), Role{});
    std::uint64_t ready = 0;
    for (std::uint64_t p = 0; p < opt_.pairs; ++p) {
      Pair& pair = pairs_[p];
      pair.receiver = indices[2 * p];
      pair.sender = indices[2 * p + 1];
      pair.to_user = ids[2 * p];
      role_[pair.receiver] = Role{static_cast<std::uint32_t>(p), false};
      role_[pair.sender] = Role{static_cast<std::uint32_t>(p), true};
      pair.live = loop_.conn(pair.sender).welcomed && loop_.conn(pair.receiver).welcomed;
      ready += pair.live;
    }
    if (ready == 0) {
      r.metric("connected", static_cast<std::int64_t>(welcomed_));
      close_reasons(r);
      return false;
    }
    padding_.assign(opt_.message_bytes, 'x');
    id_prefix_ = opt_.random_msg_ids ? 32 : 0;
    start_ns_ = now_ns();
    auto tick = [&] { refill_and_send(); };
    for (std::uint64_t p = 0; p < pairs_.size(); ++p) fill_window(p);
    run_for(opt_.warmup_s, {}, tick, 1);
    measuring_ = true;
    ack_hist_.reset();
    delivery_hist_.reset();
    CpuMark a = mark();
    run_for(opt_.duration_s, {}, tick, 1);
    CpuMark b = mark();
    measuring_ = false;
    std::uint64_t delivered = delivered_, acked = acked_;
    stopping_ = true;
    run_for(2.0, [&] { return in_flight_total() == 0; }, {}, 5);

    double wall = ns_to_s(b.t_ns - a.t_ns);
    r.metric("pairs_ready", static_cast<std::int64_t>(ready));
    r.metric("delivered_per_s", static_cast<double>(delivered) / wall);
    r.metric("acked_per_s", static_cast<double>(acked) / wall);
    r.latency("delivery", delivery_hist_);
    r.latency("ack", ack_hist_);
    cpu_metrics(r, a, b, delivered, "message");
    r.metric("unfinished_at_end", static_cast<std::int64_t>(in_flight_total()));
    close_reasons(r);
    loop_.close_all();
    return delivered > 0;
  }

 protected:
  void on_message(Conn& c, std::string_view type, std::string_view payload) override {
    if (c.index >= role_.size()) return;
    const Role role = role_[c.index];
    Pair& pair = pairs_[role.pair];
    if (role.sender && type == "ack") {
      ++pair.acked;
      if (auto id = json_string(payload, "client_msg_id"); id && measuring_) {
        if (auto t = leading_int(*id, id_prefix_ + 1)) ack_hist_.record(now_ns() - *t);
      }
      if (measuring_) ++acked_;
    } else if (!role.sender && type == "chat") {
      ++pair.delivered;
      if (auto text = json_string(payload, "message"); text && measuring_) {
        if (auto t = leading_int(*text, 1)) delivery_hist_.record(now_ns() - *t);
      }
      if (measuring_) ++delivered_;
    } else {
      return;
    }
    if (opt_.rate <= 0) fill_window(role.pair);
  }

  void on_client_closed(Conn& c, std::string_view) override {
    if (c.index < role_.size()) pairs_[role_[c.index].pair].live = false;
  }

 private:
  struct Pair {
    std::uint32_t sender = 0, receiver = 0;
    std::uint64_t to_user = 0;
    std::uint64_t sent = 0, acked = 0, delivered = 0;
    bool live = false;
    std::uint64_t in_flight() const { return sent - std::min(acked, delivered); }
  };
  struct Role {
    std::uint32_t pair = 0;
    bool sender = false;
  };

  bool send_one(std::uint64_t p) {
    Pair& pair = pairs_[p];
    if (stopping_ || !pair.live || pair.in_flight() >= opt_.window) return false;
    std::int64_t t = now_ns();
    std::string text = "m" + std::to_string(t) + "-";
    text.append(padding_, 0, opt_.message_bytes > text.size() ? opt_.message_bytes - text.size() : 0);
    frame_.clear();
    frame_ += R"({"type":"message","to_user_id":)";
    frame_ += std::to_string(pair.to_user);
    frame_ += R"(,"message":")";
    frame_ += text;
    frame_ += R"(","client_msg_id":")";
    if (opt_.random_msg_ids) append_random_hex(frame_);
    frame_ += 'c';
    frame_ += std::to_string(t);
    frame_ += '.';
    frame_ += std::to_string(pair.sent);
    frame_ += "\"}";
    loop_.send_text(loop_.conn(pair.sender), frame_);
    ++pair.sent;
    return true;
  }

  void fill_window(std::uint64_t p) {
    while (send_one(p)) {
    }
  }

  // Token bucket for --rate: credit accrues with wall time and is spent
  // round-robin over senders that have window room.
  void refill_and_send() {
    if (opt_.rate <= 0 || stopping_) return;
    double owed = opt_.rate * ns_to_s(now_ns() - start_ns_) - static_cast<double>(offered_);
    std::size_t idle_pairs = 0;
    while (owed >= 1 && idle_pairs < pairs_.size()) {
      if (send_one(cursor_)) {
        ++offered_;
        owed -= 1;
        idle_pairs = 0;
      } else {
        ++idle_pairs;
      }
      cursor_ = (cursor_ + 1) % pairs_.size();
    }
    // Credit lost to full windows is not banked: offered load stays a cap.
    if (owed >= 1) offered_ += static_cast<std::uint64_t>(owed);
  }

  std::uint64_t in_flight_total() const {
    std::uint64_t n = 0;
    for (const auto& p : pairs_) n += p.live ? p.in_flight() : 0;
    return n;
  }

  std::vector<Pair> pairs_;
  std::vector<Role> role_;
  std::string padding_, frame_;
  // --random-msg-ids: 32 random hex digits before "c<send time>".
  std::size_t id_prefix_ = 0;
  std::mt19937_64 random_{std::random_device{}()};
  void append_random_hex(std::string& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (int half = 0; half < 2; ++half) {
      std::uint64_t bits = random_();
      for (int i = 0; i < 16; ++i, bits >>= 4) out += kHex[bits & 15];
    }
  }
  Histogram ack_hist_, delivery_hist_;
  std::uint64_t delivered_ = 0, acked_ = 0, offered_ = 0;
  std::size_t cursor_ = 0;
  std::int64_t start_ns_ = 0;
  bool measuring_ = false, stopping_ = false;
};

std::unique_ptr<Scenario> make_chat(const Options& o) { return std::make_unique<ChatScenario>(o); }

}  // namespace herald::bench
