// Posts, likes and comments (PROTOCOL.md 6.3), each with the notifications
// it raises (social_rules.hpp) stored in the same write job and published
// from its commit hook.
//
// Decisions (docs/NOTIFICATIONS.md): content is 1..10,000 characters
// (422); `new_like` goes to the author once per (post, liker) ever, so
// unlike and like again is not a second notification; `parent_id` must
// name a comment of the same post (404 otherwise, 422 when not an
// integer); mentions name registered accounts, case-insensitively.
#include "api/actor.hpp"
#include "api/context.hpp"
#include "api/notification_publish.hpp"
#include "api/paging.hpp"
#include "api/request_body.hpp"
#include "protocol/json_writer.hpp"
#include "store/async.hpp"
#include "util/clock.hpp"

namespace herald::api {

namespace {

namespace asio = boost::asio;

constexpr std::size_t kMaxContent = 10000;  // code points

std::string post_json(const store::PostRecord& p) {
  std::string out = R"({"id":)";
  protocol::append_int(out, raw(p.id));
  out += R"(,"author_id":)";
  protocol::append_int(out, raw(p.author));
  out += R"(,"content":)";
  protocol::append_json_string(out, p.content);
  out += R"(,"likes_count":)";
  protocol::append_int(out, p.likes_count);
  out += R"(,"comments_count":)";
  protocol::append_int(out, p.comments_count);
  out += R"(,"created_at":)";
  protocol::append_json_string(out, util::iso8601_from_unix_ms(p.created_at_ms));
  out += '}';
  return out;
}

std::string comment_json(const store::CommentRecord& c) {
  std::string out = R"({"id":)";
  protocol::append_int(out, raw(c.id));
  out += R"(,"post_id":)";
  protocol::append_int(out, raw(c.post));
  out += R"(,"author_id":)";
  protocol::append_int(out, raw(c.author));
  out += R"(,"parent_id":)";
  if (c.parent)
    protocol::append_int(out, raw(*c.parent));
  else
    out += "null";
  out += R"(,"content":)";
  protocol::append_json_string(out, c.content);
  out += R"(,"created_at":)";
  protocol::append_json_string(out, util::iso8601_from_unix_ms(c.created_at_ms));
  out += '}';
  return out;
}

// Mentioned registered users, in the text's order.
void add_mentions(store::Database& db, Recipients& recipients, const Actor& actor, const std::string& text,
                  store::PostId post, std::optional<store::CommentId> comment) {
  auto names = mentioned_names(text);
  if (names.empty()) return;
  for (const auto& [user, name] : db.find_registered(names)) {
    recipients.add(user, mention(actor, post, comment));
  }
}

struct PostResult {
  store::PostRecord post;
  std::vector<store::NotificationRecord> stored;
};

asio::awaitable<Response> create_post(ApiContext& ctx, Request& r) {
  auto claims = authenticate(ctx, r);
  if (!claims) co_return claims.error();
  auto body = json_object_body(r);
  if (!body) co_return body.error();
  auto content = text_field(*body, "content", 1, kMaxContent);
  if (!content) co_return content.error();
  Actor actor = co_await known_actor(ctx, *claims);
  auto job = [actor, text = std::move(*content)](store::Database& db) {
    const std::int64_t now = util::unix_ms_now();
    PostResult result;
    result.post = db.create_post(actor.id, text, now);
    Recipients recipients(actor.id);
    add_mentions(db, recipients, actor, text, result.post.id, std::nullopt);
    result.stored = store_planned(db, recipients, now);
    return result;
  };
  auto committed = [&ctx](const PostResult& result) { publish_stored(*ctx.broker, ctx.directory, result.stored); };
  auto result = co_await store::write(ctx.storage, std::move(job), std::move(committed));
  co_return json_response(201, post_json(result.post));
}

asio::awaitable<Response> get_post(ApiContext& ctx, Request& r) {
  auto claims = authenticate(ctx, r);
  if (!claims) co_return claims.error();
  const store::PostId id{std::stoll(r.params[0])};
  auto post = co_await store::read(ctx.storage, [id](store::Database& db) { return db.get_post(id); });
  if (!post) co_return error_response(404, "Post not found");
  co_return json_response(200, post_json(*post));
}

struct LikeResult {
  bool found = false;
  std::vector<store::NotificationRecord> stored;
};

asio::awaitable<Response> like(ApiContext& ctx, Request& r, bool on) {
  auto claims = authenticate(ctx, r);
  if (!claims) co_return claims.error();
  const store::PostId id{std::stoll(r.params[0])};
  // Not `on ? co_await ... : ...`: g++ 12 miscompiles co_await inside a
  // conditional expression (it crashed here).
  Actor actor{claims->user_id, ""};
  if (on) actor = co_await known_actor(ctx, *claims);
  auto job = [actor, id, on](store::Database& db) {
    LikeResult result;
    auto post = db.get_post(id);
    if (!post) return result;
    result.found = true;
    const std::int64_t now = util::unix_ms_now();
    if (!on) {
      db.unlike_post(id, actor.id);
    } else if (db.like_post(id, actor.id, now) && post->author != actor.id &&
               db.note_once(store::OnceKind::like, raw(id), actor.id)) {
      Recipients recipients(actor.id);
      recipients.add(post->author, new_like(actor, id));
      result.stored = store_planned(db, recipients, now);
    }
    return result;
  };
  auto committed = [&ctx](const LikeResult& result) { publish_stored(*ctx.broker, ctx.directory, result.stored); };
  auto result = co_await store::write(ctx.storage, std::move(job), std::move(committed));
  if (!result.found) co_return error_response(404, "Post not found");
  co_return no_content();
}

struct CommentResult {
  enum class Outcome { created, no_post, no_parent } outcome = Outcome::no_post;
  store::CommentRecord comment;
  std::vector<store::NotificationRecord> stored;
};

asio::awaitable<Response> create_comment(ApiContext& ctx, Request& r) {
  auto claims = authenticate(ctx, r);
  if (!claims) co_return claims.error();
  const store::PostId post_id{std::stoll(r.params[0])};
  auto body = json_object_body(r);
  if (!body) co_return body.error();
  auto content = text_field(*body, "content", 1, kMaxContent);
  if (!content) co_return content.error();
  std::optional<store::CommentId> parent;
  if (auto p = body->find("parent_id"); p != body->end() && !p->value().is_null()) {
    if (!p->value().is_int64() || p->value().as_int64() < 1) {
      co_return validation_error("body", "parent_id", "parent_id must be a positive integer");
    }
    parent = store::CommentId{p->value().as_int64()};
  }
  Actor actor = co_await known_actor(ctx, *claims);
  auto job = [actor, post_id, parent, text = std::move(*content)](store::Database& db) {
    using Outcome = CommentResult::Outcome;
    CommentResult result;
    auto post = db.get_post(post_id);
    if (!post) return result;
    std::optional<store::CommentRecord> parent_comment;
    if (parent) {
      parent_comment = db.get_comment(*parent);
      if (!parent_comment || parent_comment->post != post_id) {
        result.outcome = Outcome::no_parent;
        return result;
      }
    }
    const std::int64_t now = util::unix_ms_now();
    result.outcome = Outcome::created;
    result.comment = db.add_comment(post_id, actor.id, parent, text, now);
    // Priority order: the first rule that reaches a user is the one they get.
    Recipients recipients(actor.id);
    recipients.add(post->author, new_comment(actor, post_id, result.comment.id));
    if (parent_comment) {
      recipients.add(parent_comment->author, comment_reply(actor, post_id, result.comment.id, *parent));
    }
    add_mentions(db, recipients, actor, text, post_id, result.comment.id);
    result.stored = store_planned(db, recipients, now);
    return result;
  };
  auto committed = [&ctx](const CommentResult& result) {
    publish_stored(*ctx.broker, ctx.directory, result.stored);
  };
  auto result = co_await store::write(ctx.storage, std::move(job), std::move(committed));
  switch (result.outcome) {
    case CommentResult::Outcome::no_post:
      co_return error_response(404, "Post not found");
    case CommentResult::Outcome::no_parent:
      co_return error_response(404, "Parent comment not found on this post");
    case CommentResult::Outcome::created:
      break;
  }
  co_return json_response(201, comment_json(result.comment));
}

asio::awaitable<Response> list_comments(ApiContext& ctx, Request& r) {
  auto claims = authenticate(ctx, r);
  if (!claims) co_return claims.error();
  const store::PostId post_id{std::stoll(r.params[0])};
  auto page = page_query(r);
  if (!page) co_return page.error();
  struct Listed {
    bool found = false;
    std::vector<store::CommentRecord> rows;
  };
  auto read_page = [post_id, page = *page](store::Database& db) {
    Listed listed;
    if (!db.get_post(post_id)) return listed;
    listed.found = true;
    listed.rows = db.list_comments(post_id, page);
    return listed;
  };
  auto listed = co_await store::read(ctx.storage, std::move(read_page));
  if (!listed.found) co_return error_response(404, "Post not found");
  co_return page_response(listed.rows, page->limit - 1, comment_json,
                          [](const store::CommentRecord& c) { return raw(c.id); });
}

}  // namespace

void add_post_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/api/v1/posts",
             [&ctx](Request& r) -> asio::awaitable<Response> { return create_post(ctx, r); });
  router.add("GET", "/api/v1/posts/{int}",
             [&ctx](Request& r) -> asio::awaitable<Response> { return get_post(ctx, r); });
  router.add("POST", "/api/v1/posts/{int}/like",
             [&ctx](Request& r) -> asio::awaitable<Response> { return like(ctx, r, true); });
  router.add("DELETE", "/api/v1/posts/{int}/like",
             [&ctx](Request& r) -> asio::awaitable<Response> { return like(ctx, r, false); });
  router.add("POST", "/api/v1/posts/{int}/comments",
             [&ctx](Request& r) -> asio::awaitable<Response> { return create_comment(ctx, r); });
  router.add("GET", "/api/v1/posts/{int}/comments",
             [&ctx](Request& r) -> asio::awaitable<Response> { return list_comments(ctx, r); });
}

}  // namespace herald::api
