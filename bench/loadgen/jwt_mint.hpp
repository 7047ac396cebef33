#pragma once
// Mints HS256 access tokens the way a backend sharing Herald's secret would
// (PROTOCOL.md section 1): claims sub (decimal string), exp, username, type.
#include <cstdint>
#include <string>

namespace herald::bench {

class JwtMinter {
 public:
  JwtMinter(std::string secret, std::int64_t ttl_s);
  // Token for user `user_id` named "u<user_id>", expiring ttl_s from now.
  [[nodiscard]] std::string mint(std::uint64_t user_id) const;

 private:
  std::string secret_;
  std::int64_t ttl_s_;
  std::string header_b64_;
};

std::string base64url(const unsigned char* data, std::size_t size);

}  // namespace herald::bench
