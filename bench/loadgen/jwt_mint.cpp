// HS256 with OpenSSL's one-shot HMAC; base64url without padding (RFC 7515).
#include "jwt_mint.hpp"

#include <ctime>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace herald::bench {

std::string base64url(const unsigned char* data, std::size_t size) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < size; i += 3) {
    std::uint32_t n = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == size) {
    std::uint32_t n = data[i] << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (i + 2 == size) {
    std::uint32_t n = (data[i] << 16) | (data[i + 1] << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

namespace {
std::string b64(const std::string& s) {
  return base64url(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}
}  // namespace

JwtMinter::JwtMinter(std::string secret, std::int64_t ttl_s)
    : secret_(std::move(secret)), ttl_s_(ttl_s), header_b64_(b64(R"({"alg":"HS256","typ":"JWT"})")) {}

std::string JwtMinter::mint(std::uint64_t user_id) const {
  std::string id = std::to_string(user_id);
  std::string claims = R"({"sub":")" + id + R"(","exp":)" + std::to_string(std::time(nullptr) + ttl_s_) +
                       R"(,"username":"u)" + id + R"(","type":"access"})";
  std::string signing_input = header_b64_ + "." + b64(claims);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &mac_len);
  return signing_input + "." + base64url(mac, mac_len);
}

}  // namespace herald::bench
