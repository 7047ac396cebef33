#include "cluster/redis_presence.hpp"

#include <charconv>
#include <climits>
#include <cmath>
#include <initializer_list>
#include <string>

#include <boost/json.hpp>

#include "cluster/redis_link.hpp"

namespace herald::cluster {

namespace {

// What every script shares. The rule they all keep: after a script, a user
// is in `online` exactly while they are visible (connections somewhere and
// a status other than `offline`), and every change it made to anyone's
// state is one numbered event carrying that user's whole state, so a
// mirror fed the stream in order holds what Redis holds.
//
// - state_of(): a user's connections (summed over nodes), status and data.
// - publish(): takes the next number and publishes one event with the
//   user's state and the online count as they stand.
// - settle(): run after a transition touched a user. Forgets the status of
//   a user left with no connection (they come back `online`), puts the
//   online set in line with their visibility and publishes user_status when
//   that flipped, else an event of the given kind (nil: none). Answers
//   whether it flipped: a change of visible presence, PresenceStep's
//   `changed` (as is a visible user's new status, the `presence` event).
// - answer(): the {seq, online count, changed} every transition returns;
//   scripts run one at a time, so the number now is the number of the last
//   event the script published (or the current one if it published none).
// - place(): records that a user has connections on a node (nu:<node>)
//   and registers the node in `nodes`, where the snapshot and the reaper
//   look for users; the caller sets the count in pc:<user>. It does not
//   touch the node's heartbeat key: only heartbeat() makes a node alive. If
//   an attach or a rebuild renewed the key, a node the reaper had taken
//   would look alive to its next heartbeat, which would answer 0, and the
//   node would never put back the rest of its share. Registering anyway
//   keeps every user with connections where the snapshot and the reaper
//   see them: a node reaped and then attaching before its next heartbeat
//   has that attach reaped too (its heartbeat answers 1 and its rebuild
//   puts it back), instead of a count nobody would ever find, and keep
//   online, if the node died before that heartbeat. A node that heartbeats
//   before its first attach (the header's rule) is never reaped for that.
// - drop(): takes away a user's connections on one node.
constexpr const char* kPrelude = R"lua(
local ONLINE, NAMES, SEQ, NODES = 'herald:online', 'herald:names', 'herald:pseq', 'herald:nodes'
local STATUSES = {online = true, away = true, busy = true, offline = true}
local function pc(user) return 'herald:pc:' .. user end
local function st(user) return 'herald:st:' .. user end
local function nu(node) return 'herald:nu:' .. node end
local function heartbeat_key(node) return 'herald:node:' .. node end

local function total(user)
  local n = 0
  for _, v in ipairs(redis.call('HVALS', pc(user))) do n = n + tonumber(v) end
  return n
end
local function state_of(user)
  local conns = total(user)
  local stored = redis.call('HMGET', st(user), 'status', 'data')
  local status = stored[1] or 'online'
  return {conns = conns, status = status, data = stored[2] or nil,
          visible = conns > 0 and status ~= 'offline'}
end
local function current_seq() return tonumber(redis.call('GET', SEQ) or '0') end

local function publish(kind, user)
  local s = state_of(user)
  redis.call('PUBLISH', 'herald:presence', cjson.encode({
    seq = redis.call('INCR', SEQ), kind = kind, user = user,
    name = redis.call('HGET', NAMES, user) or '', conns = s.conns, online = s.visible,
    count = redis.call('SCARD', ONLINE), status = s.status, data = s.data}))
end
local function settle(user, otherwise)
  local s = state_of(user)
  if s.conns == 0 then redis.call('DEL', st(user)) end
  local flipped
  if s.visible then
    flipped = redis.call('SADD', ONLINE, user) == 1
  else
    flipped = redis.call('SREM', ONLINE, user) == 1
  end
  if flipped then
    publish('user_status', user)
  elseif otherwise then
    publish(otherwise, user)
  end
  return flipped
end
local function answer(changed)
  return {current_seq(), redis.call('SCARD', ONLINE), changed and 1 or 0}
end

local function place(user, node)
  redis.call('SADD', nu(node), user)
  redis.call('SADD', NODES, node)
end
local function drop(user, node)
  redis.call('SREM', nu(node), user)
  return redis.call('HDEL', pc(user), node) == 1
end
)lua";

std::string with_prelude(const char* body) { return std::string(kPrelude) + body; }

// ARGV: user, node, name. Always an event: the connections changed. It
// does not touch the node's heartbeat key (see place()).
const std::string kAttach = with_prelude(R"lua(
local user, node, name = ARGV[1], ARGV[2], ARGV[3]
redis.call('HINCRBY', pc(user), node, 1)
place(user, node)
redis.call('HSET', NAMES, user, name)
return answer(settle(user, 'connections'))
)lua");

// ARGV: user, node. Nothing attached here: nothing to change.
const std::string kDetach = with_prelude(R"lua(
local user, node = ARGV[1], ARGV[2]
if redis.call('HEXISTS', pc(user), node) == 0 then return answer(false) end
if redis.call('HINCRBY', pc(user), node, -1) <= 0 then drop(user, node) end
return answer(settle(user, 'connections'))
)lua");

// ARGV: user, status, [data]. The status is stored before settle(), which
// then announces a flip of visibility (user_status); a user visible after
// it is told of the status too (presence). An invisible user who stays
// invisible can only have changed the data: still one event, so mirrors
// keep the same data as Redis, of the kind that announces nothing visible.
const std::string kSetStatus = with_prelude(R"lua(
local user, status, data = ARGV[1], ARGV[2], ARGV[3]
if not STATUSES[status] then return redis.error_reply('unknown presence status: ' .. status) end
local before = state_of(user)
if before.conns == 0 or (before.status == status and before.data == data) then
  return answer(false)
end
redis.call('HSET', st(user), 'status', status)
if data then
  redis.call('HSET', st(user), 'data', data)
else
  redis.call('HDEL', st(user), 'data')
end
local flipped = settle(user, nil)
if state_of(user).visible then
  publish('presence', user)
  return answer(true)
end
if not flipped then publish('connections', user) end
return answer(flipped)
)lua");

// ARGV: node, floor, then per user six fields: user, connections, name,
// status, has_data ('1' or '0'), data ('' when has_data is '0': an empty
// string is a value, so absence needs its own flag). This node's whole
// share. Users it no longer lists lose their connections here; the listed
// ones get exactly their count. An event for each user whose state changed,
// none when the share is what Redis already had; `changed` when anything
// visible changed (a user_status or presence event).
//
// Everything is checked before anything is written: a script that fails
// halfway keeps its writes (Redis has no rollback), and a failed rebuild
// must leave Redis as it was.
//
// The floor goes in before any event: a Redis that restarted empty starts
// `pseq` at 0, and numbers the nodes already passed would look to their
// mirrors like events they already had (dropped, not applied).
//
// A listed user of whom Redis holds no status (st:<user> gone, so Redis
// would say `online`) gets the status this node set, before settle() decides
// their visibility: an invisible user must not be announced online, even for
// one event. Only with connections here (the status came through one of
// them) and only if it says more than the default (not `online`, or data).
// A status Redis still holds wins: it is newer than this node's copy or the
// same. A restored status that leaves the user visible is news to the other
// nodes' clients: a presence event, after the user_status if they also came
// online (as set_status does when a user leaves invisible mode).
const std::string kRebuildShare = with_prelude(R"lua(
local node, floor = ARGV[1], ARGV[2]
local FIELDS = 6
if (#ARGV - 2) % FIELDS ~= 0 then return redis.error_reply('rebuild_share: malformed share') end
for i = 3, #ARGV, FIELDS do
  if not tonumber(ARGV[i + 1]) then return redis.error_reply('rebuild_share: bad count') end
  if not STATUSES[ARGV[i + 3]] then
    return redis.error_reply('unknown presence status: ' .. ARGV[i + 3])
  end
end
if current_seq() < tonumber(floor) then redis.call('SET', SEQ, floor) end
local listed = {}
for i = 3, #ARGV, FIELDS do listed[ARGV[i]] = true end
local changed = false
for _, user in ipairs(redis.call('SMEMBERS', nu(node))) do
  if not listed[user] and drop(user, node) then changed = settle(user, 'connections') or changed end
end
for i = 3, #ARGV, FIELDS do
  local user, count, name, status = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
  local data = ARGV[i + 4] == '1' and ARGV[i + 5] or nil
  local before = total(user)
  if count > 0 then
    redis.call('HSET', pc(user), node, count)
    place(user, node)
  else
    drop(user, node)
  end
  redis.call('HSET', NAMES, user, name)
  local restored = false
  if count > 0 and (status ~= 'online' or data) and redis.call('EXISTS', st(user)) == 0 then
    redis.call('HSET', st(user), 'status', status)
    if data then redis.call('HSET', st(user), 'data', data) end
    restored = true
  end
  local news = restored and state_of(user).visible
  local otherwise = nil
  if not news and (restored or total(user) ~= before) then otherwise = 'connections' end
  changed = settle(user, otherwise) or changed
  if news then
    publish('presence', user)
    changed = true
  end
end
return answer(changed)
)lua");

// ARGV: node, ttl. Answers 1 when the node's key did not exist just before
// (it lapsed, so the node may have been reaped, or it was never set), else
// 0. Only this script sets the key (see place()), so a 1 cannot be hidden by
// an attach that ran since the key lapsed. The node joins `nodes` here too:
// from its first heartbeat on, the reaper watches it.
const std::string kHeartbeat = with_prelude(R"lua(
local node, ttl = ARGV[1], ARGV[2]
local lapsed = redis.call('EXISTS', heartbeat_key(node)) == 0
redis.call('SET', heartbeat_key(node), '1', 'PX', ttl)
redis.call('SADD', NODES, node)
return lapsed and 1 or 0
)lua");

// A lapsed node's users lose its connections, each with an event. The
// node leaves `nodes` in the same script, so a second reaper finds nothing
// to do. Answers how many users went (visibly) offline.
const std::string kReap = with_prelude(R"lua(
local offline = 0
for _, node in ipairs(redis.call('SMEMBERS', NODES)) do
  if redis.call('EXISTS', heartbeat_key(node)) == 0 then
    for _, user in ipairs(redis.call('SMEMBERS', nu(node))) do
      if drop(user, node) and settle(user, 'connections') then offline = offline + 1 end
    end
    redis.call('DEL', nu(node))
    redis.call('SREM', NODES, node)
  end
end
return offline
)lua");

// {seq, {{user, name, conns, status, data or nil}...}}: every user with a
// connection on a known node (every node with connections is in `nodes`:
// heartbeat, attach and rebuild register their node, the reaper forgets a
// node and its users together). One script, so one number; it walks every user, so
// it is for rebuilds, not for a request's path.
const std::string kSnapshot = with_prelude(R"lua(
local seen, users = {}, {}
for _, node in ipairs(redis.call('SMEMBERS', NODES)) do
  for _, user in ipairs(redis.call('SMEMBERS', nu(node))) do
    if not seen[user] then
      seen[user] = true
      local s = state_of(user)
      if s.conns > 0 then
        users[#users + 1] = {user, redis.call('HGET', NAMES, user) or '', s.conns, s.status, s.data or false}
      end
    end
  end
end
return {current_seq(), users}
)lua");

std::vector<std::string> eval(const std::string& script, std::initializer_list<std::string> args) {
  std::vector<std::string> argv{"EVAL", script, "0"};
  argv.insert(argv.end(), args);
  return argv;
}

std::optional<PresenceStep> step_of(const Reply& r) {
  if (r.type != Reply::Type::array || r.elements.size() != 3) return std::nullopt;
  for (const Reply& e : r.elements) {
    if (e.type != Reply::Type::integer) return std::nullopt;
  }
  return PresenceStep{static_cast<std::uint64_t>(r.elements[0].integer), r.elements[1].integer,
                      r.elements[2].integer != 0};
}

void run_step(RedisLink& link, std::vector<std::string> argv, RedisPresence::StepHandler done) {
  link.command(std::move(argv), [done = std::move(done)](Reply r) {
    if (done) done(step_of(r));
  });
}

void run_count(RedisLink& link, std::vector<std::string> argv, RedisPresence::CountHandler done) {
  link.command(std::move(argv), [done = std::move(done)](Reply r) {
    if (done) done(r.type == Reply::Type::integer ? std::optional(r.integer) : std::nullopt);
  });
}

std::string node_text(NodeId node) { return std::to_string(node); }
std::string user_text(UserId user) { return std::to_string(raw(user)); }

// User ids travel as decimal text (JSON numbers from cjson may lose digits).
std::optional<UserId> user_of(std::string_view text) {
  std::int64_t id = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (err != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return UserId{id};
}

bool is_status(std::string_view s) {
  return s == "online" || s == "away" || s == "busy" || s == "offline";
}

// cjson prints integers below 1e14 as integers, larger ones with an
// exponent (a double): either is accepted when its value is integral. (It
// keeps 14 digits, so beyond 1e14 the value is rounded; the numbers and
// counts here stay far below that.)
std::optional<std::int64_t> integer_of(const boost::json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v.as_uint64());
  }
  if (v.is_double()) {
    double d = v.as_double();
    // 2^63 is exactly representable; anything at or beyond it is not an int64.
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9223372036854775808.0) {
      return static_cast<std::int64_t>(d);
    }
  }
  return std::nullopt;
}

std::optional<PresenceEventKind> kind_of(std::string_view s) {
  if (s == "connections") return PresenceEventKind::connections;
  if (s == "user_status") return PresenceEventKind::user_status;
  if (s == "presence") return PresenceEventKind::presence;
  return std::nullopt;
}

// The event's fields, read strictly: each present with its type or absent.
struct EventFields {
  const boost::json::object& o;
  const boost::json::value* get(std::string_view key) const {
    auto it = o.find(key);
    return it == o.end() ? nullptr : &it->value();
  }
  std::optional<std::int64_t> integer(std::string_view key) const {
    const auto* v = get(key);
    return v ? integer_of(*v) : std::nullopt;
  }
  std::optional<std::string_view> text(std::string_view key) const {
    const auto* v = get(key);
    if (!v || !v->is_string()) return std::nullopt;
    return std::string_view(v->as_string());
  }
  std::optional<bool> flag(std::string_view key) const {
    const auto* v = get(key);
    if (!v || !v->is_bool()) return std::nullopt;
    return v->as_bool();
  }
};

bool only_known_fields(const boost::json::object& o) {
  for (const auto& kv : o) {
    std::string_view k = kv.key();
    if (k != "seq" && k != "kind" && k != "user" && k != "name" && k != "conns" && k != "online" &&
        k != "count" && k != "status" && k != "data") {
      return false;
    }
  }
  return true;
}

std::optional<PresenceUserState> user_state_of(const Reply& r) {
  if (r.type != Reply::Type::array || r.elements.size() != 5) return std::nullopt;
  const Reply &id = r.elements[0], &name = r.elements[1], &conns = r.elements[2],
              &status = r.elements[3], &data = r.elements[4];
  if (id.type != Reply::Type::string || name.type != Reply::Type::string ||
      conns.type != Reply::Type::integer || conns.integer <= 0 || conns.integer > INT_MAX ||
      status.type != Reply::Type::string || !is_status(status.text) ||
      (data.type != Reply::Type::string && data.type != Reply::Type::nil)) {
    return std::nullopt;
  }
  auto user = user_of(id.text);
  if (!user) return std::nullopt;
  PresenceUserState s{*user, name.text, static_cast<int>(conns.integer), status.text, std::nullopt};
  if (data.type == Reply::Type::string) s.data = data.text;
  return s;
}

std::optional<PresenceSnapshotState> snapshot_of(const Reply& r) {
  if (r.type != Reply::Type::array || r.elements.size() != 2 ||
      r.elements[0].type != Reply::Type::integer || r.elements[1].type != Reply::Type::array) {
    return std::nullopt;
  }
  PresenceSnapshotState state;
  state.seq = static_cast<std::uint64_t>(r.elements[0].integer);
  for (const Reply& u : r.elements[1].elements) {
    auto s = user_state_of(u);
    if (!s) return std::nullopt;
    state.users.push_back(std::move(*s));
  }
  return state;
}

}  // namespace

std::optional<PresenceEvent> parse_presence_event(std::string_view payload) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(payload, ec);
  if (ec || !v.is_object() || !only_known_fields(v.as_object())) return std::nullopt;
  EventFields f{v.as_object()};
  auto seq = f.integer("seq"), conns = f.integer("conns"), count = f.integer("count");
  auto kind_text = f.text("kind"), id_text = f.text("user"), name = f.text("name"),
       status = f.text("status");
  auto online = f.flag("online");
  if (!seq || !conns || !count || !kind_text || !id_text || !name || !status || !online) {
    return std::nullopt;
  }
  auto kind = kind_of(*kind_text);
  auto user = user_of(*id_text);
  if (!kind || !user || *seq <= 0 || *conns < 0 || *conns > INT_MAX || *count < 0 ||
      !is_status(*status)) {
    return std::nullopt;
  }
  // `online` is the state's visibility, never a separate fact.
  if (*online != (*conns > 0 && *status != "offline")) return std::nullopt;

  PresenceEvent e;
  e.seq = static_cast<std::uint64_t>(*seq);
  e.kind = *kind;
  e.user = *user;
  e.username = *name;
  e.connections = static_cast<int>(*conns);
  e.online = *online;
  e.online_count = *count;
  e.status = *status;
  if (const auto* data = f.get("data"); data && !data->is_null()) {
    if (!data->is_string()) return std::nullopt;
    e.data = std::string(data->as_string());
  }
  return e;
}

void RedisPresence::attach(UserId user, const std::string& username, StepHandler done) {
  run_step(link_, eval(kAttach, {user_text(user), node_text(node_), username}), std::move(done));
}

void RedisPresence::detach(UserId user, StepHandler done) {
  run_step(link_, eval(kDetach, {user_text(user), node_text(node_)}), std::move(done));
}

void RedisPresence::set_status(UserId user, const std::string& status,
                               const std::optional<std::string>& data, StepHandler done) {
  auto argv = eval(kSetStatus, {user_text(user), status});
  if (data) argv.push_back(*data);  // absent, not empty: no data
  run_step(link_, std::move(argv), std::move(done));
}

void RedisPresence::rebuild_share(const std::vector<NodeShareEntry>& share, std::uint64_t floor,
                                  StepHandler done) {
  auto argv = eval(kRebuildShare, {node_text(node_), std::to_string(floor)});
  argv.reserve(argv.size() + 6 * share.size());
  for (const NodeShareEntry& e : share) {
    argv.push_back(user_text(e.user));
    argv.push_back(std::to_string(e.connections));
    argv.push_back(e.username);
    argv.push_back(e.status);
    argv.push_back(e.data ? "1" : "0");  // kRebuildShare: absent data is its own flag
    argv.push_back(e.data.value_or(""));
  }
  run_step(link_, std::move(argv), std::move(done));
}

void RedisPresence::heartbeat(CountHandler done) {
  run_count(link_, eval(kHeartbeat, {node_text(node_), std::to_string(node_ttl_ms_)}),
            std::move(done));
}

void RedisPresence::snapshot(SnapshotHandler done) {
  link_.command(eval(kSnapshot, {}), [done = std::move(done)](Reply r) {
    if (done) done(snapshot_of(r));
  });
}

void RedisPresence::reap_dead_nodes(CountHandler done) {
  run_count(link_, eval(kReap, {}), std::move(done));
}

}  // namespace herald::cluster
