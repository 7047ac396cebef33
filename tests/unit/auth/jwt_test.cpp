// HS256 tokens: what the verifier accepts, the claims it reads back, and each
// claim rule of PROTOCOL.md section 1.
#include "auth/jwt.hpp"

#include <gtest/gtest.h>

#include "token_forge.hpp"

namespace herald::auth {
namespace {

using test::forge_hs256;

constexpr std::int64_t kNow = 1'760'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef-test-secret";

JwtKeys hs_keys(std::string secret = kSecret) {
  JwtKeys keys;
  keys.secret = std::move(secret);
  return keys;
}

class JwtHs256 : public ::testing::Test {
 protected:
  JwtIssuer issuer{hs_keys()};
  JwtVerifier verifier{hs_keys()};
};

TEST_F(JwtHs256, ValidAccessTokenVerifies) {
  const auto token = issuer.mint(UserId{123}, "alice", TokenType::access, kNow, 3600);
  const auto claims = verifier.verify(token, kNow);
  ASSERT_TRUE(claims.has_value()) << describe(claims.error());
  EXPECT_EQ(claims->user_id, UserId{123});
  EXPECT_EQ(claims->username, "alice");
  EXPECT_EQ(claims->exp, kNow + 3600);
  EXPECT_EQ(claims->iat, kNow);
  EXPECT_EQ(claims->type, TokenType::access);
  EXPECT_FALSE(claims->role.has_value());
  EXPECT_FALSE(claims->jti.has_value());
}

TEST_F(JwtHs256, OptionalClaimsReadBack) {
  const auto token =
      issuer.mint(UserId{7}, "svc \"backend\" ü", TokenType::access, kNow, 60, "service", "jti-42");
  const auto claims = verifier.verify(token, kNow);
  ASSERT_TRUE(claims.has_value()) << describe(claims.error());
  EXPECT_EQ(claims->username, "svc \"backend\" ü");
  EXPECT_EQ(claims->role, "service");
  EXPECT_EQ(claims->jti, "jti-42");
}

TEST_F(JwtHs256, ExpiryHasNoLeeway) {
  const auto token = issuer.mint(UserId{1}, std::nullopt, TokenType::access, kNow, 100);
  EXPECT_TRUE(verifier.verify(token, kNow + 99).has_value());
  EXPECT_EQ(verifier.verify(token, kNow + 100).error(), TokenError::expired);
  EXPECT_EQ(verifier.verify(token, kNow + 100'000).error(), TokenError::expired);
}

TEST_F(JwtHs256, RefreshAndAccessAreNotInterchangeable) {
  const auto access = issuer.mint(UserId{5}, "bob", TokenType::access, kNow, 3600);
  const auto refresh = issuer.mint(UserId{5}, "bob", TokenType::refresh, kNow, 3600, {}, "r1");
  EXPECT_EQ(verifier.verify(refresh, kNow).error(), TokenError::wrong_type);
  EXPECT_EQ(verifier.verify(access, kNow, TokenType::refresh).error(), TokenError::wrong_type);
  const auto claims = verifier.verify(refresh, kNow, TokenType::refresh);
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->type, TokenType::refresh);
  EXPECT_EQ(claims->jti, "r1");
}

TEST_F(JwtHs256, AbsentTypeCountsAsAccessOnly) {
  const auto token = forge_hs256(R"({"sub":"9","exp":1760003600})", kSecret);
  const auto claims = verifier.verify(token, kNow);
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->user_id, UserId{9});
  EXPECT_FALSE(claims->username.has_value());
  EXPECT_FALSE(claims->iat.has_value());
  EXPECT_EQ(verifier.verify(token, kNow, TokenType::refresh).error(), TokenError::wrong_type);
}

TEST_F(JwtHs256, SubAsJsonIntegerAndMaxInt64Accepted) {
  auto claims = verifier.verify(forge_hs256(R"({"sub":42,"exp":1760003600})", kSecret), kNow);
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->user_id, UserId{42});
  claims = verifier.verify(
      forge_hs256(R"({"sub":"9223372036854775807","exp":1760003600})", kSecret), kNow);
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(raw(claims->user_id), INT64_MAX);
}

TEST_F(JwtHs256, FractionalExpIsAccepted) {
  const auto claims =
      verifier.verify(forge_hs256(R"({"sub":"1","exp":1760003600.75})", kSecret), kNow);
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->exp, 1'760'003'600);
}

struct BadClaimsCase {
  const char* name;
  const char* payload;
};

class JwtBadClaims : public JwtHs256, public ::testing::WithParamInterface<BadClaimsCase> {};

TEST_P(JwtBadClaims, Rejected) {
  const auto result = verifier.verify(forge_hs256(GetParam().payload, kSecret), kNow);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), TokenError::bad_claims);
}

INSTANTIATE_TEST_SUITE_P(
    Claims, JwtBadClaims,
    ::testing::Values(
        BadClaimsCase{"ExpMissing", R"({"sub":"1"})"},
        BadClaimsCase{"ExpString", R"({"sub":"1","exp":"1760003600"})"},
        BadClaimsCase{"ExpBool", R"({"sub":"1","exp":true})"},
        BadClaimsCase{"SubMissing", R"({"exp":1760003600})"},
        BadClaimsCase{"SubNonNumeric", R"({"sub":"alice","exp":1760003600})"},
        BadClaimsCase{"SubTrailingJunk", R"({"sub":"12abc","exp":1760003600})"},
        BadClaimsCase{"SubEmpty", R"({"sub":"","exp":1760003600})"},
        BadClaimsCase{"SubZero", R"({"sub":"0","exp":1760003600})"},
        BadClaimsCase{"SubNegative", R"({"sub":"-5","exp":1760003600})"},
        BadClaimsCase{"SubNegativeInt", R"({"sub":-5,"exp":1760003600})"},
        BadClaimsCase{"SubPlusSign", R"({"sub":"+5","exp":1760003600})"},
        BadClaimsCase{"SubSpace", R"({"sub":" 5","exp":1760003600})"},
        BadClaimsCase{"SubOverflow", R"({"sub":"9223372036854775808","exp":1760003600})"},
        BadClaimsCase{"SubFloat", R"({"sub":5.0,"exp":1760003600})"},
        BadClaimsCase{"TypeUnknown", R"({"sub":"1","exp":1760003600,"type":"id"})"},
        BadClaimsCase{"TypeNotString", R"({"sub":"1","exp":1760003600,"type":1})"},
        BadClaimsCase{"UsernameNotString", R"({"sub":"1","exp":1760003600,"username":7})"},
        BadClaimsCase{"RoleNotString", R"({"sub":"1","exp":1760003600,"role":["service"]})"},
        BadClaimsCase{"IatString", R"({"sub":"1","exp":1760003600,"iat":"now"})"},
        BadClaimsCase{"NbfString", R"({"sub":"1","exp":1760003600,"nbf":"soon"})"},
        BadClaimsCase{"SubLeadingZeros", R"({"sub":"0007","exp":1760003600})"},
        BadClaimsCase{"SubLeadingZero", R"({"sub":"07","exp":1760003600})"},
        BadClaimsCase{"SubAllZeros", R"({"sub":"000","exp":1760003600})"},
        BadClaimsCase{"SubTrailingSpace", R"({"sub":"7 ","exp":1760003600})"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(JwtHs256, WrongSecretIsBadSignature) {
  const JwtIssuer other(hs_keys("another-secret-another-secret-another"));
  const auto token = other.mint(UserId{1}, "alice", TokenType::access, kNow, 3600);
  EXPECT_EQ(verifier.verify(token, kNow).error(), TokenError::bad_signature);
}

TEST_F(JwtHs256, TamperedPayloadIsBadSignature) {
  const auto token = issuer.mint(UserId{1}, "alice", TokenType::access, kNow, 3600);
  // Same claims but another user id: the signature no longer matches.
  const auto forged = test::swap_payload(
      token, R"({"sub":"2","username":"alice","iat":1760000000,"exp":1760003600,"type":"access"})");
  EXPECT_EQ(verifier.verify(forged, kNow).error(), TokenError::bad_signature);
}

TEST_F(JwtHs256, TamperedSignatureIsBadSignature) {
  auto token = issuer.mint(UserId{1}, "alice", TokenType::access, kNow, 3600);
  char& last_sig_char = token[token.size() - 2];  // not the last: it carries padding bits
  last_sig_char = last_sig_char == 'A' ? 'B' : 'A';
  EXPECT_EQ(verifier.verify(token, kNow).error(), TokenError::bad_signature);
}

// The HS256 check (libsodium HMAC) takes exactly a 32-byte MAC: a prefix of
// the right one, the right one with bytes added, or a long secret's
// signature (HMAC hashes keys over 64 bytes first) all behave as they must.
TEST_F(JwtHs256, SignatureOfAnyOtherLengthIsBadSignature) {
  auto token = issuer.mint(UserId{1}, "alice", TokenType::access, kNow, 3600);
  EXPECT_EQ(verifier.verify(token.substr(0, token.size() - 1), kNow).error(), TokenError::bad_signature);
  EXPECT_EQ(verifier.verify(token + "AAAA", kNow).error(), TokenError::bad_signature);
  const auto dot = token.rfind('.');
  EXPECT_EQ(verifier.verify(token.substr(0, dot + 1) + std::string(86, 'A'), kNow).error(),
            TokenError::bad_signature);  // an HS512-sized signature
}

TEST(JwtHs256LongSecret, SecretsLongerThanABlockVerify) {
  JwtKeys keys;
  keys.secret = std::string(100, 's');
  JwtIssuer issuer(keys);
  JwtVerifier verifier(keys);
  auto token = issuer.mint(UserId{9}, std::nullopt, TokenType::access, 1000, 60);
  ASSERT_TRUE(verifier.verify(token, 1000).has_value());
  keys.secret.back() = 't';
  EXPECT_EQ(JwtVerifier(keys).verify(token, 1000).error(), TokenError::bad_signature);
}

TEST(JwtKeysConfig, EmptySecretIsRefused) {
  EXPECT_THROW(JwtVerifier(JwtKeys{}), std::invalid_argument);
  EXPECT_THROW(JwtIssuer(JwtKeys{}), std::invalid_argument);
}

TEST(JwtAlgorithmNames, ParseIsCaseInsensitive) {
  EXPECT_EQ(parse_algorithm("HS256"), JwtAlgorithm::hs256);
  EXPECT_EQ(parse_algorithm("rs256"), JwtAlgorithm::rs256);
  EXPECT_EQ(parse_algorithm("Es256"), JwtAlgorithm::es256);
  EXPECT_FALSE(parse_algorithm("none").has_value());
  EXPECT_FALSE(parse_algorithm("HS512").has_value());
  EXPECT_FALSE(parse_algorithm("").has_value());
  EXPECT_FALSE(parse_algorithm(std::string_view("HS256\0", 6)).has_value());
}

TEST(JwtDescribe, EveryErrorHasText) {
  for (auto e : {TokenError::missing, TokenError::malformed, TokenError::bad_signature,
                 TokenError::wrong_algorithm, TokenError::expired, TokenError::not_yet_valid,
                 TokenError::wrong_type, TokenError::bad_claims}) {
    EXPECT_FALSE(describe(e).empty());
  }
  EXPECT_EQ(describe(TokenError::expired), "token expired");
}

}  // namespace
}  // namespace herald::auth
