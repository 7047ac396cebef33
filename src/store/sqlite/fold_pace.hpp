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
  brake,  // behind: pause fold_brake(...) before the batch
  wait,   // far behind: wait until a fold brings it back under kFoldWaitFolds
};

inline constexpr std::int64_t kFoldBrakeFolds = 2;
inline constexpr std::int64_t kFoldWaitFolds = 4;

// The pause before a batch when braking grows with the backlog: 1 ms just
// past two folds, 1 ms more per quarter fold, at most 4 ms. A fixed 1 ms
// was too little once the fold ran at nice 5: at a full core it fell to
// four folds behind and the writer waited (closed-loop chat p99 63 ms at 4
// in flight); growing pauses find the fold's share first (p99 18-20 ms,
// against 21-24 ms at nice 0 with the fixed brake).
constexpr std::chrono::microseconds fold_brake(std::int64_t unfolded_rows, std::int64_t fold_rows) {
  std::int64_t excess = unfolded_rows - kFoldBrakeFolds * fold_rows;
  if (excess <= 0) return std::chrono::microseconds(0);
  constexpr std::int64_t kFirstUs = 1000, kPerFoldUs = 4000, kMostUs = 4000;
  std::int64_t us = kFirstUs + excess * kPerFoldUs / (fold_rows > 0 ? fold_rows : 1);
  return std::chrono::microseconds(us > kMostUs ? kMostUs : us);
}

constexpr FoldPace fold_pace(std::int64_t unfolded_rows, std::int64_t fold_rows) {
  if (unfolded_rows > kFoldWaitFolds * fold_rows) return FoldPace::wait;
  if (unfolded_rows > kFoldBrakeFolds * fold_rows) return FoldPace::brake;
  return FoldPace::go;
}

}  // namespace herald::store::sqlite
