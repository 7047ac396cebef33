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
// - accepted claims: user id > 0, exp > now, the type asked for; the same
//   token is never accepted both as access and as refresh;
// - the ES256 verifier never accepts a fuzzer's token (it cannot sign).
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

void check_accepted(const std::expected<Claims, TokenError>& r, TokenType expected) {
  if (!r) return;
  check(herald::raw(r->user_id) > 0, "accepted a non-positive user id");
  check(r->exp > kNow, "accepted an expired token");
  check(r->type == expected, "accepted the wrong token type");
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
  check_accepted(hs, expected);
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
  check_accepted(hs_other, other);
  check(!(hs && hs_other), "accepted as both access and refresh");

  const auto es = v.es256.verify(token, kNow, expected);
  check(!es.has_value(), "the ES256 verifier accepted a token the fuzzer made");
  return 0;
}
