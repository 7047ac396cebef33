// storm: N users join at --connect-rate (the issue: 5,000 at 1,000/s) against
// a server whose presence audience is `all`. Every user gets `user_status`
// online for each user whose connection registers after its own, so with S
// users connected throughout, S(S-1)/2 statuses must arrive. Figures: how
// many got `connected` and how fast (p50/p99), time until the last status
// arrived after the last join, statuses received vs expected, server CPU, and
// why any connection ended (PROTOCOL.md allows 4010 for a slow consumer).
#include <limits>

#include "clock.hpp"
#include "json_scan.hpp"
#include "scenario.hpp"

namespace herald::bench {

class StormScenario final : public Scenario {
 public:
  using Scenario::Scenario;

  bool run(Result& r) override {
    r.param("users", static_cast<std::int64_t>(opt_.connections));
    r.param("connect_rate", opt_.connect_rate);
    r.param("timeout_s", opt_.timeout_s);

    std::vector<std::uint64_t> ids(opt_.connections);
    for (std::uint64_t i = 0; i < ids.size(); ++i) ids[i] = opt_.user_base + i;
    CpuMark a = mark();
    auto indices = open_clients(ids, opt_.timeout_s);
    std::int64_t last_join_ns = 0, last_welcome_ns = 0;
    for (auto i : indices) {
      last_join_ns = std::max(last_join_ns, loop_.conn(i).t_start_ns);
      last_welcome_ns = std::max(last_welcome_ns, loop_.conn(i).t_welcome_ns);
    }
    auto expected = [&] {
      std::uint64_t s = loop_.open_count();
      return s * (s - (s > 0)) / 2;
    };
    // Wait for the statuses: done when nothing new arrived for --quiet
    // seconds, or --duration after the last join. Not as soon as the
    // expected count is reached: a status too many must be counted too.
    std::int64_t deadline = last_join_ns + static_cast<std::int64_t>(opt_.duration_s * 1e9);
    run_for(
        std::max(0.0, ns_to_s(deadline - now_ns())),
        [&] {
          return last_status_ns_ && now_ns() - std::max(last_status_ns_, last_welcome_ns) >
                                        static_cast<std::int64_t>(opt_.quiet_s * 1e9);
        },
        {}, 5);
    CpuMark b = mark();
    std::int64_t first_join_ns = indices.empty() ? 0 : loop_.conn(indices.front()).t_start_ns;

    r.metric("connected", static_cast<std::int64_t>(welcomed_));
    r.metric("failed", static_cast<std::int64_t>(opt_.connections - welcomed_));
    r.metric("failed_pct", 100.0 * static_cast<double>(opt_.connections - welcomed_) / opt_.connections);
    r.metric("open_at_end", static_cast<std::int64_t>(loop_.open_count()));
    r.latency("connected", welcome_hist_);
    r.metric("join_phase_s", ns_to_s(last_join_ns - first_join_ns));
    r.metric("all_connected_after_s", ns_to_s(last_welcome_ns - first_join_ns));
    r.metric("statuses_received", static_cast<std::int64_t>(online_statuses_));
    r.metric("offline_statuses", static_cast<std::int64_t>(offline_statuses_));
    r.metric("statuses_expected", static_cast<std::int64_t>(expected()));
    r.metric("statuses_complete", std::string(online_statuses_ >= expected() ? "yes" : "no"));
    // PROTOCOL.md 5: each pair of users who joined, exactly one status.
    r.metric("statuses_exact", std::string(online_statuses_ == expected() ? "yes" : "no"));
    r.metric("last_status_after_last_join_s",
             last_status_ns_ ? ns_to_s(last_status_ns_ - last_join_ns) : std::numeric_limits<double>::quiet_NaN());
    r.metric("server_cpu_s", b.server_cpu_ns >= 0 ? ns_to_s(b.server_cpu_ns - a.server_cpu_ns)
                                                  : std::numeric_limits<double>::quiet_NaN());
    cpu_metrics(r, a, b, online_statuses_ + offline_statuses_, "delivery");
    close_reasons(r);
    loop_.close_all();
    return welcomed_ > 0;
  }

 protected:
  void on_welcome(Conn& c) override { c.in.shrink_to_fit(); }

  void on_message(Conn&, std::string_view type, std::string_view payload) override {
    if (type != "user_status") return;
    auto status = json_string(payload, "status");
    if (status && *status == "offline") {
      ++offline_statuses_;
    } else {
      ++online_statuses_;
    }
    last_status_ns_ = now_ns();
  }

 private:
  std::uint64_t online_statuses_ = 0, offline_statuses_ = 0;
  std::int64_t last_status_ns_ = 0;
};

std::unique_ptr<Scenario> make_storm(const Options& o) { return std::make_unique<StormScenario>(o); }

}  // namespace herald::bench
