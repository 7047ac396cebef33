#pragma once
// Password hashing for accounts (PROTOCOL 6.2 "Stored with Argon2id").
// Argon2id through libsodium's crypto_pwhash_str_alg with OWASP's minimum
// parameters (m = 19 MiB, t = 2, p = 1). The stored string is libsodium's
// self-describing "$argon2id$v=19$m=...,t=...,p=...$salt$hash", so the
// parameters can be raised later and old hashes still verify.
// Cost: one hash or verify takes tens of milliseconds and 19 MiB of memory;
// callers must run these off the network worker threads.
#include <string>
#include <string_view>

namespace herald::auth {

// A fresh random salt every call, so two hashes of one password differ.
// Throws std::bad_alloc when the 19 MiB work area cannot be allocated.
std::string hash_password(std::string_view password);

// True when `password` matches `stored_hash`. A malformed or empty stored
// hash verifies nothing (false), it never throws.
bool verify_password(std::string_view stored_hash, std::string_view password);

// True when `stored_hash` was made with other parameters than the current
// ones (rehash it after a successful login).
bool password_needs_rehash(std::string_view stored_hash);

// A valid hash of a random password, computed once. Login verifies against it
// when the username is unknown, so "no such user" costs the same time as
// "wrong password" and timing does not reveal which usernames exist.
const std::string& dummy_password_hash();

}  // namespace herald::auth
