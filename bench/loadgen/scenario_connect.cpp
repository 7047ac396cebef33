// connect: N authenticated connections opened and held idle. Figures: connect
// rate, connect()-to-`connected` p50/p99, server CPU per connection set-up
// (handshake + token check + registry + welcome), and server RSS per idle
// connection above the empty server (VmRSS before the measured set connects,
// and after it has been idle for a second so lazily freed buffers are gone).
// "Empty" means warmed: a few connections have come and gone first, so the
// code and libraries a first connection pages in (file-backed pages, shared,
// paid once per process) are not charged to the set. Every server gets the
// same warm-up.
#include <unistd.h>

#include <cmath>

#include "clock.hpp"
#include "proc_stats.hpp"
#include "scenario.hpp"

namespace herald::bench {

class ConnectScenario final : public Scenario {
 public:
  using Scenario::Scenario;

  bool run(Result& r) override {
    r.param("connections", static_cast<std::int64_t>(opt_.connections));
    r.param("connect_rate", opt_.connect_rate);
    r.param("concurrency", static_cast<std::int64_t>(opt_.concurrency));

    warm_up();
    std::int64_t rss_before = process_rss_kib(opt_.server_pid);
    std::vector<std::uint64_t> ids(opt_.connections);
    for (std::uint64_t i = 0; i < ids.size(); ++i) ids[i] = opt_.user_base + i;

    CpuMark a = mark();
    auto indices = open_clients(ids, opt_.timeout_s);
    CpuMark b = mark();
    // Idle for a moment: servers free handshake buffers lazily.
    run_for(1.0);
    std::int64_t rss_after = process_rss_kib(opt_.server_pid);
    run_for(std::max(0.0, opt_.hold_s - 1.0));
    std::uint64_t still_open = loop_.open_count();

    double setup_s = ns_to_s(b.t_ns - a.t_ns);
    r.metric("connected", static_cast<std::int64_t>(welcomed_));
    r.metric("failed", static_cast<std::int64_t>(opt_.connections - welcomed_));
    r.metric("still_open_after_hold", static_cast<std::int64_t>(still_open));
    r.metric("setup_s", setup_s);
    r.metric("connects_per_s", static_cast<double>(welcomed_) / setup_s);
    r.latency("connected", welcome_hist_, false);
    cpu_metrics(r, a, b, welcomed_, "connection");
    r.metric("server_rss_before_kib", rss_before);
    r.metric("server_rss_after_kib", rss_after);
    r.metric("server_rss_per_conn_kib",
             rss_before >= 0 && welcomed_ ? static_cast<double>(rss_after - rss_before) / welcomed_ : NAN);
    close_reasons(r);
    loop_.close_all();
    return welcomed_ > 0;
  }

 protected:
  // Not measured: kWarmup connections (user ids past the measured set's)
  // opened, welcomed and closed.
  void warm_up() {
    constexpr std::uint64_t kWarmup = 16;
    std::vector<std::uint64_t> ids;
    for (std::uint64_t i = 0; i < kWarmup; ++i) ids.push_back(opt_.user_base + opt_.connections + i);
    for (std::uint32_t index : open_clients(ids, opt_.timeout_s)) loop_.close(loop_.conn(index));
    run_for(0.5);
    welcomed_ = 0;
    welcome_hist_.reset();
  }

  void on_welcome(Conn& c) override {
    // Keep the generator's own footprint small for 100k+ sockets.
    c.in.shrink_to_fit();
  }
  void on_message(Conn&, std::string_view, std::string_view) override {}
};

std::unique_ptr<Scenario> make_connect(const Options& o) { return std::make_unique<ConnectScenario>(o); }

}  // namespace herald::bench
