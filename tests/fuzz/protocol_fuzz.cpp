// libFuzzer target for the client message parser,
// protocol::parse_client_message (PROTOCOL.md section 4): the input is one
// text frame, as the transport hands it over.
//
// Oracles, beyond "no crash, no sanitizer report, no exception":
// - the parser's stack-arena DOM agrees with a plain boost::json::parse of
//   the same text (max_depth 32): INVALID_JSON exactly when that parse fails
//   or the value is not an object;
// - a parsed message carries what the frame said: the `type`, ids, strings
//   and booleans equal the reference DOM's fields, strings are within their
//   code-point limits, ids positive; `presence.data_json` is the compact
//   serialization of `data`, at most max_presence_data_bytes, and parses
//   as JSON again (a number out of range once made it `Infinity`);
// - an error's code is one the parser documents, its text is not empty, and
//   `ref` is the frame's top-level string `client_msg_id` (never for
//   INVALID_JSON);
// - limits only ever narrow: a frame accepted under tight limits is
//   accepted unchanged under the defaults and under loose ones (the loose
//   presence limit takes the serializer's heap path), and a frame refused
//   under the defaults is refused with the same code under tight limits.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/client_messages.hpp"

namespace {

namespace bj = boost::json;
using namespace herald::protocol;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "protocol_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool chars_within(const std::string& s, std::size_t lo, std::size_t hi) {
  const std::size_t n = code_points(s);
  return n >= lo && n <= hi;
}

// The field as the parser reads it: JSON null counts as absent.
const bj::value* field(const bj::object& o, std::string_view key) {
  const bj::value* v = o.if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

bool string_is(const bj::value* v, const std::string& s) {
  return v && v->is_string() && std::string_view(v->get_string()) == s;
}

bool id_is(const bj::value* v, herald::UserId id) {
  return v && v->is_int64() && v->get_int64() == herald::raw(id) && herald::raw(id) > 0;
}

bool same(const ClientMessage& a, const ClientMessage& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, Ping>) {
          return true;
        } else if constexpr (std::is_same_v<T, Typing>) {
          return x.is_typing == y.is_typing && x.context == y.context && x.to_user_id == y.to_user_id;
        } else if constexpr (std::is_same_v<T, Subscribe> || std::is_same_v<T, Unsubscribe>) {
          return x.context == y.context;
        } else if constexpr (std::is_same_v<T, PresenceSet>) {
          return x.status == y.status && x.data_json == y.data_json;
        } else if constexpr (std::is_same_v<T, ChatSend>) {
          return x.to_user_id == y.to_user_id && x.message == y.message &&
                 x.client_msg_id == y.client_msg_id;
        } else {
          return x.token == y.token;
        }
      },
      a);
}

// A successful parse against the reference DOM of the same frame.
void check_message(const ClientMessage& m, const bj::object& obj, const Limits& limits) {
  check(string_is(field(obj, "type"), std::string(message_type_name(m))), "type differs");
  if (const auto* chat = std::get_if<ChatSend>(&m)) {
    check(id_is(field(obj, "to_user_id"), chat->to_user_id), "chat to_user_id differs");
    check(string_is(field(obj, "message"), chat->message), "chat message differs");
    check(chars_within(chat->message, 1, limits.max_chat_chars), "chat message length");
    if (chat->client_msg_id) {
      check(string_is(field(obj, "client_msg_id"), *chat->client_msg_id), "client_msg_id differs");
      check(chars_within(*chat->client_msg_id, 1, limits.max_client_msg_id_chars),
            "client_msg_id length");
    } else {
      check(!field(obj, "client_msg_id"), "client_msg_id dropped");
    }
  } else if (const auto* typing = std::get_if<Typing>(&m)) {
    const bj::value* data = field(obj, "data");
    check(data && data->is_object(), "typing without a data object");
    const bj::object& d = data->get_object();
    const bj::value* is_typing = field(d, "is_typing");
    check(is_typing && is_typing->is_bool() && is_typing->get_bool() == typing->is_typing,
          "typing is_typing differs");
    check(string_is(field(d, "context"), typing->context), "typing context differs");
    check(chars_within(typing->context, 1, limits.max_context_chars), "typing context length");
    if (typing->to_user_id) {
      check(id_is(field(d, "to_user_id"), *typing->to_user_id), "typing to_user_id differs");
    } else {
      check(!field(d, "to_user_id"), "typing to_user_id dropped");
    }
  } else if (const auto* sub = std::get_if<Subscribe>(&m)) {
    check(string_is(field(obj, "context"), sub->context), "subscribe context differs");
    check(chars_within(sub->context, 1, limits.max_context_chars), "subscribe context length");
  } else if (const auto* unsub = std::get_if<Unsubscribe>(&m)) {
    check(string_is(field(obj, "context"), unsub->context), "unsubscribe context differs");
    check(chars_within(unsub->context, 1, limits.max_context_chars), "unsubscribe context length");
  } else if (const auto* presence = std::get_if<PresenceSet>(&m)) {
    check(string_is(field(obj, "status"), std::string(to_string(presence->status))),
          "presence status differs");
    const bj::value* data = field(obj, "data");
    if (presence->data_json) {
      check(data && data->is_object(), "presence data_json without a data object");
      check(presence->data_json->size() <= limits.max_presence_data_bytes, "presence data too big");
      check(*presence->data_json == bj::serialize(*data), "presence data_json not compact data");
      // It is JSON (it goes verbatim into other users' frames). Not compared
      // by value: Boost.JSON's default number parsing may round a double's
      // last bit differently on the way back.
      bj::error_code ec;
      const bj::value back = bj::parse(*presence->data_json, ec);
      check(!ec && back.is_object() && back.get_object().size() == data->get_object().size(),
            "presence data_json is not the JSON object data");
    } else {
      check(!data, "presence data dropped");
    }
  } else if (const auto* auth = std::get_if<AuthRefresh>(&m)) {
    check(!auth->token.empty(), "empty auth token");
    check(string_is(field(obj, "token"), auth->token), "auth token differs");
  }
}

void check_error(const ProtocolError& e, const bj::object* obj) {
  check(!e.message.empty(), "error without text");
  check(e.code == ErrorCode::invalid_json || e.code == ErrorCode::unknown_message_type ||
            e.code == ErrorCode::invalid_message,
        "error code the parser does not document");
  check((e.code == ErrorCode::invalid_json) == (obj == nullptr),
        "INVALID_JSON disagrees with the reference parse");
  if (!obj) {
    check(!e.ref, "INVALID_JSON with a ref");
    return;
  }
  const bj::value* id = obj->if_contains("client_msg_id");
  if (id && id->is_string()) {
    check(e.ref && *e.ref == std::string_view(id->get_string()), "ref is not client_msg_id");
  } else {
    check(!e.ref, "ref without a string client_msg_id");
  }
  if (e.code == ErrorCode::invalid_message) {
    const bj::value* type = obj->if_contains("type");
    check(type && type->is_string(), "INVALID_MESSAGE without a string type");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // The reference DOM: a plain parse, same depth limit, default allocator.
  bj::parse_options options;
  options.max_depth = 32;
  bj::error_code ec;
  const bj::value reference = bj::parse(text, ec, bj::storage_ptr(), options);
  const bj::object* obj = ec ? nullptr : reference.if_object();

  const Limits defaults;
  Limits tight;
  tight.max_chat_chars = 8;
  tight.max_context_chars = 4;
  tight.max_client_msg_id_chars = 3;
  tight.max_presence_data_bytes = 16;
  Limits loose;
  loose.max_chat_chars = 100000;
  loose.max_context_chars = 100000;
  loose.max_client_msg_id_chars = 100000;
  loose.max_presence_data_bytes = 8192;  // over the parser's 2 KiB stack buffer

  const auto normal = parse_client_message(text, defaults);
  const auto narrow = parse_client_message(text, tight);
  const auto wide = parse_client_message(text, loose);

  if (normal) {
    check(obj != nullptr, "accepted what the reference parse refused");
    check_message(*normal, *obj, defaults);
    check(wide.has_value() && same(*normal, *wide), "looser limits changed an accepted message");
  } else {
    check_error(normal.error(), obj);
    check(!narrow.has_value() && narrow.error().code == normal.error().code,
          "tighter limits changed a refusal");
  }
  if (narrow) {
    check_message(*narrow, *obj, tight);
    check(normal.has_value() && same(*narrow, *normal), "default limits changed a tight accept");
  } else {
    check_error(narrow.error(), obj);
  }
  if (wide) {
    check_message(*wide, *obj, loose);
  } else {
    check_error(wide.error(), obj);
  }
  return 0;
}
