// See secrets.hpp. libsodium does the work; this file only adapts it to
// std::string and makes initialisation implicit.
#include "auth/secrets.hpp"

#include <sodium.h>

#include <mutex>
#include <stdexcept>

namespace herald::auth {

void ensure_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    // 0 = initialised now, 1 = already initialised (e.g. by another library).
    if (sodium_init() < 0) throw std::runtime_error("libsodium initialisation failed");
  });
}

std::string random_hex(std::size_t bytes) {
  ensure_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');  // sodium_bin2hex writes a trailing NUL
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  sodium_memzero(raw.data(), raw.size());
  hex.pop_back();
  return hex;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;  // nothing to compare; avoids null data() pointers
  ensure_sodium();
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace herald::auth
