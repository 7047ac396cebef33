#pragma once
// The 64-bit integers of the packed blobs (archive_runs.hpp,
// notification_pack.hpp): appended and read as the host's bytes, which
// chat_block.hpp asserts are little-endian, so the files read the same on
// every host that builds.
#include <cstdint>
#include <cstring>
#include <string>

#include "store/sqlite/chat_block.hpp"  // the byte-order assertion

namespace herald::store::sqlite {

inline void put_int64(std::string& out, std::int64_t value) {
  char bytes[sizeof value];
  std::memcpy(bytes, &value, sizeof value);
  out.append(bytes, sizeof value);
}

inline std::int64_t take_int64(const char* in) {
  std::int64_t value;
  std::memcpy(&value, in, sizeof value);
  return value;
}

}  // namespace herald::store::sqlite
