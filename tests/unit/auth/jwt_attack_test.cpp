// Hostile tokens: "alg": "none", algorithm confusion between HS256 and
// RS256, and garbage of every shape. Each must be rejected with the right
// error, and none may crash the verifier.
#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "token_forge.hpp"

namespace herald::auth {
namespace {

using test::b64url;
using test::forge_hs256;

constexpr std::int64_t kNow = 1'760'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef-test-secret";
const std::string kPayload = R"({"sub":"1","username":"mallory","exp":1760003600})";

const test::KeyPair& rsa_keys() {
  static const test::KeyPair keys = test::generate_key_pair("RSA");
  return keys;
}

JwtVerifier hs_verifier() {
  JwtKeys keys;
  keys.secret = kSecret;
  return JwtVerifier(keys);
}

JwtVerifier rs_verifier() {
  JwtKeys keys;
  keys.algorithm = JwtAlgorithm::rs256;
  keys.public_key_pem = rsa_keys().public_pem;
  return JwtVerifier(keys);
}

TEST(JwtAlgNone, RejectedByEveryVerifier) {
  const std::string token = b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(kPayload) + ".";
  EXPECT_EQ(hs_verifier().verify(token, kNow).error(), TokenError::wrong_algorithm);
  EXPECT_EQ(rs_verifier().verify(token, kNow).error(), TokenError::wrong_algorithm);
}

TEST(JwtAlgNone, RejectedInAnyCaseAndWithASignature) {
  const auto verifier = hs_verifier();
  for (const char* header : {R"({"alg":"None"})", R"({"alg":"NONE","typ":"JWT"})"}) {
    const std::string token = b64url(header) + "." + b64url(kPayload) + ".";
    EXPECT_EQ(verifier.verify(token, kNow).error(), TokenError::wrong_algorithm) << header;
  }
  // A "none" token carrying an HMAC made with the right secret: still none.
  const auto signed_none = forge_hs256(R"({"alg":"none","typ":"JWT"})", kPayload, kSecret);
  EXPECT_EQ(verifier.verify(signed_none, kNow).error(), TokenError::wrong_algorithm);
}

TEST(JwtAlgorithmConfusion, Hs256SignedWithRsaPublicKeyIsRejected) {
  // The classic attack: the public key is public, so an attacker HMACs a
  // token with it and sets alg HS256, hoping the server feeds its configured
  // RS256 key to whatever algorithm the header names.
  const auto forged = forge_hs256(kPayload, rsa_keys().public_pem);
  EXPECT_EQ(rs_verifier().verify(forged, kNow).error(), TokenError::wrong_algorithm);
}

TEST(JwtAlgorithmConfusion, DuplicateAlgHeaderIsRejected) {
  // Two JSON parsers see this header (ours and libjwt's jansson); whichever
  // "alg" each keeps, both must agree on RS256 or the token is refused.
  for (const char* header : {R"({"alg":"RS256","alg":"HS256","typ":"JWT"})",
                             R"({"alg":"HS256","alg":"RS256","typ":"JWT"})"}) {
    const auto forged = forge_hs256(header, kPayload, rsa_keys().public_pem);
    const auto result = rs_verifier().verify(forged, kNow);
    ASSERT_FALSE(result.has_value()) << header;
    EXPECT_TRUE(result.error() == TokenError::wrong_algorithm ||
                result.error() == TokenError::bad_signature)
        << header << ": " << describe(result.error());
  }
}

TEST(JwtAlgorithmConfusion, Rs256TokenRejectedByHs256Verifier) {
  JwtKeys keys;
  keys.algorithm = JwtAlgorithm::rs256;
  keys.private_key_pem = rsa_keys().private_pem;
  const auto token = JwtIssuer(keys).mint(UserId{1}, "alice", TokenType::access, kNow, 3600);
  EXPECT_EQ(hs_verifier().verify(token, kNow).error(), TokenError::wrong_algorithm);
}

TEST(JwtAlgorithmConfusion, OtherHmacAlgorithmsAndLowercaseRejected) {
  const auto verifier = hs_verifier();
  for (const char* header :
       {R"({"alg":"HS512","typ":"JWT"})", R"({"alg":"hs256","typ":"JWT"})", R"({"alg":"HS384"})"}) {
    const auto token = forge_hs256(header, kPayload, kSecret);
    EXPECT_EQ(verifier.verify(token, kNow).error(), TokenError::wrong_algorithm) << header;
  }
}

TEST(JwtMalformed, EmptyTokenIsMissing) {
  EXPECT_EQ(hs_verifier().verify("", kNow).error(), TokenError::missing);
}

TEST(JwtMalformed, GarbageIsMalformed) {
  const auto verifier = hs_verifier();
  const std::string good = forge_hs256(kPayload, kSecret);
  ASSERT_TRUE(verifier.verify(good, kNow).has_value());
  const std::vector<std::string> garbage = {
      "x",
      ".",
      "..",
      "...",
      "a.b",
      "a.b.c.d",
      "not a token at all",
      "Bearer " + good,
      good + ".",
      good + " ",
      std::string("eyJ\0.a.b", 8),
      "!!!.@@@.###",
      b64url("[1,2]") + "." + b64url(kPayload) + ".c2ln",
      b64url("not json") + "." + b64url(kPayload) + ".c2ln",
      b64url(R"({"typ":"JWT"})") + "." + b64url(kPayload) + ".c2ln",
      b64url(R"({"alg":256})") + "." + b64url(kPayload) + ".c2ln",
      b64url(R"({"alg":"HS256"})") + "..c2ln",
      b64url(R"({"alg":"HS256"})") + "." + b64url("\"just a string\"") + ".c2ln",
      b64url(R"({"alg":"HS256"})") + "." + b64url("{\"sub\":\"\xff\xfe\"}") + ".c2ln",
      b64url(R"({"alg":"HS256","typ":"JOSE+JSON"})") + "." + b64url(kPayload) + ".c2ln",
      b64url(R"({"alg":"HS256","crit":["exp"]})") + "." + b64url(kPayload) + ".c2ln",
      "=" + good.substr(1),
  };
  for (const auto& token : garbage) {
    const auto result = verifier.verify(token, kNow);
    ASSERT_FALSE(result.has_value()) << token;
    EXPECT_EQ(result.error(), TokenError::malformed) << token;
  }
}

TEST(JwtMalformed, MissingSignatureIsBadSignature) {
  const std::string unsigned_token =
      b64url(R"({"alg":"HS256","typ":"JWT"})") + "." + b64url(kPayload) + ".";
  EXPECT_EQ(hs_verifier().verify(unsigned_token, kNow).error(), TokenError::bad_signature);
}

TEST(JwtMalformed, HugeTokensAreMalformed) {
  const auto verifier = hs_verifier();
  EXPECT_EQ(verifier.verify(std::string(100 * 1024, 'A'), kNow).error(), TokenError::malformed);
  // Structurally valid and correctly signed, but 100 KB of claims.
  const std::string big_payload =
      R"({"sub":"1","exp":1760003600,"pad":")" + std::string(100 * 1024, 'x') + "\"}";
  EXPECT_EQ(verifier.verify(forge_hs256(big_payload, kSecret), kNow).error(),
            TokenError::malformed);
}

TEST(JwtMalformed, DeeplyNestedJsonDoesNotCrash) {
  const std::string nested =
      R"({"sub":"1","exp":1760003600,"x":)" + std::string(3000, '[') + std::string(3000, ']') + "}";
  const auto result = hs_verifier().verify(forge_hs256(nested, kSecret), kNow);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), TokenError::malformed);
}

TEST(JwtMalformed, RandomBytesNeverCrash) {
  const auto verifier = hs_verifier();
  std::uint32_t state = 12345;  // fixed seed: deterministic across runs
  for (int i = 0; i < 2000; ++i) {
    std::string token(1 + i % 200, '\0');
    for (char& c : token) {
      state = state * 1664525u + 1013904223u;
      c = static_cast<char>(state >> 24);
    }
    EXPECT_FALSE(verifier.verify(token, kNow).has_value());
  }
}

}  // namespace
}  // namespace herald::auth
