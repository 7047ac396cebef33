// RS256 and ES256 with keys generated at test time (OpenSSL EVP): round
// trips, wrong keys, tampering, and key configuration checks.
#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "token_forge.hpp"

namespace herald::auth {
namespace {

constexpr std::int64_t kNow = 1'760'000'000;

const test::KeyPair& rsa_keys() {
  static const test::KeyPair keys = test::generate_key_pair("RSA");
  return keys;
}
const test::KeyPair& rsa_keys_other() {
  static const test::KeyPair keys = test::generate_key_pair("RSA");
  return keys;
}
const test::KeyPair& ec_keys() {
  static const test::KeyPair keys = test::generate_key_pair("EC");
  return keys;
}
const test::KeyPair& ec_keys_other() {
  static const test::KeyPair keys = test::generate_key_pair("EC");
  return keys;
}

JwtKeys signing(JwtAlgorithm alg, const test::KeyPair& pair) {
  JwtKeys keys;
  keys.algorithm = alg;
  keys.private_key_pem = pair.private_pem;
  return keys;
}

JwtKeys verifying(JwtAlgorithm alg, const test::KeyPair& pair) {
  JwtKeys keys;
  keys.algorithm = alg;
  keys.public_key_pem = pair.public_pem;
  return keys;
}

struct AsymCase {
  const char* name;
  JwtAlgorithm alg;
  const test::KeyPair& (*keys)();
  const test::KeyPair& (*other)();
};

class JwtAsymmetric : public ::testing::TestWithParam<AsymCase> {};

TEST_P(JwtAsymmetric, RoundTrip) {
  const auto& p = GetParam();
  const JwtIssuer issuer(signing(p.alg, p.keys()));
  const JwtVerifier verifier(verifying(p.alg, p.keys()));
  EXPECT_EQ(verifier.algorithm(), p.alg);
  const auto token =
      issuer.mint(UserId{77}, "carol", TokenType::access, kNow, 600, "service", "j1");
  const auto claims = verifier.verify(token, kNow);
  ASSERT_TRUE(claims.has_value()) << describe(claims.error());
  EXPECT_EQ(claims->user_id, UserId{77});
  EXPECT_EQ(claims->username, "carol");
  EXPECT_EQ(claims->role, "service");
  EXPECT_EQ(claims->jti, "j1");
  EXPECT_EQ(verifier.verify(token, kNow + 600).error(), TokenError::expired);
}

TEST_P(JwtAsymmetric, VerifierCanDerivePublicKeyFromPrivate) {
  const auto& p = GetParam();
  const auto token =
      JwtIssuer(signing(p.alg, p.keys())).mint(UserId{3}, {}, TokenType::access, kNow, 600);
  EXPECT_TRUE(JwtVerifier(signing(p.alg, p.keys())).verify(token, kNow).has_value());
}

TEST_P(JwtAsymmetric, OtherKeyIsBadSignature) {
  const auto& p = GetParam();
  const auto token =
      JwtIssuer(signing(p.alg, p.other())).mint(UserId{3}, {}, TokenType::access, kNow, 600);
  EXPECT_EQ(JwtVerifier(verifying(p.alg, p.keys())).verify(token, kNow).error(),
            TokenError::bad_signature);
}

TEST_P(JwtAsymmetric, TamperedPayloadIsBadSignature) {
  const auto& p = GetParam();
  const auto token =
      JwtIssuer(signing(p.alg, p.keys())).mint(UserId{3}, {}, TokenType::access, kNow, 600);
  const auto forged = test::swap_payload(token, R"({"sub":"4","exp":1760000600,"type":"access"})");
  EXPECT_EQ(JwtVerifier(verifying(p.alg, p.keys())).verify(forged, kNow).error(),
            TokenError::bad_signature);
}

TEST_P(JwtAsymmetric, RefreshTokenIsNotAnAccessToken) {
  const auto& p = GetParam();
  const auto token =
      JwtIssuer(signing(p.alg, p.keys())).mint(UserId{3}, {}, TokenType::refresh, kNow, 600);
  const JwtVerifier verifier(verifying(p.alg, p.keys()));
  EXPECT_EQ(verifier.verify(token, kNow).error(), TokenError::wrong_type);
  EXPECT_TRUE(verifier.verify(token, kNow, TokenType::refresh).has_value());
}

// RFC 9068 access tokens ("typ": "at+jwt") from an identity provider, which
// libjwt's decoder refused: signatures are checked by OpenSSL directly.
TEST_P(JwtAsymmetric, AccessTokenTypAtJwtVerifies) {
  const auto& p = GetParam();
  const JwtVerifier verifier(verifying(p.alg, p.keys()));
  const std::string payload = R"({"sub":"12","exp":1760000600,"iat":1760000000})";
  for (const char* typ : {"at+jwt", "application/at+jwt", "AT+JWT", "JWT"}) {
    const std::string header = std::string(R"({"alg":")") + p.name + R"(","typ":")" + typ + R"("})";
    const auto claims = verifier.verify(test::forge_signed(header, payload, p.keys().private_pem), kNow);
    ASSERT_TRUE(claims.has_value()) << typ << ": " << describe(claims.error());
    EXPECT_EQ(claims->user_id, UserId{12});
  }
  const std::string no_typ = std::string(R"({"alg":")") + p.name + R"("})";
  EXPECT_TRUE(verifier.verify(test::forge_signed(no_typ, payload, p.keys().private_pem), kNow).has_value());
  const std::string other = std::string(R"({"alg":")") + p.name + R"(","typ":"dpop+jwt"})";
  EXPECT_EQ(verifier.verify(test::forge_signed(other, payload, p.keys().private_pem), kNow).error(),
            TokenError::malformed);
}

// A signature of the right algorithm cut short or padded fails cleanly.
TEST_P(JwtAsymmetric, SignatureOfAnotherLengthIsBadSignature) {
  const auto& p = GetParam();
  const auto token =
      JwtIssuer(signing(p.alg, p.keys())).mint(UserId{3}, {}, TokenType::access, kNow, 600);
  const JwtVerifier verifier(verifying(p.alg, p.keys()));
  EXPECT_EQ(verifier.verify(token.substr(0, token.size() - 4), kNow).error(), TokenError::bad_signature);
  EXPECT_EQ(verifier.verify(token + "AAAA", kNow).error(), TokenError::bad_signature);
  const auto dot = token.rfind('.');
  EXPECT_EQ(verifier.verify(token.substr(0, dot + 1) + "AAAA", kNow).error(), TokenError::bad_signature);
}

TEST_P(JwtAsymmetric, NotBeforeIsHonoured) {
  const auto& p = GetParam();
  const JwtVerifier verifier(verifying(p.alg, p.keys()));
  const std::string header = std::string(R"({"alg":")") + p.name + R"(","typ":"JWT"})";
  const auto token = test::forge_signed(
      header, R"({"sub":"12","exp":1760000600,"nbf":1760000100})", p.keys().private_pem);
  EXPECT_EQ(verifier.verify(token, kNow).error(), TokenError::not_yet_valid);
  EXPECT_TRUE(verifier.verify(token, kNow + 100).has_value());
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, JwtAsymmetric,
    ::testing::Values(AsymCase{"RS256", JwtAlgorithm::rs256, rsa_keys, rsa_keys_other},
                      AsymCase{"ES256", JwtAlgorithm::es256, ec_keys, ec_keys_other}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(JwtAsymmetricConfig, Es256TokenRejectedByRs256Verifier) {
  const auto token = JwtIssuer(signing(JwtAlgorithm::es256, ec_keys()))
                         .mint(UserId{3}, {}, TokenType::access, kNow, 600);
  EXPECT_EQ(JwtVerifier(verifying(JwtAlgorithm::rs256, rsa_keys())).verify(token, kNow).error(),
            TokenError::wrong_algorithm);
}

TEST(JwtAsymmetricConfig, KeysMustFitTheAlgorithm) {
  EXPECT_THROW(JwtVerifier(verifying(JwtAlgorithm::rs256, ec_keys())), std::invalid_argument);
  EXPECT_THROW(JwtVerifier(verifying(JwtAlgorithm::es256, rsa_keys())), std::invalid_argument);
  EXPECT_THROW(JwtIssuer(signing(JwtAlgorithm::es256, rsa_keys())), std::invalid_argument);
  const auto weak = test::generate_key_pair("RSA", 1024);
  EXPECT_THROW(JwtVerifier(verifying(JwtAlgorithm::rs256, weak)), std::invalid_argument);
}

TEST(JwtAsymmetricConfig, MissingOrUnparsableKeysAreRefused) {
  JwtKeys keys;
  keys.algorithm = JwtAlgorithm::rs256;
  EXPECT_THROW(JwtVerifier{keys}, std::invalid_argument);
  EXPECT_THROW(JwtIssuer{keys}, std::invalid_argument);
  keys.public_key_pem = "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n";
  keys.private_key_pem = "garbage";
  EXPECT_THROW(JwtVerifier{keys}, std::invalid_argument);
  EXPECT_THROW(JwtIssuer{keys}, std::invalid_argument);
  // A public key cannot sign.
  EXPECT_THROW(JwtIssuer(signing(JwtAlgorithm::rs256, {rsa_keys().public_pem, ""})),
               std::invalid_argument);
}

}  // namespace
}  // namespace herald::auth
