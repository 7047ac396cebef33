#pragma once
// A fresh database file for the running test, in its own directory under
// $TMPDIR (herald-<what>-<pid>-<test name>), and every such directory
// removed when the test program ends: the databases are closed by then,
// and nothing is left behind in /tmp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace herald::test {

namespace detail {
struct TempDirs {
  std::vector<std::filesystem::path> made;
  ~TempDirs() {
    std::error_code ec;
    for (const auto& dir : made) std::filesystem::remove_all(dir, ec);
  }
};
inline TempDirs& temp_dirs() {
  static TempDirs dirs;
  return dirs;
}
}  // namespace detail

inline std::filesystem::path temp_db(const std::string& what) {
  auto dir = std::filesystem::temp_directory_path() /
             ("herald-" + what + "-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  detail::temp_dirs().made.push_back(dir);
  return dir / "herald.db";
}

}  // namespace herald::test
