#pragma once
// How the writer keeps pace with the fold (sqlite_fold.cpp). The fold
// runs on its own thread at background priority and normally keeps up:
// a fold starts once kFoldRows chats are unfolded and ends long before as
// many more arrive. When it falls behind (a saturated core, a slow disk),
// the writer gives it time, in small steps first: a pause before each
// batch costs every chat in it a millisecond, where waiting for a whole
// fold stopped every ack for the fold's length (50-100 ms: the chat p99
// of issue 9). Only far behind does the writer wait for a fold (bounded),
// which keeps the log, and the memory that mirrors it, bounded.
#include <chrono>
#include <cstdint>

namespace herald::store::sqlite {

enum class FoldPace {
  go,     // the fold keeps up
  brake,  // behind: pause kFoldBrake before the batch
  wait,   // far behind: wait until a fold brings it back under kFoldWaitFolds
};

inline constexpr std::int64_t kFoldBrakeFolds = 2;
inline constexpr std::int64_t kFoldWaitFolds = 4;
inline constexpr auto kFoldBrake = std::chrono::milliseconds(1);

constexpr FoldPace fold_pace(std::int64_t unfolded_rows, std::int64_t fold_rows) {
  if (unfolded_rows > kFoldWaitFolds * fold_rows) return FoldPace::wait;
  if (unfolded_rows > kFoldBrakeFolds * fold_rows) return FoldPace::brake;
  return FoldPace::go;
}

}  // namespace herald::store::sqlite
