// The writer's pace against the fold: free while the fold keeps up, a
// short pause per batch when it falls behind, a (bounded) wait for a fold
// only when far behind.
#include "store/sqlite/fold_pace.hpp"

#include <gtest/gtest.h>

using herald::store::sqlite::fold_pace;
using herald::store::sqlite::FoldPace;

TEST(FoldPace, GoesWhileTheFoldKeepsUp) {
  EXPECT_EQ(fold_pace(0, 100), FoldPace::go);
  EXPECT_EQ(fold_pace(150, 100), FoldPace::go);  // a fold is due, or running
  EXPECT_EQ(fold_pace(200, 100), FoldPace::go);
}

TEST(FoldPace, BrakesPastTwoFoldsOfBacklog) {
  EXPECT_EQ(fold_pace(201, 100), FoldPace::brake);
  EXPECT_EQ(fold_pace(400, 100), FoldPace::brake);
}

TEST(FoldPace, WaitsOnlyPastFourFolds) {
  EXPECT_EQ(fold_pace(401, 100), FoldPace::wait);
  EXPECT_EQ(fold_pace(1'000'000, 100), FoldPace::wait);
}
