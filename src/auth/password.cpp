// See password.hpp.
#include "auth/password.hpp"

#include <sodium.h>

#include <new>

#include "auth/secrets.hpp"

namespace herald::auth {
namespace {

constexpr unsigned long long kOpsLimit = 2;           // t = 2 passes
constexpr std::size_t kMemLimit = 19u * 1024 * 1024;  // m = 19 MiB (p is always 1 in libsodium)
constexpr int kAlgorithm = crypto_pwhash_ALG_ARGON2ID13;

// libsodium wants a NUL-terminated hash string of bounded size.
bool usable_hash(std::string_view stored) {
  return !stored.empty() && stored.size() < crypto_pwhash_STRBYTES &&
         stored.find('\0') == std::string_view::npos;
}

// string_view::data() may be null for an empty view; libsodium gets "" then.
const char* bytes_of(std::string_view s) {
  return s.data() ? s.data() : "";
}

}  // namespace

std::string hash_password(std::string_view password) {
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, bytes_of(password), password.size(), kOpsLimit, kMemLimit,
                            kAlgorithm) != 0) {
    throw std::bad_alloc();  // the only documented failure: out of memory
  }
  return std::string(out);
}

bool verify_password(std::string_view stored_hash, std::string_view password) {
  if (!usable_hash(stored_hash)) return false;
  ensure_sodium();
  const std::string stored(stored_hash);
  return crypto_pwhash_str_verify(stored.c_str(), bytes_of(password), password.size()) == 0;
}

bool password_needs_rehash(std::string_view stored_hash) {
  if (!usable_hash(stored_hash)) return true;
  ensure_sodium();
  const std::string stored(stored_hash);
  // 1 = other parameters, -1 = not an Argon2id hash (e.g. Argon2i): both want a
  // new hash. The generic crypto_pwhash_str_needs_rehash would accept Argon2i.
  return crypto_pwhash_argon2id_str_needs_rehash(stored.c_str(), kOpsLimit, kMemLimit) != 0;
}

const std::string& dummy_password_hash() {
  static const std::string hash = hash_password(random_hex(16));
  return hash;
}

}  // namespace herald::auth
