// Micro-benchmarks for the token path every WebSocket handshake and REST
// request takes: verifying an HS256 access token (and, for scale, minting
// one). Link against herald_auth and benchmark::benchmark_main.
#include <benchmark/benchmark.h>

#include "auth/jwt.hpp"

namespace {

using herald::UserId;
using herald::auth::JwtIssuer;
using herald::auth::JwtKeys;
using herald::auth::JwtVerifier;
using herald::auth::TokenType;

constexpr std::int64_t kNow = 1'760'000'000;

JwtKeys bench_keys() {
  JwtKeys keys;
  keys.secret = "benchmark-secret-benchmark-secret-0123456789";
  return keys;
}

void BM_VerifyHs256(benchmark::State& state) {
  const JwtIssuer issuer(bench_keys());
  const JwtVerifier verifier(bench_keys());
  const std::string token = issuer.mint(UserId{123456}, "alice", TokenType::access, kNow, 3600);
  for (auto _ : state) {
    auto claims = verifier.verify(token, kNow);
    if (!claims) state.SkipWithError("token did not verify");
    benchmark::DoNotOptimize(claims);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyHs256);

// Rejection must not be costlier than acceptance (bad tokens are cheap to send).
void BM_VerifyHs256BadSignature(benchmark::State& state) {
  JwtKeys other = bench_keys();
  other.secret = "some-other-secret-some-other-secret-0123456";
  const std::string token =
      JwtIssuer(other).mint(UserId{123456}, "alice", TokenType::access, kNow, 3600);
  const JwtVerifier verifier(bench_keys());
  for (auto _ : state) {
    auto claims = verifier.verify(token, kNow);
    benchmark::DoNotOptimize(claims);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyHs256BadSignature);

void BM_MintHs256(benchmark::State& state) {
  const JwtIssuer issuer(bench_keys());
  for (auto _ : state) {
    auto token = issuer.mint(UserId{123456}, "alice", TokenType::access, kNow, 3600);
    benchmark::DoNotOptimize(token);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MintHs256);

}  // namespace
