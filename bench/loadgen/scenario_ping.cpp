// ping: closed-loop {"type":"ping"} -> "pong" with W pings in flight on each
// of N connections. A per-connection FIFO of send times gives each pong's
// round trip (pongs come back in order on one connection).
#include <deque>

#include "clock.hpp"
#include "scenario.hpp"

namespace herald::bench {

class PingScenario final : public Scenario {
 public:
  using Scenario::Scenario;

  bool run(Result& r) override {
    r.param("connections", static_cast<std::int64_t>(opt_.connections));
    r.param("window", static_cast<std::int64_t>(opt_.window));
    r.param("duration_s", opt_.duration_s);
    std::vector<std::uint64_t> ids(opt_.connections);
    for (std::uint64_t i = 0; i < ids.size(); ++i) ids[i] = opt_.user_base + i;
    auto indices = open_clients(ids, opt_.timeout_s);
    in_flight_.resize(loop_.size());
    for (auto i : indices) {
      Conn& c = loop_.conn(i);
      if (!c.welcomed || c.state != ConnState::open) continue;
      for (std::uint64_t k = 0; k < opt_.window; ++k) send_ping(c);
    }
    run_for(opt_.warmup_s);
    rtt_.reset();
    pongs_ = 0;
    CpuMark a = mark();
    run_for(opt_.duration_s);
    CpuMark b = mark();
    std::uint64_t pongs = pongs_;
    stopping_ = true;
    run_for(0.5, [&] { return outstanding_ == 0; });

    r.metric("connected", static_cast<std::int64_t>(welcomed_));
    r.metric("round_trips_per_s", static_cast<double>(pongs) / ns_to_s(b.t_ns - a.t_ns));
    r.latency("rtt", rtt_);
    cpu_metrics(r, a, b, pongs, "round_trip");
    close_reasons(r);
    loop_.close_all();
    return pongs > 0;
  }

 protected:
  void on_message(Conn& c, std::string_view type, std::string_view) override {
    if (type != "pong") return;
    auto& q = in_flight_[c.index];
    if (q.empty()) return;
    std::int64_t t = now_ns();
    rtt_.record(t - q.front());
    q.pop_front();
    --outstanding_;
    ++pongs_;
    if (!stopping_) send_ping(c);
  }

 private:
  void send_ping(Conn& c) {
    in_flight_[c.index].push_back(now_ns());
    ++outstanding_;
    loop_.send_text(c, R"({"type":"ping"})");
  }

  std::vector<std::deque<std::int64_t>> in_flight_;
  Histogram rtt_;
  std::uint64_t pongs_ = 0;
  std::uint64_t outstanding_ = 0;
  bool stopping_ = false;
};

std::unique_ptr<Scenario> make_ping(const Options& o) { return std::make_unique<PingScenario>(o); }

}  // namespace herald::bench
