#include "cluster/envelope.hpp"

#include <cstring>
#include <limits>

namespace herald::cluster {

namespace {
constexpr std::uint8_t kVersion = 1;

template <class T>
void put(std::string& out, T value) {
  char bytes[sizeof value];
  std::memcpy(bytes, &value, sizeof value);  // little-endian hosts only (x86-64, arm64)
  out.append(bytes, sizeof value);
}

// Reads fixed-size fields from the front of a payload; any read past its
// end marks the whole read failed.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <class T>
  T take() {
    T value{};
    if (in_.size() < sizeof value) {
      failed_ = true;
      return value;
    }
    std::memcpy(&value, in_.data(), sizeof value);
    in_.remove_prefix(sizeof value);
    return value;
  }
  std::string_view take_bytes(std::size_t n) {
    if (in_.size() < n) {
      failed_ = true;
      return {};
    }
    std::string_view bytes = in_.substr(0, n);
    in_.remove_prefix(n);
    return bytes;
  }
  std::string_view rest() const { return in_; }
  bool failed() const { return failed_; }

 private:
  std::string_view in_;
  bool failed_ = false;
};

bool known_kind(std::uint8_t kind) { return kind <= static_cast<std::uint8_t>(Target::Kind::followers); }
}  // namespace

std::string encode_envelope(NodeId origin, const Target& target, const std::string& frame) {
  std::string out;
  const std::size_t type_len = std::min<std::size_t>(target.type.size(), std::numeric_limits<std::uint8_t>::max());
  const std::size_t context_len =
      std::min<std::size_t>(target.context.size(), std::numeric_limits<std::uint16_t>::max());
  out.reserve(2 + 6 * 8 + 1 + type_len + 2 + context_len + frame.size());
  put(out, kVersion);
  put(out, static_cast<std::uint8_t>(target.kind));
  put(out, origin);
  put(out, raw(target.user));
  put(out, raw(target.exclude_user));
  put(out, raw(target.exclude_connection));
  put(out, target.presence_seq);
  put(out, target.mailbox_seq);
  put(out, static_cast<std::uint8_t>(type_len));
  out.append(target.type.substr(0, type_len));
  put(out, static_cast<std::uint16_t>(context_len));
  out.append(target.context, 0, context_len);
  out.append(frame);
  return out;
}

std::optional<Envelope> decode_envelope(std::string_view payload) {
  Reader in(payload);
  if (in.take<std::uint8_t>() != kVersion || in.failed()) return std::nullopt;
  const auto kind = in.take<std::uint8_t>();
  Envelope e;
  e.origin = in.take<NodeId>();
  e.target.kind = static_cast<Target::Kind>(kind);
  e.target.user = UserId{in.take<std::int64_t>()};
  e.target.exclude_user = UserId{in.take<std::int64_t>()};
  e.target.exclude_connection = ConnectionId{in.take<std::uint64_t>()};
  e.target.presence_seq = in.take<std::uint64_t>();
  e.target.mailbox_seq = in.take<std::uint64_t>();
  e.type = std::string(in.take_bytes(in.take<std::uint8_t>()));
  e.target.context = std::string(in.take_bytes(in.take<std::uint16_t>()));
  if (in.failed() || !known_kind(kind)) return std::nullopt;
  e.frame = std::make_shared<const std::string>(in.rest());
  return e;
}

}  // namespace herald::cluster
