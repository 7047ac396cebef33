// Table and JSON rendering of a Result.
#include "result.hpp"

#include <cmath>
#include <cstdio>

namespace herald::bench {

namespace {
std::string escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) continue;
    out += ch;
  }
  return out;
}

std::string render(const Result::Value& v, bool json) {
  if (auto* d = std::get_if<double>(&v)) {
    if (!std::isfinite(*d)) return json ? "null" : "n/a";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", *d);
    return buf;
  }
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  const auto& s = std::get<std::string>(v);
  return json ? "\"" + escape(s) + "\"" : s;
}

std::string object(const std::vector<std::pair<std::string, Result::Value>>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += "\"" + escape(items[i].first) + "\":" + render(items[i].second, true);
  }
  return out + "}";
}
}  // namespace

void Result::latency(const std::string& prefix, const Histogram& h, bool with_p999) {
  auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1000.0; };
  metric(prefix + "_count", static_cast<std::int64_t>(h.count()));
  metric(prefix + "_p50_us", us(h.percentile(0.50)));
  metric(prefix + "_p99_us", us(h.percentile(0.99)));
  if (with_p999) metric(prefix + "_p999_us", us(h.percentile(0.999)));
  metric(prefix + "_max_us", us(h.max()));
}

void Result::print(const std::string& scenario, const std::string& label) const {
  std::printf("== %s against %s ==\n", scenario.c_str(), label.c_str());
  for (const auto& [k, v] : params_) std::printf("  %-28s %s\n", k.c_str(), render(v, false).c_str());
  std::printf("  %s\n", "----");
  for (const auto& [k, v] : metrics_) std::printf("  %-28s %s\n", k.c_str(), render(v, false).c_str());
}

std::string Result::json(const std::string& scenario, const std::string& label) const {
  return "{\"scenario\":\"" + escape(scenario) + "\",\"label\":\"" + escape(label) + "\",\"params\":" +
         object(params_) + ",\"metrics\":" + object(metrics_) + "}";
}

}  // namespace herald::bench
