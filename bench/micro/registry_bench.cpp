// Micro-benchmarks of the lookups every event makes: which workers hold a
// user's connections (each chat and ack), whether a recipient exists (each
// chat), and attach/detach (each connection set-up and close).
#include <benchmark/benchmark.h>

#include "realtime/presence_registry.hpp"
#include "realtime/user_directory.hpp"

namespace {

using namespace herald;

constexpr int kUsers = 100000;

realtime::PresenceRegistry& filled_registry() {
  static realtime::PresenceRegistry registry;  // holds mutexes: filled in place, once
  static const bool filled = [] {
    for (int i = 1; i <= kUsers; ++i) registry.attach(UserId{i}, static_cast<unsigned>(i % 2), 10);
    return true;
  }();
  (void)filled;
  return registry;
}

void BM_RegistryWorkersOf(benchmark::State& state) {
  auto& registry = filled_registry();
  std::int64_t user = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(registry.workers_of(UserId{user}));
    user = user % kUsers + 1;
  }
}
BENCHMARK(BM_RegistryWorkersOf);

void BM_RegistryAttachDetach(benchmark::State& state) {
  auto& registry = filled_registry();
  for (auto _ : state) {
    auto a = registry.attach(UserId{kUsers + 7}, 0, 10);
    benchmark::DoNotOptimize(a);
    auto d = registry.detach(UserId{kUsers + 7}, 0);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_RegistryAttachDetach);

void BM_DirectoryContains(benchmark::State& state) {
  static realtime::UserDirectory directory;
  static const bool filled = [] {
    for (int i = 1; i <= kUsers; ++i) directory.put(UserId{i}, "user" + std::to_string(i), Seq{0}, std::nullopt, 0);
    return true;
  }();
  (void)filled;
  std::int64_t user = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(directory.contains(UserId{user}));
    user = user % kUsers + 1;
  }
}
BENCHMARK(BM_DirectoryContains);

}  // namespace
