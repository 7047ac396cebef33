// Micro-benchmarks of the protocol hot path: parsing + validating inbound
// chat frames and building the outbound frames every event fans out as.
// Compare against uWebSockets' per-message cost; wired into CMake by bench/.
#include <benchmark/benchmark.h>

#include <string>

#include "protocol/client_messages.hpp"
#include "protocol/server_messages.hpp"

namespace {

using namespace herald;
using namespace herald::protocol;

const std::string kChatFrame =
    R"({"type":"message","to_user_id":456,"message":"Hello! How are you doing today?",)"
    R"("timestamp":"2025-10-22T10:00:00.000Z","client_msg_id":"m-0001"})";

void BM_ParseChat(benchmark::State& state) {
  for (auto _ : state) {
    auto r = parse_client_message(kChatFrame);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kChatFrame.size()));
}
BENCHMARK(BM_ParseChat);

void BM_ParseChatLong(benchmark::State& state) {
  // a 4000-character message: beyond the 4 KiB arena, so the heap fallback is measured
  const std::string frame = R"({"type":"message","to_user_id":456,"message":")" +
                            std::string(4000, 'x') + R"(","client_msg_id":"m-0001"})";
  for (auto _ : state) {
    auto r = parse_client_message(frame);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame.size()));
}
BENCHMARK(BM_ParseChatLong);

void BM_ParsePing(benchmark::State& state) {
  const std::string frame = R"({"type":"ping","timestamp":"2025-10-22T10:00:00.000Z"})";
  for (auto _ : state) {
    auto r = parse_client_message(frame);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ParsePing);

void BM_ParseInvalid(benchmark::State& state) {
  const std::string frame = R"({"type":"message","to_user_id":"5","message":"x","client_msg_id":"m"})";
  for (auto _ : state) {
    auto r = parse_client_message(frame);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ParseInvalid);

void BM_BuildChat(benchmark::State& state) {
  const ChatEvent event{Seq{58}, MessageId{9001}, UserId{456}, "John", UserId{123},
                        "Hello! How are you doing today?", "2025-10-22T10:00:00.000Z"};
  for (auto _ : state) {
    std::string frame = chat(event, "2025-10-22T10:00:00.123Z");
    benchmark::DoNotOptimize(frame);
  }
}
BENCHMARK(BM_BuildChat);

void BM_BuildUserStatus(benchmark::State& state) {
  for (auto _ : state) {
    std::string frame = user_status(UserId{456}, true, "2025-10-22T10:00:00.123Z");
    benchmark::DoNotOptimize(frame);
  }
}
BENCHMARK(BM_BuildUserStatus);

void BM_BuildAck(benchmark::State& state) {
  const std::optional<std::string> id = "m-0001";
  for (auto _ : state) {
    std::string frame = ack(id, MessageId{9001}, Seq{12}, "2025-10-22T10:00:00.123Z");
    benchmark::DoNotOptimize(frame);
  }
}
BENCHMARK(BM_BuildAck);

void BM_BuildConnected(benchmark::State& state) {
  const ConnectedInfo info{"John", UserId{456}, 1234, "c0000000000000a75", "2025-10-22T10:00:00.123Z",
                           30, 3, 57};
  for (auto _ : state) {
    std::string frame = connected(info);
    benchmark::DoNotOptimize(frame);
  }
}
BENCHMARK(BM_BuildConnected);

void BM_BuildPong(benchmark::State& state) {
  for (auto _ : state) {
    std::string frame = pong("2025-10-22T10:00:00.123Z");
    benchmark::DoNotOptimize(frame);
  }
}
BENCHMARK(BM_BuildPong);

void BM_BuildPresence(benchmark::State& state) {
  const std::optional<std::string> data = R"({"device":"desktop"})";
  for (auto _ : state) {
    std::string frame = presence(UserId{456}, PresenceStatus::away, data);
    benchmark::DoNotOptimize(frame);
  }
}
BENCHMARK(BM_BuildPresence);

void BM_BuildTyping(benchmark::State& state) {
  for (auto _ : state) {
    std::string frame = typing(UserId{456}, true, "chat:123");
    benchmark::DoNotOptimize(frame);
  }
}
BENCHMARK(BM_BuildTyping);

void BM_BuildSubscribed(benchmark::State& state) {
  for (auto _ : state) {
    std::string frame = subscribed("presence:123");
    benchmark::DoNotOptimize(frame);
  }
}
BENCHMARK(BM_BuildSubscribed);

void BM_BuildError(benchmark::State& state) {
  const std::optional<std::string> ref = "m-0001";
  for (auto _ : state) {
    std::string frame = error(ErrorCode::user_not_found, "to_user_id names no known user", ref,
                              "2025-10-22T10:00:00.123Z");
    benchmark::DoNotOptimize(frame);
  }
}
BENCHMARK(BM_BuildError);

void BM_BuildAuthOk(benchmark::State& state) {
  for (auto _ : state) {
    std::string frame = auth_ok("2025-10-22T11:00:00.000Z");
    benchmark::DoNotOptimize(frame);
  }
}
BENCHMARK(BM_BuildAuthOk);

void BM_BuildNotification(benchmark::State& state) {
  const NotificationEvent n{Seq{59}, 77, "new_follower", "New follower", "John followed you",
                            R"({"follower_id":456})", "/users/456", false, "2025-10-22T10:00:00.000Z"};
  for (auto _ : state) {
    std::string frame = notification(n, "2025-10-22T10:00:00.123Z");
    benchmark::DoNotOptimize(frame);
  }
}
BENCHMARK(BM_BuildNotification);

}  // namespace
