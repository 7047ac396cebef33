// SHA-1 and base64 come from OpenSSL (already linked for JWT).
#include "net/ws_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace herald::net {

bool valid_websocket_key(std::string_view key) {
  // 16 bytes are 128 bits: 21 full sextets, then 2 bits in a 22nd
  // character, then two '=' of padding. The unused low bits of the 22nd
  // character are not checked: a decoder ignores them, and so do we.
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (char c : key.substr(0, 22)) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

std::string websocket_accept_key(std::string_view sec_websocket_key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input;
  input.reserve(sec_websocket_key.size() + kGuid.size());
  input.append(sec_websocket_key).append(kGuid);

  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);

  // 20 bytes -> 28 base64 characters, plus the NUL EVP_EncodeBlock writes.
  unsigned char out[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

}  // namespace herald::net
