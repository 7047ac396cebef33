// load_jwt_keys: the HS256 secret from the settings or from the data
// directory (generated once), and its minimum length on that second path.
#include "app/jwt_setup.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "auth/jwt.hpp"

namespace herald::app {
namespace {

using ::testing::HasSubstr;

class JwtSetup : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("herald-jwt-setup-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    settings_.data_dir = dir_.string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  Settings settings_;
};

TEST_F(JwtSetup, GeneratedSecretIsLongEnoughAndKept) {
  auto first = load_jwt_keys(settings_);
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(first->secret.size(), 64u);
  EXPECT_GE(first->secret.size(), auth::kMinHs256SecretBytes);
  auto again = load_jwt_keys(settings_);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->secret, first->secret);
  EXPECT_NO_THROW(auth::JwtVerifier{*again});
}

TEST_F(JwtSetup, ShortSecretFileIsRefusedWithItsName) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ / "jwt_secret") << "hand-written\n";
  auto keys = load_jwt_keys(settings_);
  ASSERT_FALSE(keys);
  EXPECT_THAT(keys.error(), HasSubstr((dir_ / "jwt_secret").string()));
  EXPECT_THAT(keys.error(), HasSubstr("at least 32 bytes"));
}

TEST_F(JwtSetup, ConfiguredSecretWins) {
  settings_.jwt_secret = std::string(40, 'q');
  auto keys = load_jwt_keys(settings_);
  ASSERT_TRUE(keys) << keys.error();
  EXPECT_EQ(keys->secret, settings_.jwt_secret);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "jwt_secret"));
}

}  // namespace
}  // namespace herald::app
