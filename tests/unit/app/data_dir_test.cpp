// The data directory's privacy (data_dir.hpp, jwt_setup.hpp): directories
// created 0700 and the generated secret 0600 whatever the umask, loose modes
// reported.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/data_dir.hpp"
#include "app/jwt_setup.hpp"

namespace herald::app {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

// A fresh directory under /tmp and a permissive umask (022, the usual
// default), both undone afterwards.
class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_umask_ = ::umask(022);
    root_ = fs::temp_directory_path() /
            ("herald-data-dir-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override {
    fs::remove_all(root_);
    ::umask(old_umask_);
  }
  fs::path root_;
  mode_t old_umask_ = 022;
};

TEST_F(DataDirTest, CreatedDirectoriesArePrivateWhateverTheUmask) {
  const fs::path dir = root_ / "a" / "b";
  EXPECT_FALSE(create_private_directory(dir));
  EXPECT_EQ(mode_of(root_ / "a"), 0700u);
  EXPECT_EQ(mode_of(dir), 0700u);
  // Existing directories are left as they are.
  fs::permissions(dir, fs::perms(0755));
  EXPECT_FALSE(create_private_directory(dir));
  EXPECT_EQ(mode_of(dir), 0755u);
  // A trailing slash is the same directory.
  EXPECT_FALSE(create_private_directory(dir.string() + "/"));
}

TEST_F(DataDirTest, AFileInTheWayIsAnError) {
  std::ofstream(root_ / "file") << "x";
  EXPECT_TRUE(create_private_directory(root_ / "file"));
}

TEST_F(DataDirTest, LooseModesAreReportedOnePathALine) {
  EXPECT_TRUE(exposed_data_paths(root_ / "absent").empty());
  fs::permissions(root_, fs::perms(0700));
  EXPECT_TRUE(exposed_data_paths(root_).empty());
  std::ofstream(root_ / "herald.db") << "";
  std::ofstream(root_ / "jwt_secret") << "s\n";
  std::ofstream(root_ / "unrelated.txt") << "";  // not Herald's: not reported
  fs::permissions(root_ / "herald.db", fs::perms(0644));
  fs::permissions(root_ / "jwt_secret", fs::perms(0600));
  fs::permissions(root_ / "unrelated.txt", fs::perms(0644));
  EXPECT_THAT(
      exposed_data_paths(root_),
      ElementsAre(HasSubstr("data file " + (root_ / "herald.db").string() + " is mode 0644")));
  fs::permissions(root_, fs::perms(0750));
  fs::permissions(root_ / "jwt_secret", fs::perms(0620));  // group-writable counts too
  const auto lines = exposed_data_paths(root_);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[0], HasSubstr("data directory " + root_.string() + " is mode 0750"));
  EXPECT_THAT(lines[0], HasSubstr("chmod 700"));
  EXPECT_THAT(lines[2], HasSubstr("jwt_secret is mode 0620"));
}

TEST_F(DataDirTest, GeneratedSecretIsPrivateAndKept) {
  Settings settings;
  settings.data_dir = (root_ / "data").string();
  auto first = load_jwt_keys(settings);
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(first->secret.size(), 64u);
  EXPECT_EQ(mode_of(root_ / "data"), 0700u);
  EXPECT_EQ(mode_of(root_ / "data" / "jwt_secret"), 0600u);
  auto second = load_jwt_keys(settings);
  ASSERT_TRUE(second) << second.error();
  EXPECT_EQ(second->secret, first->secret);
  // Nothing else is left in the directory (no temporary file).
  EXPECT_EQ(std::distance(fs::directory_iterator(root_ / "data"), fs::directory_iterator()), 1);
}

TEST_F(DataDirTest, AnEmptySecretFileIsReplaced) {
  Settings settings;
  settings.data_dir = root_.string();
  std::ofstream(root_ / "jwt_secret") << "";
  auto keys = load_jwt_keys(settings);
  ASSERT_TRUE(keys) << keys.error();
  EXPECT_EQ(keys->secret.size(), 64u);
  EXPECT_EQ(mode_of(root_ / "jwt_secret"), 0600u);
  std::ifstream in(root_ / "jwt_secret");
  std::string stored;
  std::getline(in, stored);
  EXPECT_EQ(stored, keys->secret);
}

TEST_F(DataDirTest, AnExistingSecretIsUsedAsItIs) {
  Settings settings;
  settings.data_dir = root_.string();
  std::ofstream(root_ / "jwt_secret") << "kept-secret-of-at-least-32-bytes-0123\r\n";
  auto keys = load_jwt_keys(settings);
  ASSERT_TRUE(keys) << keys.error();
  EXPECT_EQ(keys->secret, "kept-secret-of-at-least-32-bytes-0123");
}

}  // namespace
}  // namespace herald::app
