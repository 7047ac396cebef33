// publish: the publish API's fan-out (issue 11). --recipients users are made
// known (each connects once and leaves), --connections of them then stay
// online; each call names every recipient in one POST /api/v1/notifications
// (X-API-Key), and the figures per call are the time to the 202 (all stored)
// and to the last online recipient's `notification` frame, from the moment
// the request is written, and the server's CPU over the call. The POST is a
// blocking request on a thread of its own, so this epoll loop keeps reading
// the listeners meanwhile and stamps each frame as it arrives. One warm-up
// call first; each call waits until the server is idle.
#include <atomic>
#include <cstdio>
#include <thread>

#include "clock.hpp"
#include "follow_setup.hpp"
#include "json_scan.hpp"
#include "scenario.hpp"

namespace herald::bench {

class PublishScenario final : public Scenario {
 public:
  using Scenario::Scenario;

  bool run(Result& r) override {
    r.param("recipients", static_cast<std::int64_t>(opt_.recipients));
    r.param("online", static_cast<std::int64_t>(opt_.connections));
    r.param("reps", static_cast<std::int64_t>(opt_.reps));
    std::vector<std::uint64_t> everyone(opt_.recipients);
    for (std::uint64_t i = 0; i < everyone.size(); ++i) everyone[i] = opt_.user_base + i;

    // Known users: Herald records a user the first time they connect.
    constexpr std::size_t kBatch = 1000;
    for (std::size_t i = opt_.connections; i < everyone.size(); i += kBatch) {
      std::vector<std::uint64_t> batch(everyone.begin() + i,
                                       everyone.begin() + std::min(everyone.size(), i + kBatch));
      open_clients(batch, opt_.timeout_s);
      loop_.close_all();
      run_for(0.2);
    }
    std::vector<std::uint64_t> online(everyone.begin(), everyone.begin() + opt_.connections);
    welcomed_ = 0;
    open_clients(online, opt_.timeout_s);
    listeners_ = welcomed_;
    r.metric("listeners_ready", static_cast<std::int64_t>(listeners_));
    if (listeners_ == 0) {
      close_reasons(r);
      return false;
    }

    body_ = R"({"type":"new_like","title":"Liked","message":"bench","data":{},"user_ids":[)";
    for (std::size_t i = 0; i < everyone.size(); ++i) {
      if (i) body_ += ',';
      body_ += std::to_string(everyone[i]);
    }
    body_ += "]}";

    Histogram accepted, delivered, server_cpu;
    std::uint64_t calls_ok = 0;
    for (std::uint64_t rep = 0; rep <= opt_.reps; ++rep) {
      settle();
      Call call = publish_once();
      if (!call.ok) continue;
      if (rep == 0) continue;  // the warm-up call
      ++calls_ok;
      // Each call on stderr: the cost per call follows the stored rows.
      std::fprintf(stderr, "call %llu accepted %.1f delivered %.1f cpu %.1f ms\n", (unsigned long long)rep, call.accepted_ns / 1e6, call.delivered_ns / 1e6, call.server_cpu_ns / 1e6);
      accepted.record(call.accepted_ns);
      delivered.record(call.delivered_ns);
      server_cpu.record(call.server_cpu_ns);
    }
    r.metric("calls", static_cast<std::int64_t>(calls_ok));
    r.latency("accepted", accepted, false);
    r.latency("delivered", delivered, false);
    r.latency("server_cpu", server_cpu, false);
    close_reasons(r);
    loop_.close_all();
    return calls_ok == opt_.reps;
  }

 protected:
  void on_message(Conn&, std::string_view type, std::string_view) override {
    if (type != "notification") return;
    ++received_;
    last_ns_ = now_ns();
  }

 private:
  struct Call {
    bool ok = false;
    std::int64_t accepted_ns = 0, delivered_ns = 0, server_cpu_ns = 0;
  };

  Call publish_once() {
    Call call;
    received_ = 0;
    std::atomic<std::int64_t> accepted_at{0};
    std::atomic<int> status{-1};
    CpuMark a = mark();
    std::thread poster([&] {
      int s = post_json_over_http(opt_.target, "/api/v1/notifications", opt_.api_key, body_, opt_.timeout_s);
      accepted_at = now_ns();
      status = s;
    });
    run_for(opt_.timeout_s, [&] { return status.load() >= 0 && received_ >= listeners_; }, {}, 1);
    poster.join();
    CpuMark b = mark();
    if (status.load() != 202 || received_ < listeners_) {
      ++errors_["publish status " + std::to_string(status.load()) + ", delivered " + std::to_string(received_)];
      return call;
    }
    call.ok = true;
    call.accepted_ns = accepted_at.load() - a.t_ns;
    call.delivered_ns = last_ns_ - a.t_ns;
    call.server_cpu_ns = b.server_cpu_ns - a.server_cpu_ns;
    return call;
  }

  // Until the server spends under 5 ms of CPU in 200 ms (its set-up writes
  // and checkpoints done), at most 30 s.
  void settle() {
    for (int i = 0; i < 150; ++i) {
      CpuMark a = mark();
      run_for(0.2);
      CpuMark b = mark();
      if (a.server_cpu_ns < 0 || b.server_cpu_ns - a.server_cpu_ns < 5'000'000) return;
    }
  }

  std::uint64_t listeners_ = 0, received_ = 0;
  std::int64_t last_ns_ = 0;
  std::string body_;
};

std::unique_ptr<Scenario> make_publish(const Options& o) { return std::make_unique<PublishScenario>(o); }

}  // namespace herald::bench
