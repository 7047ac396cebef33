// Metrics storage and the Prometheus text format (version 0.0.4), written by
// hand: Debian 12 packages no C++ Prometheus client (prometheus-cpp is not
// in the archive), and the format is a few lines of text per series.
#include "util/metrics.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace herald::util {
namespace {

constexpr std::string_view kOther = "other";

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void render_family(std::string& out, std::string_view name, std::string_view label, std::string_view help,
                   const LabelledCounter& counter) {
  header(out, name, "counter", help);
  counter.for_each([&](std::string_view value, std::uint64_t count) {
    fmt::format_to(std::back_inserter(out), "{}{{{}=\"{}\"}} {}\n", name, label, escape_label_value(value), count);
  });
}

std::string_view close_label(std::uint16_t code) {
  switch (code) {
    case 1000: return "1000";
    case 1001: return "1001";
    case 1003: return "1003";
    case 1007: return "1007";
    case 1008: return "1008";
    case 1009: return "1009";
    case 1011: return "1011";
    case 4001: return "4001";
    case 4003: return "4003";
    case 4008: return "4008";
    case 4009: return "4009";
    case 4010: return "4010";
    default: return {};
  }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

LabelledCounter::LabelledCounter(std::initializer_list<std::string_view> known) {
  for (auto label : known) {
    if (known_count_ < kMaxKnown) known_[known_count_++] = label;
  }
}

void LabelledCounter::add(std::string_view label, std::uint64_t n) {
  // Linear scan over at most kMaxKnown short strings: cheaper than hashing.
  for (std::size_t i = 0; i < known_count_; ++i) {
    if (known_[i] == label) {
      counts_[i].fetch_add(n, std::memory_order_relaxed);
      return;
    }
  }
  std::lock_guard lock(extra_mutex_);
  auto it = extra_.find(label);
  if (it == extra_.end()) {
    const std::size_t distinct = extra_.size() - (extra_.contains(kOther) ? 1 : 0);
    it = extra_.try_emplace(std::string(distinct < kMaxExtraLabels ? label : kOther), 0).first;
  }
  it->second += n;
}

void LabelledCounter::for_each(const std::function<void(std::string_view, std::uint64_t)>& fn) const {
  for (std::size_t i = 0; i < known_count_; ++i) fn(known_[i], counts_[i].load(std::memory_order_relaxed));
  std::lock_guard lock(extra_mutex_);
  for (const auto& [label, count] : extra_) fn(label, count);
}

void Histogram::observe(double value) {
  std::size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

void Histogram::render(std::string& out, std::string_view name) const {
  // Buckets are stored one per range and summed here: Prometheus buckets are cumulative (le = "at most").
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string le = i < bounds_.size() ? format_value(bounds_[i]) : "+Inf";
    fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"{}\"}} {}\n", name, le, cumulative);
  }
  fmt::format_to(std::back_inserter(out), "{}_sum {}\n", name, format_value(sum_.load(std::memory_order_relaxed)));
  // _count equals the +Inf bucket of this same scrape, as the format requires.
  fmt::format_to(std::back_inserter(out), "{}_count {}\n", name, cumulative);
}

Metrics::Metrics()
    : messages_in_{"ping", "typing", "subscribe", "unsubscribe", "presence", "message", "auth"},
      messages_out_{"connected", "pong",  "user_status", "presence", "typing",  "chat",
                    "ack",       "subscribed", "unsubscribed", "error", "auth_ok", "notification"},
      errors_{"INVALID_JSON",    "UNKNOWN_MESSAGE_TYPE", "MESSAGE_PROCESSING_ERROR", "INVALID_MESSAGE",
              "USER_NOT_FOUND", "RATE_LIMITED",         "INVALID_TOKEN"},
      closes_{"1000", "1001", "1003", "1007", "1008", "1009", "1011", "4001", "4003", "4008", "4009", "4010"},
      refusals_{"per_address", "total"} {}

void Metrics::message_in(std::string_view type) { messages_in_.add(type); }
void Metrics::message_out(std::string_view type, std::uint64_t n) { messages_out_.add(type, n); }
void Metrics::error(std::string_view code) { errors_.add(code); }

void Metrics::close(std::uint16_t code) {
  if (auto label = close_label(code); !label.empty()) {
    closes_.add(label);
    return;
  }
  char buffer[8];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, code);
  closes_.add(std::string_view(buffer, static_cast<std::size_t>(end - buffer)));
}

void Metrics::send_queue_drop() { send_queue_drops_.fetch_add(1, std::memory_order_relaxed); }
void Metrics::connection_refused(std::string_view reason) { refusals_.add(reason); }
void Metrics::storage_commit(double seconds, std::size_t jobs) {
  storage_commit_.observe(seconds);
  storage_batch_.observe(static_cast<double>(jobs));
}

void Metrics::set_gauge_source(std::function<double()> connections, std::function<double()> users_online) {
  std::lock_guard lock(sources_mutex_);
  connections_ = std::move(connections);
  users_online_ = std::move(users_online);
}

void Metrics::set_tcp_connections_source(std::function<double()> source) {
  std::lock_guard lock(sources_mutex_);
  tcp_connections_ = std::move(source);
}

void Metrics::set_broker_up(std::function<std::optional<bool>()> source) {
  std::lock_guard lock(sources_mutex_);
  broker_up_ = std::move(source);
}

std::string Metrics::render() const {
  std::string out;
  out.reserve(8192);
  {
    std::lock_guard lock(sources_mutex_);
    header(out, "herald_connections", "gauge", "Open WebSocket connections on this node.");
    fmt::format_to(std::back_inserter(out), "herald_connections {}\n",
                   format_value(connections_ ? connections_() : 0.0));
    header(out, "herald_users_online", "gauge", "Users with at least one open connection on this node.");
    fmt::format_to(std::back_inserter(out), "herald_users_online {}\n",
                   format_value(users_online_ ? users_online_() : 0.0));
    header(out, "herald_tcp_connections", "gauge",
           "Open TCP connections (HTTP and WebSocket) on this node, as the connection caps count them.");
    fmt::format_to(std::back_inserter(out), "herald_tcp_connections {}\n",
                   format_value(tcp_connections_ ? tcp_connections_() : 0.0));
    if (broker_up_) {
      if (auto up = broker_up_()) {
        header(out, "herald_broker_up", "gauge", "1 when the cluster broker (Redis) is connected, else 0.");
        fmt::format_to(std::back_inserter(out), "herald_broker_up {}\n", *up ? 1 : 0);
      }
    }
  }
  render_family(out, "herald_messages_in_total", "type", "Client messages received, by type.", messages_in_);
  render_family(out, "herald_messages_out_total", "type", "Server messages sent, by type.", messages_out_);
  render_family(out, "herald_errors_total", "code", "Error messages sent to clients, by error_code.", errors_);
  render_family(out, "herald_closes_total", "code", "WebSocket connections closed by the server, by close code.",
                closes_);
  render_family(out, "herald_connections_refused_total", "reason",
                "Connections refused at accept by a connection cap (per_address or total).", refusals_);
  header(out, "herald_send_queue_drops_total", "counter",
         "Connections closed because their outgoing queue overflowed (slow consumers).");
  fmt::format_to(std::back_inserter(out), "herald_send_queue_drops_total {}\n",
                 send_queue_drops_.load(std::memory_order_relaxed));
  header(out, "herald_storage_commit_seconds", "histogram", "Duration of storage group commits, seconds.");
  storage_commit_.render(out, "herald_storage_commit_seconds");
  header(out, "herald_storage_batch_jobs", "histogram", "Jobs committed together in one storage group commit.");
  storage_batch_.render(out, "herald_storage_batch_jobs");
  return out;
}

Metrics& metrics() {
  static Metrics instance;
  return instance;
}

}  // namespace herald::util
