// See jwt.hpp. Split of work: this file checks the token's shape, header and
// claims itself (Boost.JSON, exact types), and every signature: HS256 as an
// HMAC-SHA256 (libsodium), RS256/ES256 with OpenSSL's EVP API. libjwt 1.10
// only mints. Its decoder was the RS256/ES256 check until RFC 9068's
// "typ": "at+jwt" had to be accepted, which it refuses; it also trusts the
// header's alg (given an RS256 public key and an "HS256" token it would
// verify an HMAC keyed with that public key) and re-parses the whole token
// with jansson. Here the header is checked first, against the configured
// algorithm, and the key only ever verifies that one algorithm.
#include "auth/jwt.hpp"

#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <strings.h>

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "auth/secrets.hpp"

namespace herald::auth {
namespace {

namespace json = boost::json;

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

jwt_alg_t to_libjwt(JwtAlgorithm a) {
  switch (a) {
    case JwtAlgorithm::hs256: return JWT_ALG_HS256;
    case JwtAlgorithm::rs256: return JWT_ALG_RS256;
    case JwtAlgorithm::es256: return JWT_ALG_ES256;
  }
  return JWT_ALG_INVAL;
}

// --- keys (OpenSSL) --------------------------------------------------------

// Never prompt on a terminal for the passphrase of an encrypted PEM.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

PkeyPtr read_pem(const std::string& pem, bool is_private) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  EVP_PKEY* key = is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr)
                             : PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr);
  ERR_clear_error();  // leave no stale errors on this thread's OpenSSL queue
  return PkeyPtr(key);
}

// RFC 7518: RS256 needs RSA of 2048 bits or more; ES256 needs curve P-256.
bool key_fits(EVP_PKEY* key, JwtAlgorithm a) {
  if (a == JwtAlgorithm::rs256) return EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= 2048;
  if (a != JwtAlgorithm::es256 || !EVP_PKEY_is_a(key, "EC")) return false;
  char group[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) !=
      1) {
    ERR_clear_error();
    return false;
  }
  return std::string_view(group, len) == "prime256v1";
}

void check_hs256_secret(const std::string& secret) {
  if (secret.empty()) throw std::invalid_argument("JWT secret is empty");
  if (secret.size() < kMinHs256SecretBytes) {
    throw std::invalid_argument("JWT secret is shorter than " + std::to_string(kMinHs256SecretBytes) +
                                " bytes");
  }
}

PkeyPtr checked_key(const std::string& pem, bool is_private, JwtAlgorithm a) {
  PkeyPtr key = read_pem(pem, is_private);
  if (!key) throw std::invalid_argument("JWT key: PEM does not parse");
  if (!key_fits(key.get(), a)) throw std::invalid_argument("JWT key does not fit the algorithm");
  return key;
}

std::string public_pem_of(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    throw std::invalid_argument("JWT key: cannot derive the public key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

// --- token shape and JSON -------------------------------------------------

struct Segments {
  std::string_view header, payload, signature;
};

// ASCII case-insensitive equality, exact about length (embedded NULs included).
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool is_base64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// Exactly three base64url segments separated by two dots. The character
// check also guarantees no NUL reaches libjwt's C-string API.
std::optional<Segments> split(std::string_view token) {
  const auto dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return std::nullopt;
  const auto dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return std::nullopt;
  Segments s{token.substr(0, dot1), token.substr(dot1 + 1, dot2 - dot1 - 1),
             token.substr(dot2 + 1)};
  for (std::string_view part : {s.header, s.payload, s.signature}) {
    for (char c : part) {
      if (!is_base64url(c)) return std::nullopt;  // also rejects a third dot
    }
  }
  return s;
}

// base64url without padding -> bytes; nullopt when it is not that.
std::optional<std::string> decode_base64url(std::string_view text) {
  std::string bytes(text.size() / 4 * 3 + 3, '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                        text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return std::nullopt;
  }
  bytes.resize(len);
  return bytes;
}

// RFC 7515 4.1.9: typ is a media type, compared case-insensitively, its
// "application/" prefix optional. "JWT" (RFC 7519) and "at+jwt" (RFC 9068,
// access tokens from an OAuth server) are what an access token carries.
bool accepted_typ(std::string_view typ) {
  if (typ.size() > 12 && iequals(typ.substr(0, 12), "application/")) typ.remove_prefix(12);
  return iequals(typ, "JWT") || iequals(typ, "at+jwt");
}

std::optional<json::object> decode_object(std::string_view segment) {
  if (segment.empty()) return std::nullopt;
  const auto bytes = decode_base64url(segment);
  if (!bytes) return std::nullopt;
  json::error_code ec;
  json::value v = json::parse(*bytes, ec);  // default options: strict JSON, valid UTF-8
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

// --- claims ---------------------------------------------------------------

template <class T>
using ClaimResult = std::expected<std::optional<T>, TokenError>;
constexpr auto kBadClaims = std::unexpected(TokenError::bad_claims);

// Absent or null -> nullopt; a number -> whole seconds; anything else -> error.
ClaimResult<std::int64_t> number_claim(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_double()) {
    const double d = v->get_double();
    // Fractional NumericDate is legal (RFC 7519); 9.2e18 bounds int64.
    if (std::isfinite(d) && std::fabs(d) < 9.2e18) return static_cast<std::int64_t>(std::floor(d));
  }
  return kBadClaims;  // string, bool, object, or a uint64 beyond int64
}

ClaimResult<std::string> string_claim(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) return kBadClaims;
  return std::string(v->get_string());
}

// sub: a canonical decimal string (the contract: digits only, no leading
// zero, so one user has exactly one spelling and "0007" is not user 7) or a
// JSON integer (lenient), > 0.
std::optional<UserId> subject(const json::object& o) {
  const json::value* v = o.if_contains("sub");
  if (!v) return std::nullopt;
  std::int64_t id = 0;
  if (v->is_string()) {
    const json::string& s = v->get_string();
    if (s.empty() || s.front() < '1' || s.front() > '9') return std::nullopt;
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, id);
    if (ec != std::errc{} || ptr != end) return std::nullopt;
  } else if (v->is_int64()) {
    id = v->get_int64();
  } else {
    return std::nullopt;
  }
  if (id <= 0) return std::nullopt;
  return UserId{id};
}

std::expected<Claims, TokenError> read_claims(const json::object& o) {
  Claims c;
  auto sub = subject(o);
  auto exp = number_claim(o, "exp");
  auto iat = number_claim(o, "iat");
  auto nbf = number_claim(o, "nbf");
  auto type = string_claim(o, "type");
  auto username = string_claim(o, "username");
  auto role = string_claim(o, "role");
  auto jti = string_claim(o, "jti");
  if (!sub || !exp || !*exp || !iat || !nbf || !type || !username || !role || !jti) return kBadClaims;
  if (*type && **type != "access" && **type != "refresh") return kBadClaims;
  c.user_id = *sub;
  c.exp = **exp;
  c.iat = *iat;
  c.nbf = *nbf;
  c.type = (*type && **type == "refresh") ? TokenType::refresh : TokenType::access;
  c.username = std::move(*username);
  c.role = std::move(*role);
  c.jti = std::move(*jti);
  return c;
}

}  // namespace

std::optional<JwtAlgorithm> parse_algorithm(std::string_view name) {
  for (JwtAlgorithm a : {JwtAlgorithm::hs256, JwtAlgorithm::rs256, JwtAlgorithm::es256}) {
    if (iequals(name, algorithm_name(a))) return a;
  }
  return std::nullopt;
}

std::string_view algorithm_name(JwtAlgorithm a) {
  switch (a) {
    case JwtAlgorithm::hs256: return "HS256";
    case JwtAlgorithm::rs256: return "RS256";
    case JwtAlgorithm::es256: return "ES256";
  }
  return "?";
}

std::string_view describe(TokenError e) {
  switch (e) {
    case TokenError::missing: return "token missing";
    case TokenError::malformed: return "token malformed";
    case TokenError::bad_signature: return "token signature invalid";
    case TokenError::wrong_algorithm: return "token algorithm not accepted";
    case TokenError::expired: return "token expired";
    case TokenError::not_yet_valid: return "token not yet valid";
    case TokenError::wrong_type: return "wrong token type";
    case TokenError::bad_claims: return "token claims invalid";
  }
  return "token invalid";
}

JwtVerifier::JwtVerifier(JwtKeys keys) : keys_(std::move(keys)) {
  ensure_sodium();
  if (keys_.algorithm == JwtAlgorithm::hs256) {
    check_hs256_secret(keys_.secret);
    crypto_auth_hmacsha256_init(&hs256_keyed_, reinterpret_cast<const unsigned char*>(keys_.secret.data()),
                                keys_.secret.size());
    return;
  }
  if (keys_.public_key_pem.empty()) {
    if (keys_.private_key_pem.empty()) throw std::invalid_argument("JWT public key missing");
    keys_.public_key_pem =
        public_pem_of(checked_key(keys_.private_key_pem, true, keys_.algorithm).get());
  }
  public_key_ = std::shared_ptr<EVP_PKEY>(
      checked_key(keys_.public_key_pem, false, keys_.algorithm).release(), PkeyFree{});
  keys_.private_key_pem.clear();  // a verifier never signs: do not keep the secret around
}

std::expected<Claims, TokenError> JwtVerifier::verify(std::string_view token, std::int64_t now,
                                                      TokenType expected) const {
  using std::unexpected;
  if (token.empty()) return unexpected(TokenError::missing);
  if (token.size() > kMaxTokenBytes) return unexpected(TokenError::malformed);
  const auto parts = split(token);
  if (!parts) return unexpected(TokenError::malformed);
  const auto header = decode_object(parts->header);
  if (!header) return unexpected(TokenError::malformed);
  const json::value* alg = header->if_contains("alg");
  if (!alg || !alg->is_string()) return unexpected(TokenError::malformed);
  // Case-sensitive, as RFC 7515 says (libjwt itself would accept "hs256").
  if (alg->get_string() != algorithm_name(keys_.algorithm)) {
    return unexpected(TokenError::wrong_algorithm);
  }
  // We implement no JWS extensions, so a "crit" header cannot be honoured.
  if (header->contains("crit")) return unexpected(TokenError::malformed);
  if (const json::value* typ = header->if_contains("typ")) {
    if (!typ->is_string() || !accepted_typ(typ->get_string())) return unexpected(TokenError::malformed);
  }
  const auto payload = decode_object(parts->payload);
  if (!payload) return unexpected(TokenError::malformed);
  if (parts->signature.empty()) return unexpected(TokenError::bad_signature);

  // JWS signing input (RFC 7515 5.2): the bytes before the second dot.
  const std::string_view signing_input = token.substr(0, parts->header.size() + 1 + parts->payload.size());
  const bool signed_ok = keys_.algorithm == JwtAlgorithm::hs256
                             ? hs256_signature_ok(signing_input, parts->signature)
                             : public_key_signature_ok(signing_input, parts->signature);
  if (!signed_ok) return unexpected(TokenError::bad_signature);

  auto claims = read_claims(*payload);
  if (!claims) return claims;
  if (claims->type != expected) return unexpected(TokenError::wrong_type);
  if (claims->exp <= now) return unexpected(TokenError::expired);
  if (claims->nbf && now < *claims->nbf) return unexpected(TokenError::not_yet_valid);
  if (claims->iat && *claims->iat > now + kIatLeewayS) return unexpected(TokenError::not_yet_valid);
  return claims;
}

// RFC 7518 3.2: HMAC-SHA256 over the signing input, 32 bytes, unpadded
// base64url (43 characters). Compared in constant time.
bool JwtVerifier::hs256_signature_ok(std::string_view signing_input,
                                     std::string_view signature) const {
  constexpr std::size_t kMacBytes = crypto_auth_hmacsha256_BYTES;
  if (signature.size() != 43) return false;
  unsigned char given[kMacBytes + 2];
  std::size_t given_len = 0;
  if (sodium_base642bin(given, sizeof given, signature.data(), signature.size(), nullptr, &given_len,
                        nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      given_len != kMacBytes) {
    return false;
  }
  crypto_auth_hmacsha256_state state = hs256_keyed_;
  unsigned char mac[kMacBytes];
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(signing_input.data()),
                                signing_input.size());
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  return sodium_memcmp(mac, given, kMacBytes) == 0;
}

// RFC 7518 3.2 (SHA-256 wants RSASSA-PKCS1-v1_5) and 3.4 (ES256: R || S,
// 32 bytes each, which OpenSSL wants as a DER ECDSA-Sig-Value).
bool JwtVerifier::public_key_signature_ok(std::string_view signing_input,
                                          std::string_view signature) const {
  const auto sig = decode_base64url(signature);
  if (!sig || sig->empty()) return false;
  std::string der;
  std::string_view checked = *sig;
  if (keys_.algorithm == JwtAlgorithm::es256) {
    if (sig->size() != 64) return false;
    EcdsaSigPtr ecdsa(ECDSA_SIG_new());
    const auto* bytes = reinterpret_cast<const unsigned char*>(sig->data());
    BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
    BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
    if (!ecdsa || !r || !s || ECDSA_SIG_set0(ecdsa.get(), r, s) != 1) {
      BN_free(r);
      BN_free(s);
      ERR_clear_error();
      return false;
    }
    const int len = i2d_ECDSA_SIG(ecdsa.get(), nullptr);
    if (len <= 0) return false;
    der.resize(static_cast<std::size_t>(len));
    auto* out = reinterpret_cast<unsigned char*>(der.data());
    i2d_ECDSA_SIG(ecdsa.get(), &out);
    checked = der;
  } else if (sig->size() != static_cast<std::size_t>(EVP_PKEY_get_size(public_key_.get()))) {
    return false;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, public_key_.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(checked.data()),
                       checked.size(), reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) == 1;
  ERR_clear_error();  // a failed check leaves errors on this thread's queue
  return ok;
}

JwtIssuer::JwtIssuer(JwtKeys keys) : keys_(std::move(keys)) {
  if (keys_.algorithm == JwtAlgorithm::hs256) {
    check_hs256_secret(keys_.secret);
  } else {
    if (keys_.private_key_pem.empty()) throw std::invalid_argument("JWT private key missing");
    checked_key(keys_.private_key_pem, true, keys_.algorithm);
  }
  try {
    (void)mint(UserId{1}, std::nullopt, TokenType::access, 0, 1);
  } catch (const std::runtime_error&) {
    throw std::invalid_argument("JWT key cannot sign");
  }
}

std::string JwtIssuer::mint(UserId user, std::optional<std::string> username, TokenType type,
                            std::int64_t now, std::int64_t lifetime_s,
                            std::optional<std::string> role, std::optional<std::string> jti) const {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
  JwtPtr jwt(raw);
  const std::string& key =
      keys_.algorithm == JwtAlgorithm::hs256 ? keys_.secret : keys_.private_key_pem;
  const std::string sub = std::to_string(herald::raw(user));
  int rc =
      jwt_set_alg(jwt.get(), to_libjwt(keys_.algorithm),
                  reinterpret_cast<const unsigned char*>(key.data()), static_cast<int>(key.size()));
  rc = rc ? rc : jwt_add_grant(jwt.get(), "sub", sub.c_str());
  rc = rc ? rc : jwt_add_grant_int(jwt.get(), "iat", now);
  rc = rc ? rc : jwt_add_grant_int(jwt.get(), "exp", now + lifetime_s);
  rc =
      rc ? rc : jwt_add_grant(jwt.get(), "type", type == TokenType::refresh ? "refresh" : "access");
  if (username) rc = rc ? rc : jwt_add_grant(jwt.get(), "username", username->c_str());
  if (role) rc = rc ? rc : jwt_add_grant(jwt.get(), "role", role->c_str());
  if (jti) rc = rc ? rc : jwt_add_grant(jwt.get(), "jti", jti->c_str());
  if (rc != 0) throw std::runtime_error("JWT claims could not be set");

  char* encoded = jwt_encode_str(jwt.get());
  if (!encoded) {
    ERR_clear_error();
    throw std::runtime_error("JWT signing failed");
  }
  std::string token(encoded);
  std::free(encoded);  // libjwt 1.10 allocates with malloc and has no jwt_free_str
  return token;
}

}  // namespace herald::auth
