// Frame encoder/decoder; see ws_frame.hpp.
#include "ws_frame.hpp"

#include <cstring>

namespace herald::bench {

namespace {
void mask_bytes(char* data, std::size_t len, std::uint32_t mask) {
  unsigned char key[4];
  std::memcpy(key, &mask, 4);
  std::uint64_t wide = 0;
  for (int i = 0; i < 8; ++i) reinterpret_cast<unsigned char*>(&wide)[i] = key[i & 3];
  std::size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    std::uint64_t chunk;
    std::memcpy(&chunk, data + i, 8);
    chunk ^= wide;
    std::memcpy(data + i, &chunk, 8);
  }
  for (; i < len; ++i) data[i] ^= key[i & 3];
}
}  // namespace

void append_frame(std::string& out, Opcode op, std::string_view payload, std::uint32_t mask) {
  char header[14];
  std::size_t h = 0;
  header[h++] = static_cast<char>(0x80 | static_cast<std::uint8_t>(op));
  std::size_t n = payload.size();
  if (n < 126) {
    header[h++] = static_cast<char>(0x80 | n);
  } else if (n <= 0xFFFF) {
    header[h++] = static_cast<char>(0x80 | 126);
    header[h++] = static_cast<char>(n >> 8);
    header[h++] = static_cast<char>(n & 0xFF);
  } else {
    header[h++] = static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) header[h++] = static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF);
  }
  std::memcpy(header + h, &mask, 4);
  h += 4;
  std::size_t start = out.size();
  out.append(header, h);
  out.append(payload);
  mask_bytes(out.data() + start + h, n, mask);
}

ParseStatus parse_frame(char* buf, std::size_t len, FrameView& out) {
  if (len < 2) return ParseStatus::need_more;
  auto b0 = static_cast<unsigned char>(buf[0]);
  auto b1 = static_cast<unsigned char>(buf[1]);
  if (b0 & 0x70) return ParseStatus::bad;  // no extension negotiated
  std::uint64_t n = b1 & 0x7F;
  std::size_t h = 2;
  if (n == 126) {
    if (len < 4) return ParseStatus::need_more;
    n = (static_cast<unsigned char>(buf[2]) << 8) | static_cast<unsigned char>(buf[3]);
    h = 4;
  } else if (n == 127) {
    if (len < 10) return ParseStatus::need_more;
    n = 0;
    for (int i = 0; i < 8; ++i) n = (n << 8) | static_cast<unsigned char>(buf[2 + i]);
    h = 10;
    if (n > (1ULL << 31)) return ParseStatus::bad;
  }
  bool masked = b1 & 0x80;
  std::uint32_t mask = 0;
  if (masked) {
    if (len < h + 4) return ParseStatus::need_more;
    std::memcpy(&mask, buf + h, 4);
    h += 4;
  }
  if (len < h + n) return ParseStatus::need_more;
  if (masked) mask_bytes(buf + h, n, mask);
  out.fin = b0 & 0x80;
  out.opcode = static_cast<Opcode>(b0 & 0x0F);
  out.payload = std::string_view(buf + h, n);
  out.size = h + n;
  return ParseStatus::ok;
}

}  // namespace herald::bench
