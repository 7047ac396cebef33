#pragma once
// Process-wide counters for GET /metrics (PROTOCOL.md 6.6), rendered in the
// Prometheus text exposition format. Hot-path calls (message_in/out, error,
// close) are one relaxed atomic add on a fixed array slot chosen by the
// label; only labels outside the known set take a mutex, and at most
// kMaxExtraLabels of them per family get their own series (the rest count
// as "other"), so a hostile client cannot grow memory or the scrape.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace herald::util {

// A counter family with one label: a fixed slot per known label value, a
// bounded map for the rest.
class LabelledCounter {
 public:
  static constexpr std::size_t kMaxKnown = 24;
  static constexpr std::size_t kMaxExtraLabels = 64;

  LabelledCounter(std::initializer_list<std::string_view> known);
  void add(std::string_view label, std::uint64_t n = 1);
  // Known labels first (always present, 0 included), then the extra ones in order.
  void for_each(const std::function<void(std::string_view, std::uint64_t)>& fn) const;

 private:
  std::array<std::string_view, kMaxKnown> known_{};
  std::size_t known_count_ = 0;
  std::array<std::atomic<std::uint64_t>, kMaxKnown> counts_{};
  mutable std::mutex extra_mutex_;
  std::map<std::string, std::uint64_t, std::less<>> extra_;
};

// Cumulative-on-render histogram: each observation bumps one bucket.
class Histogram {
 public:
  static constexpr std::size_t kBucketCount = 13;
  using Bounds = std::array<double, kBucketCount>;
  static constexpr Bounds kSeconds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                   0.1,    0.25,  0.5,    1.0,   2.5,  5.0};
  static constexpr Bounds kCounts{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};

  explicit Histogram(const Bounds& bounds = kSeconds) : bounds_(bounds) {}
  void observe(double value);
  void render(std::string& out, std::string_view name) const;

 private:
  Bounds bounds_;
  std::array<std::atomic<std::uint64_t>, kBucketCount + 1> buckets_{};  // last: +Inf
  std::atomic<double> sum_{0.0};
};

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void message_in(std::string_view type);
  void message_out(std::string_view type, std::uint64_t n = 1);
  void error(std::string_view code);
  void close(std::uint16_t code);
  void send_queue_drop();
  // A connection refused at accept by a cap: reason "per_address" or "total".
  void connection_refused(std::string_view reason);
  // herald_storage_commit_seconds and herald_storage_batch_jobs
  void storage_commit(double seconds, std::size_t jobs);

  // Sampled at render time; set once at start-up (a lock guards replacement).
  void set_gauge_source(std::function<double()> connections, std::function<double()> users_online);
  // herald_tcp_connections: every open socket, HTTP and WebSocket, as the caps count them.
  void set_tcp_connections_source(std::function<double()> source);
  // herald_broker_up is rendered only while the source returns a value (cluster mode).
  void set_broker_up(std::function<std::optional<bool>()> source);

  std::string render() const;

 private:
  LabelledCounter messages_in_;
  LabelledCounter messages_out_;
  LabelledCounter errors_;
  LabelledCounter closes_;
  LabelledCounter refusals_;
  std::atomic<std::uint64_t> send_queue_drops_{0};
  Histogram storage_commit_;
  Histogram storage_batch_{Histogram::kCounts};
  mutable std::mutex sources_mutex_;
  std::function<double()> connections_;
  std::function<double()> users_online_;
  std::function<double()> tcp_connections_;
  std::function<std::optional<bool>()> broker_up_;
};

Metrics& metrics();  // the process-wide instance

// Prometheus label value escaping: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);

}  // namespace herald::util
