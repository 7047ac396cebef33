// The Prometheus text rendered by Metrics, parsed line by line: every family
// has HELP and TYPE before its samples, counters count, histogram buckets are
// cumulative, label values are escaped and unknown labels are bounded.
#include <cctype>
#include <cstring>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "util/metrics.hpp"

namespace herald::util {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Exposition {
  std::map<std::string, std::string> help;     // family -> help text
  std::map<std::string, std::string> type;     // family -> type
  std::map<std::string, double> samples;       // "name{labels}" -> value
  std::vector<std::string> sample_order;
  std::vector<std::string> errors;             // format violations found
};

// A deliberately strict reader of the subset of the text format we emit.
Exposition read(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("# HELP ")) {
      auto rest = line.substr(7);
      auto space = rest.find(' ');
      e.help[rest.substr(0, space)] = rest.substr(space + 1);
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      auto rest = line.substr(7);
      auto space = rest.find(' ');
      auto family = rest.substr(0, space);
      if (!e.help.contains(family)) e.errors.push_back("TYPE before HELP: " + family);
      e.type[family] = rest.substr(space + 1);
      continue;
    }
    auto space = line.rfind(' ');
    if (line.empty() || space == std::string::npos) {
      e.errors.push_back("bad line: " + line);
      continue;
    }
    auto key = line.substr(0, space);
    auto name = key.substr(0, key.find('{'));
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (family.ends_with(suffix) && !e.type.contains(family)) family.resize(family.size() - std::strlen(suffix));
    }
    if (!e.type.contains(family)) e.errors.push_back("sample without TYPE: " + key);
    if (e.samples.contains(key)) e.errors.push_back("duplicate sample: " + key);
    e.samples[key] = std::stod(line.substr(space + 1));
    e.sample_order.push_back(key);
  }
  return e;
}

TEST(Metrics, EveryFamilyHasHelpAndType) {
  Metrics m;
  auto e = read(m.render());
  EXPECT_THAT(e.errors, ::testing::IsEmpty());
  const std::map<std::string, std::string> families{
      {"herald_connections", "gauge"},
      {"herald_users_online", "gauge"},
      {"herald_messages_in_total", "counter"},
      {"herald_messages_out_total", "counter"},
      {"herald_errors_total", "counter"},
      {"herald_closes_total", "counter"},
      {"herald_send_queue_drops_total", "counter"},
      {"herald_storage_commit_seconds", "histogram"},
      {"herald_storage_batch_jobs", "histogram"},
  };
  for (const auto& [family, type] : families) {
    EXPECT_EQ(e.type[family], type) << family;
    EXPECT_FALSE(e.help[family].empty()) << family;
  }
  EXPECT_FALSE(e.type.contains("herald_broker_up"));  // single node: no broker
  // Known labels are present from the start, at zero.
  EXPECT_EQ(e.samples.at("herald_messages_in_total{type=\"message\"}"), 0);
  EXPECT_EQ(e.samples.at("herald_messages_out_total{type=\"notification\"}"), 0);
  EXPECT_EQ(e.samples.at("herald_errors_total{code=\"RATE_LIMITED\"}"), 0);
  EXPECT_EQ(e.samples.at("herald_closes_total{code=\"4010\"}"), 0);
}

TEST(Metrics, CountersIncrease) {
  Metrics m;
  m.message_in("ping");
  m.message_in("ping");
  m.message_in("message");
  m.message_out("chat", 5);
  m.message_out("pong");
  m.error("INVALID_JSON");
  m.close(4010);
  m.close(4010);
  m.close(1000);
  m.send_queue_drop();
  auto e = read(m.render());
  EXPECT_THAT(e.errors, ::testing::IsEmpty());
  EXPECT_EQ(e.samples.at("herald_messages_in_total{type=\"ping\"}"), 2);
  EXPECT_EQ(e.samples.at("herald_messages_in_total{type=\"message\"}"), 1);
  EXPECT_EQ(e.samples.at("herald_messages_in_total{type=\"typing\"}"), 0);
  EXPECT_EQ(e.samples.at("herald_messages_out_total{type=\"chat\"}"), 5);
  EXPECT_EQ(e.samples.at("herald_messages_out_total{type=\"pong\"}"), 1);
  EXPECT_EQ(e.samples.at("herald_errors_total{code=\"INVALID_JSON\"}"), 1);
  EXPECT_EQ(e.samples.at("herald_closes_total{code=\"4010\"}"), 2);
  EXPECT_EQ(e.samples.at("herald_closes_total{code=\"1000\"}"), 1);
  EXPECT_EQ(e.samples.at("herald_send_queue_drops_total"), 1);

  m.close(4999);  // unknown code: its own series
  m.message_in("ping");
  e = read(m.render());
  EXPECT_EQ(e.samples.at("herald_closes_total{code=\"4999\"}"), 1);
  EXPECT_EQ(e.samples.at("herald_messages_in_total{type=\"ping\"}"), 3);
}

TEST(Metrics, CountsFromManyThreads) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 10000; ++i) {
        m.message_in("typing");
        m.error("custom_code");  // the mutex path
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto e = read(m.render());
  EXPECT_EQ(e.samples.at("herald_messages_in_total{type=\"typing\"}"), 40000);
  EXPECT_EQ(e.samples.at("herald_errors_total{code=\"custom_code\"}"), 40000);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Metrics m;
  m.storage_commit(0.0004, 1);  // <= 0.0005
  m.storage_commit(0.003, 1);   // <= 0.005
  m.storage_commit(0.005, 1);   // exactly on a bound: counted in it (le = "at most")
  m.storage_commit(0.2, 1);     // <= 0.25
  m.storage_commit(30, 600);   // only +Inf
  auto e = read(m.render());
  EXPECT_THAT(e.errors, ::testing::IsEmpty());
  const std::string b = "herald_storage_commit_seconds_bucket";
  EXPECT_EQ(e.samples.at(b + "{le=\"0.0005\"}"), 1);
  EXPECT_EQ(e.samples.at(b + "{le=\"0.001\"}"), 1);
  EXPECT_EQ(e.samples.at(b + "{le=\"0.0025\"}"), 1);
  EXPECT_EQ(e.samples.at(b + "{le=\"0.005\"}"), 3);
  EXPECT_EQ(e.samples.at(b + "{le=\"0.25\"}"), 4);
  EXPECT_EQ(e.samples.at(b + "{le=\"5\"}"), 4);
  EXPECT_EQ(e.samples.at(b + "{le=\"+Inf\"}"), 5);
  EXPECT_EQ(e.samples.at("herald_storage_commit_seconds_count"), 5);
  EXPECT_NEAR(e.samples.at("herald_storage_commit_seconds_sum"), 30.2084, 1e-9);
  // The batch-size histogram counts jobs per commit on its own bounds.
  const std::string jobs = "herald_storage_batch_jobs_bucket";
  EXPECT_EQ(e.samples.at(jobs + "{le=\"1\"}"), 4);
  EXPECT_EQ(e.samples.at(jobs + "{le=\"512\"}"), 4);
  EXPECT_EQ(e.samples.at(jobs + "{le=\"1024\"}"), 5);
  EXPECT_EQ(e.samples.at("herald_storage_batch_jobs_sum"), 604);
  // Non-decreasing in the order written, ending at +Inf.
  double previous = 0;
  std::string last_bucket;
  for (const auto& key : e.sample_order) {
    if (!key.starts_with(b)) continue;
    EXPECT_GE(e.samples.at(key), previous) << key;
    previous = e.samples.at(key);
    last_bucket = key;
  }
  EXPECT_EQ(last_bucket, b + "{le=\"+Inf\"}");
}

TEST(Metrics, GaugesAndBrokerComeFromSources) {
  Metrics m;
  m.set_gauge_source([] { return 12.0; }, [] { return 7.0; });
  std::optional<bool> broker;
  m.set_broker_up([&broker] { return broker; });
  auto e = read(m.render());
  EXPECT_EQ(e.samples.at("herald_connections"), 12);
  EXPECT_EQ(e.samples.at("herald_users_online"), 7);
  EXPECT_FALSE(e.samples.contains("herald_broker_up"));
  broker = true;
  e = read(m.render());
  EXPECT_EQ(e.type["herald_broker_up"], "gauge");
  EXPECT_EQ(e.samples.at("herald_broker_up"), 1);
  broker = false;
  EXPECT_EQ(read(m.render()).samples.at("herald_broker_up"), 0);
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value(R"(a"b\c)" "\n" "d"), R"(a\"b\\c\nd)");
  Metrics m;
  m.message_in("we\"ird\\type\n");
  const std::string text = m.render();
  EXPECT_THAT(text, HasSubstr(R"(herald_messages_in_total{type="we\"ird\\type\n"} 1)"));
  EXPECT_THAT(read(text).errors, ::testing::IsEmpty());
}

TEST(Metrics, UnknownLabelsAreBounded) {
  Metrics m;
  for (int i = 0; i < 200; ++i) m.message_in("t" + std::to_string(i));
  m.message_in("t0");  // an existing extra label keeps counting on its own
  auto e = read(m.render());
  std::size_t extra_series = 0;
  const std::string prefix = "herald_messages_in_total{type=\"t";
  for (const auto& [key, value] : e.samples) {
    if (key.starts_with(prefix) && std::isdigit(static_cast<unsigned char>(key[prefix.size()]))) ++extra_series;
  }
  EXPECT_EQ(extra_series, LabelledCounter::kMaxExtraLabels);
  EXPECT_EQ(e.samples.at("herald_messages_in_total{type=\"t0\"}"), 2);
  EXPECT_EQ(e.samples.at("herald_messages_in_total{type=\"other\"}"), 200 - LabelledCounter::kMaxExtraLabels);
}

TEST(Metrics, ProcessWideInstance) {
  EXPECT_EQ(&metrics(), &metrics());
  const auto before = read(metrics().render()).samples.at("herald_send_queue_drops_total");
  metrics().send_queue_drop();
  EXPECT_EQ(read(metrics().render()).samples.at("herald_send_queue_drops_total"), before + 1);
}

}  // namespace
}  // namespace herald::util
