// Chat history (PROTOCOL.md 6.5): GET /messages/{user_id} and
// GET /conversations. A user only ever sees conversations they are part
// of: /messages/{x} is the caller's conversation with x, never another's.
//
// Decisions (docs/ARCHITECTURE.md, "History"):
// - Each message carries the `chat` event's data fields plus `seq`, the
//   caller's mailbox seq for it (4.3), so a client can line history up
//   with the events it has seen.
// - /messages: `limit` 1..100, default 50 (6.5); `before` an exclusive
//   message id. Reading the first page (no `before`) marks the whole
//   conversation read as of that read: every message from the partner up
//   to the newest one then stored. Older pages mark nothing.
// - /conversations: `limit` 1..100, default 20; rows newest last message
//   first; the cursor `before` and `next_before` are a last message id
//   (message ids are unique, so the order is total).
#include <boost/json.hpp>
#include <charconv>

#include "api/context.hpp"
#include "realtime/user_directory.hpp"
#include "store/async.hpp"
#include "util/clock.hpp"

namespace herald::api {
namespace {

namespace asio = boost::asio;

constexpr std::int64_t kMaxLimit = 100;
constexpr std::int64_t kMessagesLimit = 50;       // PROTOCOL.md 6.5
constexpr std::int64_t kConversationsLimit = 20;  // PROTOCOL.md 6

// An integer query parameter within [min, max]; nullopt = absent.
std::expected<std::optional<std::int64_t>, Response> int_param(const Request& r,
                                                               std::string_view name,
                                                               std::int64_t min, std::int64_t max) {
  auto text = r.query_param(name);
  if (!text) return std::optional<std::int64_t>{};
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || ptr != text->data() + text->size()) {
    return std::unexpected(validation_error("query", name, "value is not a valid integer"));
  }
  if (v < min || v > max) {
    return std::unexpected(validation_error(
        "query", name,
        "value must be between " + std::to_string(min) + " and " + std::to_string(max)));
  }
  return std::optional<std::int64_t>{v};
}

struct Paging {
  std::size_t limit = 0;
  std::optional<std::int64_t> before;
};
std::expected<Paging, Response> paging(const Request& r, std::int64_t default_limit) {
  auto limit = int_param(r, "limit", 1, kMaxLimit);
  if (!limit) return std::unexpected(limit.error());
  auto before = int_param(r, "before", 1, std::numeric_limits<std::int64_t>::max());
  if (!before) return std::unexpected(before.error());
  return Paging{static_cast<std::size_t>(limit->value_or(default_limit)), *before};
}

std::string name_of(const ApiContext& ctx, UserId id) {
  auto entry = ctx.directory.find(id);
  return entry ? entry->username : "user" + std::to_string(raw(id));
}

// The `chat` event's data fields (PROTOCOL.md 3), plus the caller's seq.
boost::json::object message_json(const store::HistoryMessage& m, std::string_view from_username) {
  boost::json::object o;
  o["id"] = raw(m.id);
  o["from_user_id"] = raw(m.from);
  o["from_username"] = from_username;
  o["to_user_id"] = raw(m.to);
  o["message"] = m.text;
  o["timestamp"] = util::iso8601_from_unix_ms(m.created_at_ms);
  o["seq"] = raw(m.seq);
  return o;
}

Response list_response(boost::json::array items, std::optional<std::int64_t> next_before) {
  boost::json::object body;
  body["items"] = std::move(items);
  if (next_before) {
    body["next_before"] = *next_before;
  } else {
    body["next_before"] = nullptr;
  }
  return json_response(200, boost::json::serialize(body));
}

}  // namespace

void add_history_routes(Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/messages/{int}", [&ctx](Request& r) -> asio::awaitable<Response> {
    auto claims = authenticate(ctx, r);
    if (!claims) co_return claims.error();
    auto page_of = paging(r, kMessagesLimit);
    if (!page_of) co_return page_of.error();
    UserId me = claims->user_id;
    UserId partner{std::stoll(r.params[0])};
    if (!ctx.directory.contains(partner)) co_return error_response(404, "User not found");
    MessageId before{page_of->before.value_or(std::numeric_limits<std::int64_t>::max())};
    std::size_t limit = page_of->limit;
    auto read = [me, partner, before, limit](store::Database& db) {
      return db.read_conversation(me, partner, before, limit);
    };
    store::ConversationPage page = co_await store::read(ctx.storage, std::move(read));
    // The first page marks the conversation read, awaited so the caller's
    // next /conversations shows it; no write when nothing was unread.
    if (!page_of->before && page.received > page.read) {
      auto mark = [me, partner, newest = page.newest,
                   received = page.received](store::Database& db) {
        db.mark_conversation_read(me, partner, newest, received);
        return true;
      };
      co_await store::write(ctx.storage, std::move(mark));
    }
    std::string my_name = name_of(ctx, me), partner_name = name_of(ctx, partner);
    boost::json::array items;
    for (const auto& m : page.messages) {
      items.push_back(message_json(m, m.from == me ? my_name : partner_name));
    }
    std::optional<std::int64_t> next;
    if (page.more && !page.messages.empty()) next = raw(page.messages.back().id);
    co_return list_response(std::move(items), next);
  });

  router.add("GET", "/api/v1/conversations", [&ctx](Request& r) -> asio::awaitable<Response> {
    auto claims = authenticate(ctx, r);
    if (!claims) co_return claims.error();
    auto page_of = paging(r, kConversationsLimit);
    if (!page_of) co_return page_of.error();
    UserId me = claims->user_id;
    MessageId before{page_of->before.value_or(std::numeric_limits<std::int64_t>::max())};
    std::size_t limit = page_of->limit;
    auto read = [me, before, limit](store::Database& db) {
      return db.list_conversations(me, before, limit);
    };
    store::ConversationList list = co_await store::read(ctx.storage, std::move(read));
    std::string my_name = name_of(ctx, me);
    boost::json::array items;
    for (const auto& c : list.conversations) {
      std::string partner_name = name_of(ctx, c.partner);
      boost::json::object row;
      row["user_id"] = raw(c.partner);
      row["username"] = partner_name;
      row["last_message"] = message_json(c.last, c.last.from == me ? my_name : partner_name);
      row["unread_count"] = c.unread;
      items.push_back(std::move(row));
    }
    std::optional<std::int64_t> next;
    if (list.more && !list.conversations.empty()) next = raw(list.conversations.back().last.id);
    co_return list_response(std::move(items), next);
  });
}

}  // namespace herald::api
