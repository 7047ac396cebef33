#pragma once
// One run's figures, printed twice: a human table on stdout and one JSON
// line (the last line of stdout, and appended to --json FILE) that
// bench/scripts/report.py reads. Keys keep insertion order.
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "histogram.hpp"

namespace herald::bench {

class Result {
 public:
  using Value = std::variant<double, std::int64_t, std::string>;

  void param(std::string key, Value v) { params_.emplace_back(std::move(key), std::move(v)); }
  void metric(std::string key, Value v) { metrics_.emplace_back(std::move(key), std::move(v)); }
  // Adds <prefix>_p50_us, _p99_us, _p999_us, _max_us, _count.
  void latency(const std::string& prefix, const Histogram& h, bool with_p999 = true);

  void print(const std::string& scenario, const std::string& label) const;
  [[nodiscard]] std::string json(const std::string& scenario, const std::string& label) const;

 private:
  std::vector<std::pair<std::string, Value>> params_;
  std::vector<std::pair<std::string, Value>> metrics_;
};

}  // namespace herald::bench
