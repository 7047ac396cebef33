// Argon2id password hashing through libsodium (real hashing, ~tens of ms each).
#include "auth/password.hpp"

#include <gtest/gtest.h>

namespace herald::auth {
namespace {

TEST(Password, HashVerifiesAndWrongPasswordFails) {
  const auto hash = hash_password("correct horse battery staple");
  EXPECT_TRUE(verify_password(hash, "correct horse battery staple"));
  EXPECT_FALSE(verify_password(hash, "correct horse battery stapl"));
  EXPECT_FALSE(verify_password(hash, "Correct horse battery staple"));
  EXPECT_FALSE(verify_password(hash, ""));
}

TEST(Password, HashIsArgon2idWithOwaspParameters) {
  const auto hash = hash_password("hunter22");
  EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
  EXPECT_NE(hash.find("m=19456,t=2,p=1"), std::string::npos) << hash;
  EXPECT_EQ(hash.find("hunter22"), std::string::npos);
  EXPECT_FALSE(password_needs_rehash(hash));
}

TEST(Password, SaltMakesEveryHashDifferent) {
  const auto a = hash_password("same password");
  const auto b = hash_password("same password");
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify_password(a, "same password"));
  EXPECT_TRUE(verify_password(b, "same password"));
}

TEST(Password, BinaryAndUnicodePasswordsRoundTrip) {
  const std::string tricky("pa\0ss\xc3\xa9", 7);
  const auto hash = hash_password(tricky);
  EXPECT_TRUE(verify_password(hash, tricky));
  EXPECT_FALSE(verify_password(hash, "pa"));  // bytes after the NUL count too
}

TEST(Password, MalformedStoredHashVerifiesNothing) {
  EXPECT_FALSE(verify_password("", "x"));
  EXPECT_FALSE(verify_password("plaintext", "plaintext"));
  EXPECT_FALSE(verify_password("$argon2id$v=19$m=19456,t=2,p=1$garbage", "x"));
  EXPECT_FALSE(verify_password(std::string(1000, '$'), "x"));
  auto hash = hash_password("secret-pw");
  hash.back() = hash.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password(hash, "secret-pw"));
  EXPECT_TRUE(password_needs_rehash("plaintext"));
}

TEST(Password, DummyHashIsStableAndMatchesNothingGuessable) {
  const auto& dummy = dummy_password_hash();
  EXPECT_TRUE(dummy.starts_with("$argon2id$"));
  EXPECT_EQ(&dummy, &dummy_password_hash());
  EXPECT_FALSE(verify_password(dummy, ""));
  EXPECT_FALSE(verify_password(dummy, "password"));
}

}  // namespace
}  // namespace herald::auth
