// parse_client_message: one text frame -> a typed ClientMessage or the first
// ProtocolError (PROTOCOL.md sections 3-4). This is the hot path of every
// inbound frame, so the DOM lives in a monotonic arena over a stack buffer:
// a typical frame costs no heap allocation beyond the std::strings of the
// result. Recursion is bounded by Boost.JSON's max_depth (32), so a frame of
// 10,000 '[' is a quick INVALID_JSON, not a stack overflow.
#include <boost/json.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "protocol/client_messages.hpp"
#include "protocol/utf8.hpp"

namespace herald::protocol {
namespace {

namespace bj = boost::json;

// The DOM of a chat frame with a 1 KiB message fits with room to spare;
// bigger frames (up to the 64 KiB transport limit) spill to the heap.
constexpr std::size_t kArenaBytes = 4096;
// Scratch stack of the parser (the values of the object being built).
constexpr std::size_t kParserScratchBytes = 1024;

std::string_view view(const bj::string& s) { return {s.data(), s.size()}; }

// Field lookup that treats JSON null like an absent field.
const bj::value* field(const bj::object& obj, std::string_view key) {
  const bj::value* v = obj.if_contains(bj::string_view(key.data(), key.size()));
  return (v && !v->is_null()) ? v : nullptr;
}

// A positive integer that fits int64. Boost.JSON stores integers above
// INT64_MAX as uint64 and anything with a fraction or exponent (5.0, 1e400)
// as double: both are rejected, as are strings like "5".
std::optional<UserId> positive_id(const bj::value& v) {
  if (const std::int64_t* i = v.if_int64(); i && *i > 0) return UserId{*i};
  return std::nullopt;
}

// A string of min..max code points, or nullptr.
const bj::string* bounded_string(const bj::value* v, std::size_t min_chars,
                                 std::size_t max_chars) {
  if (!v) return nullptr;
  const bj::string* s = v->if_string();
  if (!s || !code_points_within(view(*s), min_chars, max_chars)) return nullptr;
  return s;
}

std::string range_text(std::size_t min_chars, std::size_t max_chars) {
  return std::to_string(min_chars) + ".." + std::to_string(max_chars);
}

// Builds errors that echo the frame's client_msg_id (computed only on the
// error path, so the happy path pays nothing for it).
class Failer {
 public:
  explicit Failer(const bj::object& obj) : obj_(obj) {}

  ProtocolError operator()(ErrorCode code, std::string message) const {
    ProtocolError e{code, std::move(message), std::nullopt};
    if (const bj::value* id = obj_.if_contains("client_msg_id"))
      if (const bj::string* s = id->if_string()) e.ref.emplace(view(*s));
    return e;
  }
  ProtocolError invalid(std::string message) const {
    return (*this)(ErrorCode::invalid_message, std::move(message));
  }

 private:
  const bj::object& obj_;
};

using Result = std::expected<ClientMessage, ProtocolError>;

Result parse_typing(const bj::object& obj, const Limits& limits, const Failer& fail) {
  const bj::value* data = field(obj, "data");
  const bj::object* d = data ? data->if_object() : nullptr;
  if (!d) return std::unexpected(fail.invalid("data must be an object"));

  const bj::value* is_typing = field(*d, "is_typing");
  if (!is_typing || !is_typing->is_bool())
    return std::unexpected(fail.invalid("data.is_typing must be a boolean"));

  const bj::string* context = bounded_string(field(*d, "context"), 1, limits.max_context_chars);
  if (!context)
    return std::unexpected(fail.invalid("data.context must be a string of " +
                                        range_text(1, limits.max_context_chars) + " characters"));

  Typing t{is_typing->get_bool(), std::string(view(*context)), std::nullopt};
  if (const bj::value* to = field(*d, "to_user_id")) {
    t.to_user_id = positive_id(*to);
    if (!t.to_user_id)
      return std::unexpected(fail.invalid("data.to_user_id must be a positive integer"));
  }
  return t;
}

template <class T>
Result parse_context_message(const bj::object& obj, const Limits& limits, const Failer& fail) {
  const bj::string* context = bounded_string(field(obj, "context"), 1, limits.max_context_chars);
  if (!context)
    return std::unexpected(fail.invalid("context must be a string of " +
                                        range_text(1, limits.max_context_chars) + " characters"));
  return T{std::string(view(*context))};
}

// Re-serializes `data` compactly into a buffer one byte larger than the
// limit: if the serializer is not done after that, the object is too big,
// and a huge object is never serialized in full. The default 1 KiB limit
// stays on the stack; a larger configured limit uses the heap.
std::optional<std::string> compact_bounded(const bj::object& data, std::size_t max_bytes) {
  constexpr std::size_t kStackBytes = 2048;
  char stack_buf[kStackBytes];
  std::string heap_buf;
  char* buf = stack_buf;
  if (max_bytes + 1 > kStackBytes) {
    heap_buf.resize(max_bytes + 1);
    buf = heap_buf.data();
  }
  bj::serializer sr;
  sr.reset(&data);
  bj::string_view out = sr.read(buf, max_bytes + 1);
  if (!sr.done() || out.size() > max_bytes) return std::nullopt;
  return std::string(out.data(), out.size());
}

// A number beyond a double's range (1e400) parses as an infinity, which
// Boost.JSON serializes as `Infinity`: not JSON, and data_json goes verbatim
// into other users' frames. Recursion is bounded by the parser's max_depth.
bool finite_numbers(const bj::value& v) {
  if (const double* d = v.if_double()) return std::isfinite(*d);
  if (const bj::array* a = v.if_array()) {
    for (const bj::value& e : *a)
      if (!finite_numbers(e)) return false;
  } else if (const bj::object* o = v.if_object()) {
    for (const auto& kv : *o)
      if (!finite_numbers(kv.value())) return false;
  }
  return true;
}

Result parse_presence(const bj::object& obj, const Limits& limits, const Failer& fail) {
  const bj::value* status = field(obj, "status");
  const bj::string* name = status ? status->if_string() : nullptr;
  std::optional<PresenceStatus> parsed = name ? parse_presence_status(view(*name)) : std::nullopt;
  if (!parsed)
    return std::unexpected(fail.invalid("status must be one of online, away, busy, offline"));

  PresenceSet p{*parsed, std::nullopt};
  if (const bj::value* data = field(obj, "data")) {
    const bj::object* d = data->if_object();
    if (d && !finite_numbers(*data))
      return std::unexpected(fail.invalid("data must not hold a number out of range"));
    if (d) p.data_json = compact_bounded(*d, limits.max_presence_data_bytes);
    if (!p.data_json)
      return std::unexpected(fail.invalid("data must be an object of at most " +
                                          std::to_string(limits.max_presence_data_bytes) +
                                          " bytes"));
  }
  return p;
}

Result parse_chat(const bj::object& obj, const Limits& limits, const Failer& fail) {
  const bj::value* to = field(obj, "to_user_id");
  std::optional<UserId> to_user = to ? positive_id(*to) : std::nullopt;
  if (!to_user) return std::unexpected(fail.invalid("to_user_id must be a positive integer"));

  const bj::string* text = bounded_string(field(obj, "message"), 1, limits.max_chat_chars);
  if (!text)
    return std::unexpected(fail.invalid("message must be a non-empty string of at most " +
                                        std::to_string(limits.max_chat_chars) + " characters"));

  ChatSend c{*to_user, std::string(view(*text)), std::nullopt};
  if (const bj::value* id = field(obj, "client_msg_id")) {
    // Empty is refused: "" as an idempotency key would swallow every later
    // message that also sent "".
    const bj::string* s = bounded_string(id, 1, limits.max_client_msg_id_chars);
    if (!s)
      return std::unexpected(fail.invalid("client_msg_id must be a string of " +
                                          range_text(1, limits.max_client_msg_id_chars) +
                                          " characters"));
    c.client_msg_id.emplace(view(*s));
  }
  return c;  // `timestamp` is the client's clock: ignored, the server stamps
}

Result parse_auth(const bj::object& obj, const Failer& fail) {
  const bj::value* token = field(obj, "token");
  const bj::string* s = token ? token->if_string() : nullptr;
  if (!s || s->empty()) return std::unexpected(fail.invalid("token must be a non-empty string"));
  return AuthRefresh{std::string(view(*s))};
}

Result dispatch(const bj::object& obj, const Limits& limits) {
  Failer fail(obj);
  const bj::value* type = obj.if_contains("type");
  if (!type) return std::unexpected(fail(ErrorCode::unknown_message_type, "type is missing"));
  const bj::string* t = type->if_string();
  if (!t) return std::unexpected(fail(ErrorCode::unknown_message_type, "type must be a string"));

  std::string_view name = view(*t);
  if (name == "message") return parse_chat(obj, limits, fail);
  if (name == "ping") return Ping{};
  if (name == "typing") return parse_typing(obj, limits, fail);
  if (name == "presence") return parse_presence(obj, limits, fail);
  if (name == "subscribe") return parse_context_message<Subscribe>(obj, limits, fail);
  if (name == "unsubscribe") return parse_context_message<Unsubscribe>(obj, limits, fail);
  if (name == "auth") return parse_auth(obj, fail);
  return std::unexpected(
      fail(ErrorCode::unknown_message_type,
           "type must be one of ping, typing, subscribe, unsubscribe, presence, message, auth"));
}

ProtocolError invalid_json(std::string message) {
  return ProtocolError{ErrorCode::invalid_json, std::move(message), std::nullopt};
}

}  // namespace

std::expected<ClientMessage, ProtocolError> parse_client_message(std::string_view text,
                                                                 const Limits& limits) {
  // Declaration order matters: the arena must outlive the parser and value.
  alignas(std::max_align_t) unsigned char arena_buf[kArenaBytes];
  alignas(std::max_align_t) unsigned char scratch[kParserScratchBytes];
  bj::monotonic_resource arena(arena_buf, sizeof arena_buf);

  bj::parse_options options;  // strict JSON: no NaN/Infinity, comments, trailing commas
  options.max_depth = 32;
  bj::parser parser(bj::storage_ptr(), options, scratch, sizeof scratch);
  parser.reset(&arena);

  bj::error_code ec;
  parser.write(text.data(), text.size(), ec);
  if (ec == bj::error::too_deep)
    return std::unexpected(invalid_json("message is nested too deeply"));
  if (ec) return std::unexpected(invalid_json("message is not valid JSON"));

  bj::value root = parser.release();
  const bj::object* obj = root.if_object();
  if (!obj) return std::unexpected(invalid_json("message must be a JSON object"));
  return dispatch(*obj, limits);
}

std::string_view message_type_name(const ClientMessage& message) {
  // Same order as the ClientMessage alternatives.
  static constexpr std::array<std::string_view, 7> kNames = {
      "ping", "typing", "subscribe", "unsubscribe", "presence", "message", "auth"};
  static_assert(kNames.size() == std::variant_size_v<ClientMessage>);
  return kNames[message.index()];
}

}  // namespace herald::protocol
