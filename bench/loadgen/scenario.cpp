// Shared scenario machinery; see scenario.hpp.
#include "scenario.hpp"

#include <cmath>

#include "clock.hpp"
#include "json_scan.hpp"
#include "proc_stats.hpp"

namespace herald::bench {

Scenario::Scenario(const Options& options)
    : opt_(options), minter_(options.secret, options.token_ttl_s), loop_(options.target, *this) {}

void Scenario::on_text(Conn& c, std::string_view payload) {
  auto type = json_type(payload);
  if (!c.welcomed && type == "connected") {
    c.welcomed = true;
    c.t_welcome_ns = now_ns();
    welcome_hist_.record(c.t_welcome_ns - c.t_start_ns);
    ++welcomed_;
    --awaiting_welcome_;
    on_welcome(c);
    return;
  }
  if (type == "error") {
    ++errors_[std::string(json_string(payload, "error_code").value_or("?"))];
  }
  on_message(c, type, payload);
}

void Scenario::on_closed(Conn& c, std::string_view reason) {
  if (c.t_upgrade_ns != 0 && !c.welcomed) --awaiting_welcome_;
  on_client_closed(c, reason);
}

std::vector<std::uint32_t> Scenario::open_clients(const std::vector<std::uint64_t>& user_ids, double timeout_s,
                                                  const std::function<int(std::size_t)>& port_of) {
  std::vector<std::uint32_t> indices;
  indices.reserve(user_ids.size());
  const std::int64_t start = now_ns();
  std::size_t next = 0;
  auto open_more = [&] {
    double elapsed = ns_to_s(now_ns() - start);
    while (next < user_ids.size()) {
      if (opt_.concurrency > 0 && loop_.pending() >= opt_.concurrency) break;
      if (opt_.connect_rate > 0 && static_cast<double>(next) >= opt_.connect_rate * elapsed) break;
      indices.push_back(loop_.add(user_ids[next], minter_.mint(user_ids[next]), port_of ? port_of(next) : 0));
      ++next;
    }
  };
  open_more();
  run_for(
      timeout_s,
      [&] { return next == user_ids.size() && loop_.pending() == 0 && awaiting_welcome_ == 0; }, open_more,
      opt_.connect_rate > 0 ? 1 : 5);
  return indices;
}

void Scenario::run_for(double seconds, const std::function<bool()>& done, const std::function<void()>& tick,
                       int poll_ms) {
  const std::int64_t end = now_ns() + static_cast<std::int64_t>(seconds * 1e9);
  while (now_ns() < end) {
    if (done && done()) return;
    loop_.run_once(poll_ms);
    if (tick) tick();
  }
}

CpuMark Scenario::mark() const {
  return CpuMark{now_ns(), process_cpu_ns(opt_.server_pid), self_cpu_ns()};
}

void Scenario::cpu_metrics(Result& r, const CpuMark& a, const CpuMark& b, std::uint64_t units,
                           const std::string& unit) {
  double n = static_cast<double>(units);
  double server_us = a.server_cpu_ns >= 0 && b.server_cpu_ns >= 0
                         ? static_cast<double>(b.server_cpu_ns - a.server_cpu_ns) / 1000.0
                         : NAN;
  double self_us = static_cast<double>(b.self_cpu_ns - a.self_cpu_ns) / 1000.0;
  double wall_s = ns_to_s(b.t_ns - a.t_ns);
  r.metric("server_cpu_us_per_" + unit, units ? server_us / n : NAN);
  r.metric("server_cpu_util", server_us / 1e6 / wall_s);
  r.metric("loadgen_cpu_us_per_" + unit, units ? self_us / n : NAN);
  r.metric("loadgen_cpu_util", self_us / 1e6 / wall_s);
}

void Scenario::close_reasons(Result& r) const {
  std::string text;
  for (const auto& [reason, n] : loop_.end_reasons()) {
    if (!text.empty()) text += ", ";
    text += reason + ": " + std::to_string(n);
  }
  r.metric("ended_by_server", text.empty() ? std::string("none") : text);
  std::string errs;
  for (const auto& [code, n] : errors_) {
    if (!errs.empty()) errs += ", ";
    errs += code + ": " + std::to_string(n);
  }
  r.metric("error_frames", errs.empty() ? std::string("none") : errs);
}

}  // namespace herald::bench
