// fanout: one publisher changes its presence (away/online alternately); N
// listeners receive each change. With --audience followers the listeners
// first subscribe to "presence:<publisher id>" (the peers' `followers`;
// Herald allows that subscription only to followers, so with --follow-api
// each listener first follows the publisher over REST, and Herald's
// audience is then the followers); with `all` the server sends to every
// online user. The
// send time and a sequence number ride in the presence data {"t":ns,"s":n}.
// Publishes in flight = published - deliveries / listeners; --window caps
// that, --rate caps offered deliveries per second.
#include <cmath>

#include "clock.hpp"
#include "follow_setup.hpp"
#include "json_scan.hpp"
#include "scenario.hpp"

namespace herald::bench {

class FanoutScenario final : public Scenario {
 public:
  using Scenario::Scenario;

  bool run(Result& r) override {
    r.param("listeners", static_cast<std::int64_t>(opt_.connections));
    r.param("window", static_cast<std::int64_t>(opt_.window));
    r.param("rate", opt_.rate);
    r.param("audience", opt_.audience);
    r.param("duration_s", opt_.duration_s);

    publisher_ = open_clients({opt_.user_base}, opt_.timeout_s).front();
    if (!loop_.conn(publisher_).welcomed) {
      r.metric("connected", std::int64_t{0});
      close_reasons(r);
      return false;
    }
    std::vector<std::uint64_t> ids(opt_.connections);
    for (std::uint64_t i = 0; i < ids.size(); ++i) ids[i] = opt_.user_base + 1 + i;
    if (opt_.audience == "followers" && opt_.follow_api) {
      r.metric("followed", static_cast<std::int64_t>(
                               follow_over_http(opt_.target, minter_, ids, opt_.user_base, opt_.timeout_s)));
    }
    // Listeners on --receiver-port when given (another cluster node): every
    // status change then crosses nodes.
    r.param("receiver_port", static_cast<std::int64_t>(opt_.receiver_port));
    open_clients(ids, opt_.timeout_s, [this](std::size_t) { return opt_.receiver_port; });
    listeners_ = welcomed_ - 1;
    if (opt_.audience == "followers") {
      run_for(opt_.timeout_s, [&] { return subscribed_ >= listeners_; });
    }
    if (listeners_ == 0) {
      close_reasons(r);
      return false;
    }
    start_ns_ = now_ns();
    auto tick = [&] { publish_more(); };
    publish_more();
    run_for(opt_.warmup_s, {}, tick, 1);
    measuring_ = true;
    latency_.reset();
    std::uint64_t deliveries_before = deliveries_;
    std::uint64_t published_before = published_;
    CpuMark a = mark();
    run_for(opt_.duration_s, {}, tick, 1);
    CpuMark b = mark();
    measuring_ = false;
    std::uint64_t deliveries = deliveries_ - deliveries_before;
    std::uint64_t published = published_ - published_before;
    stopping_ = true;
    run_for(2.0, [&] { return in_flight() == 0; });

    double wall = ns_to_s(b.t_ns - a.t_ns);
    r.metric("listeners_ready", static_cast<std::int64_t>(listeners_));
    r.metric("subscribed", static_cast<std::int64_t>(subscribed_));
    r.metric("publishes_per_s", static_cast<double>(published) / wall);
    r.metric("offered_deliveries_per_s", static_cast<double>(published * listeners_) / wall);
    r.metric("deliveries_per_s", static_cast<double>(deliveries) / wall);
    r.latency("delivery", latency_);
    cpu_metrics(r, a, b, deliveries, "delivery");
    close_reasons(r);
    loop_.close_all();
    return deliveries > 0;
  }

 protected:
  void on_welcome(Conn& c) override {
    if (c.index != publisher_ && opt_.audience == "followers") {
      loop_.send_text(c, R"({"type":"subscribe","context":"presence:)" + std::to_string(opt_.user_base) + "\"}");
    }
  }

  void on_message(Conn& c, std::string_view type, std::string_view payload) override {
    if (type == "subscribed") {
      ++subscribed_;
      return;
    }
    if (type != "presence" || c.index == publisher_) return;
    ++deliveries_;
    if (measuring_) {
      if (auto t = json_int(payload, "t")) latency_.record(now_ns() - *t);
    }
    if (opt_.rate <= 0) publish_more();
  }

 private:
  std::uint64_t in_flight() const {
    std::uint64_t done = listeners_ ? deliveries_ / listeners_ : 0;
    return published_ > done ? published_ - done : 0;
  }

  void publish_more() {
    if (stopping_) return;
    Conn& pub = loop_.conn(publisher_);
    if (pub.state != ConnState::open) return;
    double budget = opt_.rate > 0 ? opt_.rate / static_cast<double>(listeners_) * ns_to_s(now_ns() - start_ns_) -
                                        static_cast<double>(published_)
                                  : INFINITY;
    while (budget >= 1 && in_flight() < opt_.window) {
      frame_.clear();
      frame_ += R"({"type":"presence","status":")";
      frame_ += (published_ % 2 == 0) ? "away" : "online";
      frame_ += R"(","data":{"t":)";
      frame_ += std::to_string(now_ns());
      frame_ += R"(,"s":)";
      frame_ += std::to_string(published_);
      frame_ += "}}";
      loop_.send_text(pub, frame_);
      ++published_;
      budget -= 1;
    }
  }

  std::uint32_t publisher_ = 0;
  std::uint64_t listeners_ = 0, subscribed_ = 0, deliveries_ = 0, published_ = 0;
  Histogram latency_;
  std::string frame_;
  std::int64_t start_ns_ = 0;
  bool measuring_ = false, stopping_ = false;
};

std::unique_ptr<Scenario> make_fanout(const Options& o) { return std::make_unique<FanoutScenario>(o); }

}  // namespace herald::bench
