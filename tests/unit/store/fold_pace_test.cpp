// The writer's pace against the fold: free while the fold keeps up, a
// short pause per batch when it falls behind, a (bounded) wait for a fold
// only when far behind.
#include "store/sqlite/fold_pace.hpp"

#include <gtest/gtest.h>

using herald::store::sqlite::fold_pace;
using herald::store::sqlite::FoldPace;
using herald::store::sqlite::fold_brake;

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

// The brake's pause grows with the backlog past two folds, capped.
TEST(FoldPace, TheBrakeGrowsWithTheBacklog) {
  using us = std::chrono::microseconds;
  EXPECT_EQ(fold_brake(200, 100), us(0));     // not braking
  EXPECT_EQ(fold_brake(201, 100), us(1040));  // just past two folds
  EXPECT_EQ(fold_brake(225, 100), us(2000));  // a quarter fold more: 1 ms more
  EXPECT_EQ(fold_brake(250, 100), us(3000));
  EXPECT_EQ(fold_brake(275, 100), us(4000));
  EXPECT_EQ(fold_brake(400, 100), us(4000));  // capped
}
