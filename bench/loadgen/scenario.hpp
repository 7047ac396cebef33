#pragma once
// What every scenario shares: the loop, the token minter, opening a set of
// clients at a bounded rate and concurrency, waiting for `connected`, and
// bounded run phases. A scenario derives, reacts to frames in on_message()
// and fills a Result.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "event_loop.hpp"
#include "histogram.hpp"
#include "jwt_mint.hpp"
#include "options.hpp"
#include "result.hpp"

namespace herald::bench {

// Server and self CPU at one instant; differences give per-message costs.
struct CpuMark {
  std::int64_t t_ns = 0;
  std::int64_t server_cpu_ns = -1;
  std::int64_t self_cpu_ns = 0;
};

class Scenario : public Handler {
 public:
  explicit Scenario(const Options& options);
  // Runs the whole scenario; false when it could not run (reason printed).
  virtual bool run(Result& result) = 0;

 protected:
  // Frames after `connected`; `type` is the frame's outer "type".
  virtual void on_message(Conn& c, std::string_view type, std::string_view payload) = 0;
  virtual void on_welcome(Conn& c) {}

  // Opens one client per user id, at --connect-rate and --concurrency, and
  // runs the loop until each has its `connected` or has failed, or timeout.
  // Returns the loop indices in the order of `user_ids`.
  // `port_of(i)`: the port of the i-th client (0: --port).
  std::vector<std::uint32_t> open_clients(const std::vector<std::uint64_t>& user_ids, double timeout_s,
                                          const std::function<int(std::size_t)>& port_of = {});
  // Runs the loop until done() or `seconds` elapse; tick() after each turn.
  void run_for(double seconds, const std::function<bool()>& done = {}, const std::function<void()>& tick = {},
               int poll_ms = 5);

  CpuMark mark() const;
  // Adds server/self CPU per unit figures for the window [a, b].
  void cpu_metrics(Result& r, const CpuMark& a, const CpuMark& b, std::uint64_t units, const std::string& unit);
  void close_reasons(Result& r) const;

  virtual void on_client_closed(Conn& c, std::string_view reason) {}

  void on_upgraded(Conn& c) final { ++awaiting_welcome_; }
  void on_text(Conn& c, std::string_view payload) final;
  void on_closed(Conn& c, std::string_view reason) final;

  Options opt_;
  JwtMinter minter_;
  EventLoop loop_;
  Histogram welcome_hist_;  // connect() to `connected`
  std::uint64_t welcomed_ = 0;
  std::uint64_t awaiting_welcome_ = 0;  // upgraded, `connected` not yet seen
  std::map<std::string, std::uint64_t> errors_;  // server `error` frames by error_code
};

std::unique_ptr<Scenario> make_scenario(const Options& options);

}  // namespace herald::bench
