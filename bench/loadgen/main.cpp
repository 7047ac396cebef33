// herald-loadgen: the load generator of bench/ (issue 3). One thread, one
// epoll loop, loopback only; each run is bounded and prints a table and one
// JSON line. Usage: herald-loadgen --help.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "options.hpp"
#include "proc_stats.hpp"
#include "scenario.hpp"

namespace herald::bench {
std::unique_ptr<Scenario> make_connect(const Options&);
std::unique_ptr<Scenario> make_chat(const Options&);
std::unique_ptr<Scenario> make_fanout(const Options&);
std::unique_ptr<Scenario> make_ping(const Options&);
std::unique_ptr<Scenario> make_storm(const Options&);
std::unique_ptr<Scenario> make_publish(const Options&);

std::unique_ptr<Scenario> make_scenario(const Options& o) {
  if (o.scenario == "connect") return make_connect(o);
  if (o.scenario == "chat") return make_chat(o);
  if (o.scenario == "fanout") return make_fanout(o);
  if (o.scenario == "ping") return make_ping(o);
  if (o.scenario == "storm") return make_storm(o);
  if (o.scenario == "publish") return make_publish(o);
  return nullptr;
}
}  // namespace herald::bench

int main(int argc, char** argv) {
  using namespace herald::bench;
  auto parsed = parse_options(argc, argv);
  if (!parsed) {
    std::cerr << parsed.error() << "\n";
    return 2;
  }
  const Options& o = *parsed;
  std::signal(SIGPIPE, SIG_IGN);
  std::uint64_t clients = o.scenario == "chat" ? o.pairs * 2 : o.connections + 1;
  std::uint64_t limit = raise_fd_limit(clients + 64);
  if (limit < clients + 16) {
    std::cerr << "fd limit " << limit << " is below the " << clients << " clients asked for\n";
    return 2;
  }
  auto scenario = make_scenario(o);
  if (!scenario) {
    std::cerr << "unknown scenario " << o.scenario << "\n" << usage();
    return 2;
  }
  Result result;
  result.param("sources", static_cast<std::int64_t>(o.target.source_addresses));
  result.param("tls", std::string(o.target.tls ? "yes" : "no"));
  bool ok = scenario->run(result);
  result.metric("ok", std::string(ok ? "yes" : "no"));
  result.print(o.scenario, o.label);
  std::string line = result.json(o.scenario, o.label);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  if (!o.json_path.empty()) {
    std::ofstream(o.json_path, std::ios::app) << line << "\n";
  }
  return ok ? 0 : 1;
}
