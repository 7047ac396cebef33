#pragma once
// JWT access and refresh tokens (PROTOCOL.md section 1).
//
// Invariants:
// - The accepted algorithm is fixed by configuration (JwtKeys::algorithm).
//   A token whose header names any other algorithm, "none" included, is
//   rejected before any key touches it, so an RS256 public key can never be
//   used as an HMAC secret (algorithm confusion).
// - Signatures are checked here: HS256 as an HMAC-SHA256 with libsodium,
//   RS256/ES256 with OpenSSL. libjwt only mints (its decoder trusts the
//   header's alg and refuses any typ but "JWT"). Header and claims are read
//   here from the same signed bytes, with exact JSON types.
// - Nothing in this module logs or returns token text: TokenError and
//   describe() say what is wrong, never what the token was.
// - Time: no leeway on exp (exp <= now is expired) nor on nbf (now < nbf is
//   not yet valid): both are the issuer's explicit statement. An iat more
//   than kIatLeewayS in the future is refused too: no honest issuer mints
//   tokens from the future, a clock a little ahead of ours aside.
// - An HS256 secret has at least kMinHs256SecretBytes (RFC 7518 3.2).
#include <sodium.h>

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "util/ids.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace herald::auth {

inline constexpr std::size_t kMinHs256SecretBytes = 32;
inline constexpr std::int64_t kIatLeewayS = 60;

enum class JwtAlgorithm { hs256, rs256, es256 };

// "HS256", "RS256", "ES256", case-insensitive (configuration input).
std::optional<JwtAlgorithm> parse_algorithm(std::string_view name);
// The canonical JOSE name: "HS256", "RS256", "ES256".
std::string_view algorithm_name(JwtAlgorithm algorithm);

struct JwtKeys {
  JwtAlgorithm algorithm = JwtAlgorithm::hs256;
  std::string secret;           // HS256: the shared secret (raw bytes)
  std::string public_key_pem;   // RS256/ES256 verification ("BEGIN PUBLIC KEY")
  std::string private_key_pem;  // RS256/ES256 minting; optional for a verifier
};

enum class TokenType { access, refresh };

struct Claims {
  UserId user_id{};
  std::optional<std::string> username;
  std::int64_t exp = 0;
  std::optional<std::int64_t> iat;
  std::optional<std::int64_t> nbf;
  TokenType type = TokenType::access;  // "type" absent reads as access
  std::optional<std::string> role;
  std::optional<std::string> jti;
};

enum class TokenError {
  missing,          // empty token
  malformed,        // not three base64url segments of JSON objects, or too long
  bad_signature,    // signature does not verify with the configured key
  wrong_algorithm,  // header alg is not the configured one (incl. "none")
  expired,          // exp <= now
  not_yet_valid,    // now < nbf, or iat more than kIatLeewayS ahead of now
  wrong_type,       // a refresh token where an access token is expected, or vice versa
  bad_claims,       // sub or exp missing or invalid, or a claim of the wrong JSON type
};

// Short text for close reasons and 401 details; never contains the token.
std::string_view describe(TokenError error);

// Longest token accepted; anything longer is malformed without parsing.
inline constexpr std::size_t kMaxTokenBytes = 16 * 1024;

class JwtVerifier {
 public:
  // Throws std::invalid_argument on unusable keys: an HS256 secret shorter
  // than kMinHs256SecretBytes; for RS256/ES256 a PEM that does not parse or
  // does not fit the algorithm (RSA >= 2048 bits, EC P-256). When
  // public_key_pem is empty it is derived from private_key_pem.
  explicit JwtVerifier(JwtKeys keys);

  // Checks, in order: present, well-formed, header (alg the configured one;
  // typ absent, "JWT" or RFC 9068's "at+jwt"; no crit), signature, claims
  // (sub: a canonical decimal string -- no sign, no leading zero -- or a
  // JSON integer, positive int64; exp: number; iat/nbf/username/role/jti/
  // type of the right JSON type when present), type against `expected` (an
  // absent type counts as access), expiry, then nbf and iat against now.
  // Thread-safe; `now` is unix seconds.
  std::expected<Claims, TokenError> verify(std::string_view token, std::int64_t now,
                                           TokenType expected = TokenType::access) const;

  JwtAlgorithm algorithm() const { return keys_.algorithm; }

 private:
  bool hs256_signature_ok(std::string_view signing_input, std::string_view signature) const;
  bool public_key_signature_ok(std::string_view signing_input, std::string_view signature) const;

  JwtKeys keys_;
  // HS256: the HMAC state with the secret already absorbed (inner and outer
  // pads), copied per token: two SHA-256 blocks fewer per check.
  crypto_auth_hmacsha256_state hs256_keyed_{};
  // RS256/ES256: the parsed public key, shared read-only by every thread.
  std::shared_ptr<evp_pkey_st> public_key_;
};

class JwtIssuer {
 public:
  // HS256 with keys.secret (at least kMinHs256SecretBytes), or RS256/ES256
  // with keys.private_key_pem. Mints a probe token so a bad key fails here
  // (std::invalid_argument), not later.
  explicit JwtIssuer(JwtKeys keys);

  // Claims: sub = decimal user id, iat = now, exp = now + lifetime_s, type,
  // and username / role / jti when given. Thread-safe. Throws
  // std::runtime_error only if libjwt fails (out of memory).
  std::string mint(UserId user, std::optional<std::string> username, TokenType type,
                   std::int64_t now, std::int64_t lifetime_s, std::optional<std::string> role = {},
                   std::optional<std::string> jti = {}) const;

  JwtAlgorithm algorithm() const { return keys_.algorithm; }

 private:
  JwtKeys keys_;
};

}  // namespace herald::auth
