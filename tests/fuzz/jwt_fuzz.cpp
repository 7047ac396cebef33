// libFuzzer target for token verification, auth::JwtVerifier::verify, with
// an HS256 verifier on a fixed secret (the default configuration) and an
// ES256 verifier on a key made at start (the identity-provider path).
//
// Input layout: byte 0 picks the mode (low two bits) and the expected token
// type (bit 2: refresh); the rest is
//   mode 0: the token itself, raw;
//   mode 1..3: "<header JSON>\n<payload JSON>\n<signature bytes>", each JSON
//     part base64url-encoded by the harness so the fuzzer works on the JSON
//     and not on base64. The signature segment is
//       1: HMAC-SHA256 under the right secret (reaches the claims checks),
//       2: the signature bytes base64url-encoded (any signature at all),
//       3: HMAC-SHA256 under a different secret.
// Seeds are readable: "1{\"alg\":\"HS256\"}\n{\"sub\":\"42\",\"exp\":...}\n".
//
// Oracles, beyond "no crash, no sanitizer report, no leak, no exception":
// - a token the HS256 verifier accepts carries HMAC-SHA256(secret, signing
//   input) as its signature, computed here independently (OpenSSL), so no
//   input gets past the signature check without the secret; mode 3 tokens
//   are never accepted;
// - accepted claims are the payload's: sub its canonical decimal string (or
//   JSON integer), username/role/jti its strings; user id > 0, exp > now, nbf <= now, iat at most
//   kIatLeewayS ahead, the type asked for; the same token is never
//   accepted both as access and as refresh;
// - the ES256 verifier never accepts a fuzzer's token (it cannot sign).
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"
#include "token_forge.hpp"  // tests/unit/auth: base64url, HMAC, key pairs

namespace {

using namespace herald::auth;

// 44 bytes, over any minimum length an HS256 secret must have.
const std::string kSecret = "herald-fuzz-hs256-secret-0123456789abcdefghi";
const std::string kOtherSecret = "herald-fuzz-other-secret-0123456789abcdefghi";
constexpr std::int64_t kNow = 1'700'000'000;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "jwt_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

struct Verifiers {
  JwtVerifier hs256;
  JwtVerifier es256;
};

JwtKeys hs_keys() {
  JwtKeys k;
  k.algorithm = JwtAlgorithm::hs256;
  k.secret = kSecret;
  return k;
}

JwtKeys es_keys() {
  JwtKeys k;
  k.algorithm = JwtAlgorithm::es256;
  k.public_key_pem = test::generate_key_pair("EC").public_pem;
  return k;
}

const Verifiers& verifiers() {
  static const Verifiers* v = [] {
    auto* made = new Verifiers{JwtVerifier(hs_keys()), JwtVerifier(es_keys())};
    // The harness itself: a token minted by our issuer verifies, and one
    // forged here with the same secret does too.
    const std::string minted =
        JwtIssuer(hs_keys()).mint(herald::UserId{42}, "alice", TokenType::access, kNow, 3600);
    check(made->hs256.verify(minted, kNow).has_value(), "a minted token does not verify");
    const std::string forged = test::forge_hs256(R"({"sub":"7","exp":1800000000})", kSecret);
    check(made->hs256.verify(forged, kNow).has_value(), "a forged token does not verify");
    return made;
  }();
  return *v;
}

std::string token_from(std::string_view rest, unsigned mode) {
  if (mode == 0) return std::string(rest);
  const auto nl1 = rest.find('\n');
  const std::string_view header = rest.substr(0, nl1);
  std::string_view payload, signature;
  if (nl1 != std::string_view::npos) {
    const std::string_view after = rest.substr(nl1 + 1);
    const auto nl2 = after.find('\n');
    payload = after.substr(0, nl2);
    if (nl2 != std::string_view::npos) signature = after.substr(nl2 + 1);
  }
  const std::string signing_input = test::b64url(header) + "." + test::b64url(payload);
  switch (mode) {
    case 1: return signing_input + "." + test::b64url(test::hmac_sha256(kSecret, signing_input));
    case 2: return signing_input + "." + test::b64url(signature);
    default: return signing_input + "." + test::b64url(test::hmac_sha256(kOtherSecret, signing_input));
  }
}

// The payload an accepted token carries, decoded here (libsodium base64url,
// Boost.JSON), and what the verifier made of it: the contract's sub (a
// canonical decimal string, or a JSON integer) and the string claims.
void check_claims_match(const std::string& token, const Claims& c) {
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 + 1);
  const std::string segment = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string bytes(segment.size(), '\0');
  std::size_t len = 0;
  check(sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(),
                          segment.data(), segment.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0,
        "accepted a payload that is not base64url");
  bytes.resize(len);
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(bytes, ec);
  check(!ec && v.is_object(), "accepted a payload that is not a JSON object");
  const boost::json::object& o = v.get_object();
  const boost::json::value* sub = o.if_contains("sub");
  check(sub != nullptr, "accepted a token without sub");
  if (sub->is_string()) {
    check(std::string_view(sub->get_string()) == std::to_string(herald::raw(c.user_id)),
          "accepted a sub that is not the canonical decimal of the user id");
  } else {
    check(sub->is_int64() && sub->get_int64() == herald::raw(c.user_id), "sub differs from the user id");
  }
  auto same_string = [&](const char* name, const std::optional<std::string>& claim) {
    const boost::json::value* f = o.if_contains(name);
    if (f && f->is_string()) {
      check(claim && *claim == std::string_view(f->get_string()), "a string claim differs");
    } else {
      check(!claim, "a string claim out of nowhere");
    }
  };
  same_string("username", c.username);
  same_string("role", c.role);
  same_string("jti", c.jti);
}

void check_accepted(const std::string& token, const std::expected<Claims, TokenError>& r,
                    TokenType expected) {
  if (!r) return;
  check_claims_match(token, *r);
  check(herald::raw(r->user_id) > 0, "accepted a non-positive user id");
  check(r->exp > kNow, "accepted an expired token");
  check(r->type == expected, "accepted the wrong token type");
  check(!r->nbf || *r->nbf <= kNow, "accepted a token before its nbf");
  check(!r->iat || *r->iat <= kNow + kIatLeewayS, "accepted a token issued in the future");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  verifiers();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned mode = data[0] & 3;
  const TokenType expected = (data[0] & 4) ? TokenType::refresh : TokenType::access;
  const std::string token =
      token_from(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), mode);
  const Verifiers& v = verifiers();

  const auto hs = v.hs256.verify(token, kNow, expected);
  check_accepted(token, hs, expected);
  if (hs) {
    check(mode != 3, "accepted an HMAC made with another secret");
    const auto dot2 = token.rfind('.');
    check(dot2 != std::string::npos, "accepted a token without dots");
    const std::string signing_input = token.substr(0, dot2);
    check(token.substr(dot2 + 1) == test::b64url(test::hmac_sha256(kSecret, signing_input)),
          "accepted a token whose signature is not the HMAC of its signing input");
  }
  const TokenType other = expected == TokenType::access ? TokenType::refresh : TokenType::access;
  const auto hs_other = v.hs256.verify(token, kNow, other);
  check_accepted(token, hs_other, other);
  check(!(hs && hs_other), "accepted as both access and refresh");

  const auto es = v.es256.verify(token, kNow, expected);
  check(!es.has_value(), "the ES256 verifier accepted a token the fuzzer made");
  return 0;
}
