#include "cluster/redis_presence.hpp"

#include <charconv>
#include <string>

#include <boost/json.hpp>

#include "cluster/redis_link.hpp"

namespace herald::cluster {

namespace {

// What every transition script shares: announce() numbers one visible
// change and publishes it with the online count after it; unchanged() is
// the answer of a transition that changed nothing visible (the number and
// count as they stand). Every transition returns {seq, online_count,
// changed} (see PresenceStep). A user's total is the sum of their per-node
// counts; the online set decides "changed", so a repeated transition never
// publishes twice.
constexpr const char* kPrelude = R"lua(
local function announce(user, name, online)
  local seq = redis.call('INCR', 'herald:pseq')
  local count = redis.call('SCARD', 'herald:online')
  redis.call('PUBLISH', 'herald:presence',
    cjson.encode({seq = seq, user = user, name = name, online = online, count = count}))
  return {seq, count, 1}
end
local function unchanged()
  return {tonumber(redis.call('GET', 'herald:pseq') or '0'), redis.call('SCARD', 'herald:online'), 0}
end
local function went_offline(user)
  return redis.call('EXISTS', 'herald:pc:' .. user) == 0 and redis.call('SREM', 'herald:online', user) == 1
end
)lua";

std::string with_prelude(const char* body) { return std::string(kPrelude) + body; }

const std::string kAttach = with_prelude(R"lua(
local user, node, name = ARGV[1], ARGV[2], ARGV[3]
redis.call('HINCRBY', 'herald:pc:' .. user, node, 1)
redis.call('SADD', 'herald:nu:' .. node, user)
redis.call('HSET', 'herald:names', user, name)
if redis.call('SADD', 'herald:online', user) == 1 then return announce(user, name, true) end
return unchanged()
)lua");

const std::string kDetach = with_prelude(R"lua(
local user, node = ARGV[1], ARGV[2]
local key = 'herald:pc:' .. user
if redis.call('HEXISTS', key, node) == 1 and redis.call('HINCRBY', key, node, -1) <= 0 then
  redis.call('HDEL', key, node)
  redis.call('SREM', 'herald:nu:' .. node, user)
end
if went_offline(user) then
  return announce(user, redis.call('HGET', 'herald:names', user) or '', false)
end
return unchanged()
)lua");

constexpr const char* kHeartbeat = R"lua(
local node, ttl = ARGV[1], ARGV[2]
redis.call('SET', 'herald:node:' .. node, '1', 'PX', ttl)
return redis.call('SADD', 'herald:nodes', node)
)lua";

// A lapsed node's users lose its connections; those left with none go
// offline. The node leaves `nodes` in the same script, so a second reaper
// finds nothing to do. Answers how many went offline.
const std::string kReap = with_prelude(R"lua(
local offline = 0
for _, node in ipairs(redis.call('SMEMBERS', 'herald:nodes')) do
  if redis.call('EXISTS', 'herald:node:' .. node) == 0 then
    for _, user in ipairs(redis.call('SMEMBERS', 'herald:nu:' .. node)) do
      redis.call('HDEL', 'herald:pc:' .. user, node)
      if went_offline(user) then
        announce(user, redis.call('HGET', 'herald:names', user) or '', false)
        offline = offline + 1
      end
    end
    redis.call('DEL', 'herald:nu:' .. node)
    redis.call('SREM', 'herald:nodes', node)
  end
end
return offline
)lua");

// The whole state at one number, for a node rebuilding its mirror.
constexpr const char* kSnapshot = R"lua(
return {tonumber(redis.call('GET', 'herald:pseq') or '0'), redis.call('SMEMBERS', 'herald:online')}
)lua";

std::optional<PresenceStep> step_of(const Reply& r) {
  if (r.type != Reply::Type::array || r.elements.size() != 3) return std::nullopt;
  for (const Reply& e : r.elements) {
    if (e.type != Reply::Type::integer) return std::nullopt;
  }
  return PresenceStep{static_cast<std::uint64_t>(r.elements[0].integer), r.elements[1].integer,
                      r.elements[2].integer != 0};
}

std::string node_text(NodeId node) { return std::to_string(node); }
}  // namespace

std::optional<PresenceEvent> parse_presence_event(std::string_view payload) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  auto seq = o.find("seq"), user = o.find("user"), online = o.find("online"), count = o.find("count");
  auto name = o.find("name");
  if (seq == o.end() || user == o.end() || online == o.end() || count == o.end() || name == o.end()) {
    return std::nullopt;
  }
  if (!seq->value().is_int64() || !user->value().is_string() || !online->value().is_bool() ||
      !count->value().is_int64() || !name->value().is_string()) {
    return std::nullopt;
  }
  std::int64_t id = 0;
  const auto& text = user->value().as_string();
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (err != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return PresenceEvent{static_cast<std::uint64_t>(seq->value().as_int64()), UserId{id},
                       online->value().as_bool(), count->value().as_int64(),
                       std::string(name->value().as_string())};
}

void RedisPresence::attach(UserId user, const std::string& username, StepHandler done) {
  link_.command({"EVAL", kAttach, "0", std::to_string(raw(user)), node_text(node_), username},
                [done = std::move(done)](Reply r) {
                  if (done) done(step_of(r));
                });
}
void RedisPresence::detach(UserId user, StepHandler done) {
  link_.command({"EVAL", kDetach, "0", std::to_string(raw(user)), node_text(node_)},
                [done = std::move(done)](Reply r) {
                  if (done) done(step_of(r));
                });
}

void RedisPresence::heartbeat(std::int64_t ttl_ms, CountHandler done) {
  link_.command({"EVAL", kHeartbeat, "0", node_text(node_), std::to_string(ttl_ms)},
                [done = std::move(done)](Reply r) {
                  if (done) done(r.type == Reply::Type::integer ? std::optional(r.integer) : std::nullopt);
                });
}

void RedisPresence::snapshot(SnapshotHandler done) {
  link_.command({"EVAL", kSnapshot, "0"}, [done = std::move(done)](Reply r) {
    if (!done) return;
    if (r.type != Reply::Type::array || r.elements.size() != 2 || r.elements[0].type != Reply::Type::integer ||
        r.elements[1].type != Reply::Type::array) {
      done(std::nullopt);
      return;
    }
    PresenceSnapshotState state;
    state.seq = static_cast<std::uint64_t>(r.elements[0].integer);
    for (const Reply& u : r.elements[1].elements) {
      std::int64_t id = 0;
      auto [end, ec] = std::from_chars(u.text.data(), u.text.data() + u.text.size(), id);
      if (ec != std::errc() || end != u.text.data() + u.text.size()) {
        done(std::nullopt);
        return;
      }
      state.online.push_back(UserId{id});
    }
    done(std::move(state));
  });
}

void RedisPresence::reap_dead_nodes(CountHandler done) {
  link_.command({"EVAL", kReap, "0"}, [done = std::move(done)](Reply r) {
    if (done) done(r.type == Reply::Type::integer ? std::optional(r.integer) : std::nullopt);
  });
}

}  // namespace herald::cluster
