// The time, subject and header rules of PROTOCOL.md section 1 added on top
// of signature checking: nbf, iat in the future, a canonical sub, the
// accepted header typ values, and the HS256 secret's minimum length.
#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "token_forge.hpp"

namespace herald::auth {
namespace {

using test::forge_hs256;

constexpr std::int64_t kNow = 1'760'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef-test-secret";

JwtVerifier verifier() {
  JwtKeys keys;
  keys.secret = kSecret;
  return JwtVerifier(keys);
}

std::string with_claims(const std::string& extra) {
  return forge_hs256(R"({"sub":"5","exp":1760003600)" + extra + "}", kSecret);
}

TEST(JwtNotBefore, RefusedUntilNbfThenAccepted) {
  const auto token = with_claims(R"(,"nbf":1760000100)");
  EXPECT_EQ(verifier().verify(token, kNow).error(), TokenError::not_yet_valid);
  EXPECT_EQ(verifier().verify(token, kNow + 99).error(), TokenError::not_yet_valid);
  const auto claims = verifier().verify(token, kNow + 100);  // nbf itself is valid: no leeway
  ASSERT_TRUE(claims.has_value()) << describe(claims.error());
  EXPECT_EQ(claims->nbf, 1'760'000'100);
}

TEST(JwtNotBefore, PastOrFractionalNbfIsFine) {
  EXPECT_TRUE(verifier().verify(with_claims(R"(,"nbf":1759999000)"), kNow).has_value());
  EXPECT_TRUE(verifier().verify(with_claims(R"(,"nbf":1759999999.5)"), kNow).has_value());
  EXPECT_TRUE(verifier().verify(with_claims(R"(,"nbf":null)"), kNow).has_value());
}

// Expiry is reported before "not yet valid": a token that is both is dead.
TEST(JwtNotBefore, ExpiredWinsOverNotYetValid) {
  const auto token = forge_hs256(R"({"sub":"5","exp":1759999999,"nbf":1760000500})", kSecret);
  EXPECT_EQ(verifier().verify(token, kNow).error(), TokenError::expired);
}

TEST(JwtIssuedAt, FutureBeyondTheLeewayIsRefused) {
  EXPECT_EQ(kIatLeewayS, 60);
  EXPECT_TRUE(verifier().verify(with_claims(R"(,"iat":1760000060)"), kNow).has_value());
  EXPECT_EQ(verifier().verify(with_claims(R"(,"iat":1760000061)"), kNow).error(),
            TokenError::not_yet_valid);
  EXPECT_EQ(verifier().verify(with_claims(R"(,"iat":1760003000)"), kNow).error(),
            TokenError::not_yet_valid);
  EXPECT_TRUE(verifier().verify(with_claims(R"(,"iat":1700000000)"), kNow).has_value());
}

TEST(JwtSubject, OnlyCanonicalDecimalNamesAUser) {
  for (const char* sub : {"0007", "07", "0", "00", "+7", "-7", " 7", "7 ", "7.0", "1e3", "０"}) {
    const auto token = forge_hs256(std::string(R"({"sub":")") + sub + R"(","exp":1760003600})", kSecret);
    EXPECT_EQ(verifier().verify(token, kNow).error(), TokenError::bad_claims) << sub;
  }
  for (const char* sub : {"7", "10", "100", "9223372036854775807"}) {
    const auto token = forge_hs256(std::string(R"({"sub":")") + sub + R"(","exp":1760003600})", kSecret);
    const auto claims = verifier().verify(token, kNow);
    ASSERT_TRUE(claims.has_value()) << sub;
    EXPECT_EQ(std::to_string(raw(claims->user_id)), sub);
  }
}

TEST(JwtHeaderTyp, AccessTokenTypesAreAccepted) {
  const std::string payload = R"({"sub":"5","exp":1760003600})";
  for (const char* header : {R"({"alg":"HS256","typ":"JWT"})", R"({"alg":"HS256","typ":"jwt"})",
                             R"({"alg":"HS256","typ":"at+jwt"})", R"({"alg":"HS256","typ":"AT+JWT"})",
                             R"({"alg":"HS256","typ":"application/at+jwt"})",
                             R"({"alg":"HS256","typ":"application/jwt"})", R"({"alg":"HS256"})"}) {
    EXPECT_TRUE(verifier().verify(forge_hs256(header, payload, kSecret), kNow).has_value()) << header;
  }
  for (const char* header :
       {R"({"alg":"HS256","typ":"JOSE"})", R"({"alg":"HS256","typ":"at+jwt "})",
        R"({"alg":"HS256","typ":"application/"})", R"({"alg":"HS256","typ":"secevent+jwt"})",
        R"({"alg":"HS256","typ":"xapplication/at+jwt"})", R"({"alg":"HS256","typ":7})"}) {
    EXPECT_EQ(verifier().verify(forge_hs256(header, payload, kSecret), kNow).error(),
              TokenError::malformed)
        << header;
  }
}

TEST(JwtSecret, ShorterThan32BytesIsRefused) {
  EXPECT_EQ(kMinHs256SecretBytes, 32u);
  JwtKeys keys;
  keys.secret = std::string(31, 'k');
  EXPECT_THROW(JwtVerifier{keys}, std::invalid_argument);
  EXPECT_THROW(JwtIssuer{keys}, std::invalid_argument);
  keys.secret = std::string(32, 'k');
  EXPECT_NO_THROW(JwtVerifier{keys});
  EXPECT_NO_THROW(JwtIssuer{keys});
}

}  // namespace
}  // namespace herald::auth
