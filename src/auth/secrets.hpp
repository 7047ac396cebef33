#pragma once
// Small libsodium-backed primitives shared by the auth module: process-wide
// sodium initialisation, random tokens and constant-time comparison.
// Invariant: every function here is safe to call from any thread, any time
// (each one makes sure sodium_init() has run exactly once first).
#include <cstddef>
#include <string>
#include <string_view>

namespace herald::auth {

// Runs sodium_init() once per process (std::call_once); throws
// std::runtime_error if libsodium cannot initialise (no entropy source).
void ensure_sodium();

// `bytes` bytes from the OS CSPRNG (randombytes_buf), as 2*bytes lowercase
// hex characters. Used for generated JWT secrets, refresh-token ids, API keys.
std::string random_hex(std::size_t bytes);

// True when a and b hold the same bytes. Time depends only on the lengths:
// different lengths answer false at once (a length is not a secret here),
// equal lengths are compared with sodium_memcmp, which never stops early.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace herald::auth
