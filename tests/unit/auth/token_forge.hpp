#pragma once
// Test helpers that build tokens by hand, byte by byte, so tests can present
// the verifier with what a real issuer would never mint: missing claims,
// "alg": "none", an HMAC keyed with a public key, tampered payloads.
// Real crypto only: OpenSSL HMAC-SHA256 and libsodium base64url.
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace herald::auth::test {

inline std::string b64url(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

inline std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

// header.payload signed with HMAC-SHA256 under `key`, whatever the header says.
inline std::string forge_hs256(std::string_view header_json, std::string_view payload_json,
                               std::string_view key) {
  std::string signing_input = b64url(header_json) + "." + b64url(payload_json);
  return signing_input + "." + b64url(hmac_sha256(key, signing_input));
}

inline std::string forge_hs256(std::string_view payload_json, std::string_view key) {
  return forge_hs256(R"({"alg":"HS256","typ":"JWT"})", payload_json, key);
}

// Replaces the payload segment of `token`, keeping header and signature.
inline std::string swap_payload(const std::string& token, std::string_view payload_json) {
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 + 1);
  return token.substr(0, dot1) + "." + b64url(payload_json) + token.substr(dot2);
}

// header.payload signed with a PEM private key: RSASSA-PKCS1-v1_5 SHA-256 for
// an RSA key, ECDSA P-256 SHA-256 as JWS wants it (R || S, 32 bytes each)
// for an EC key; whatever the header says. For tokens libjwt would not mint
// (another typ, a crafted header).
inline std::string forge_signed(std::string_view header_json, std::string_view payload_json,
                                const std::string& private_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!key) throw std::runtime_error("private key does not parse");
  const std::string signing_input = b64url(header_json) + "." + b64url(payload_json);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    throw std::runtime_error("signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    throw std::runtime_error("signing failed");
  }
  sig.resize(len);
  if (EVP_PKEY_is_a(key.get(), "EC")) {  // DER ECDSA-Sig-Value -> R || S
    const auto* der = reinterpret_cast<const unsigned char*>(sig.data());
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> ecdsa(
        d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(sig.size())), ECDSA_SIG_free);
    if (!ecdsa) throw std::runtime_error("bad ECDSA signature");
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa.get()), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa.get()), reinterpret_cast<unsigned char*>(raw.data()) + 32,
                 32);
    sig = raw;
  }
  return signing_input + "." + b64url(sig);
}

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

// A fresh key pair from OpenSSL 3's EVP API: "RSA" (2048 bits) or "EC" (P-256).
inline KeyPair generate_key_pair(std::string_view kind, int rsa_bits = 2048) {
  EVP_PKEY* raw =
      kind == "RSA" ? EVP_RSA_gen(static_cast<unsigned>(rsa_bits)) : EVP_EC_gen("P-256");
  if (!raw) throw std::runtime_error("key generation failed");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw, EVP_PKEY_free);
  auto to_pem = [&](bool priv) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    const int ok =
        priv ? PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)
             : PEM_write_bio_PUBKEY(bio.get(), key.get());
    if (ok != 1) throw std::runtime_error("PEM export failed");
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
  };
  return {to_pem(true), to_pem(false)};
}

}  // namespace herald::auth::test
