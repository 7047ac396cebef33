#include "realtime/cluster_presence.hpp"

#include <algorithm>
#include <future>
#include <thread>
#include <unordered_set>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "cluster/redis_broker.hpp"
#include "protocol/server_messages.hpp"
#include "realtime/delivery.hpp"
#include "realtime/follow_graph.hpp"
#include "util/clock.hpp"

namespace herald::realtime {

namespace asio = boost::asio;
using cluster::PresenceEvent;
using cluster::PresenceEventKind;

struct ClusterPresence::Timer {
  explicit Timer(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  bool stopped = false;
};

namespace {
protocol::PresenceStatus status_of(const std::string& name) {
  return protocol::parse_presence_status(name).value_or(protocol::PresenceStatus::online);
}

UserPresence reads_of(const cluster::PresenceUserState& u) {
  return UserPresence{u.user, u.connections, status_of(u.status), u.data};
}
}  // namespace

ClusterPresence::ClusterPresence(cluster::RedisBroker& broker, Delivery& delivery,
                                 PresenceAudience audience, const FollowGraph* follows,
                                 ClusterPresenceOptions options)
    : broker_(broker),
      delivery_(delivery),
      audience_(audience),
      follows_(follows),
      options_(options),
      redis_(broker.link(), broker.node(), options.node_ttl.count()),
      mirror_(16384),
      timer_(std::make_unique<Timer>(broker.io())) {}

ClusterPresence::~ClusterPresence() = default;

void ClusterPresence::install() {
  broker_.set_presence([this](std::string_view payload) { on_event(payload); },
                       [this] { on_link_up(); });
  asio::post(broker_.io(), [this] { schedule_tick(); });
}

bool ClusterPresence::wait_until_ready(std::chrono::milliseconds timeout) const {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (!ready_.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ready_.load();
}

void ClusterPresence::leave(std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<void>>();
  auto left = done->get_future();
  asio::post(broker_.io(), [this, done] {
    timer_->stopped = true;
    timer_->timer.cancel();
    share_.clear();
    redis_.rebuild_share({}, mirror_.seq(), [done](auto) { done->set_value(); });
  });
  if (left.wait_for(timeout) != std::future_status::ready) {
    spdlog::warn("cluster presence: this node's share was not withdrawn in time; "
                 "the other nodes reap it when its heartbeat lapses");
  }
}

// --- transitions (workers -> broker thread) ---

void ClusterPresence::attach(UserId user, const std::string& username, AttachDone done) {
  asio::post(broker_.io(), [this, user, username, done = std::move(done)]() mutable {
    // Counted before Redis answers: a rebuild after the link returns must
    // include an attach that Redis may or may not have seen.
    Share& share = share_[user];
    ++share.connections;
    share.username = username;
    redis_.attach(user, username, [done = std::move(done)](std::optional<cluster::PresenceStep> step) {
      if (!step) return done(std::nullopt);
      done(PresenceSnapshot{step->online_count, step->seq});
    });
  });
}

void ClusterPresence::detach(UserId user) {
  asio::post(broker_.io(), [this, user] {
    auto it = share_.find(user);
    if (it != share_.end() && --it->second.connections <= 0) share_.erase(it);
    redis_.detach(user, nullptr);
  });
}

void ClusterPresence::set_status(UserId user, protocol::PresenceStatus status,
                                 const std::optional<std::string>& data) {
  asio::post(broker_.io(), [this, user, name = std::string(protocol::to_string(status)), data] {
    auto it = share_.find(user);
    if (it != share_.end()) {
      it->second.status = name;
      it->second.data = data;
    }
    redis_.set_status(user, name, data, nullptr);
  });
}

// --- the stream (broker thread) ---

void ClusterPresence::on_event(std::string_view payload) {
  auto event = cluster::parse_presence_event(payload);
  if (!event) {
    spdlog::warn("cluster presence: dropped a malformed event");
    return;
  }
  if (snapshot_pending_) {
    held_.push_back(std::move(*event));
    return;
  }
  const bool was_online = mirror_.is_online(event->user);
  switch (mirror_.apply(*event)) {
    case cluster::PresenceMirror::Applied::applied:
      if (learn_ && !event->username.empty()) learn_(event->user, event->username);
      release(*event, was_online);
      break;
    case cluster::PresenceMirror::Applied::already_had:
      break;
    case cluster::PresenceMirror::Applied::gap:
      spdlog::warn("cluster presence: the stream skipped from {} to {}; rebuilding", mirror_.seq(),
                   event->seq);
      held_.push_back(std::move(*event));
      request_snapshot();
      break;
  }
}

// Redis's state at one number replaces the mirror; the events that came in
// meanwhile follow it. The events between the old number and the
// snapshot's never reach this node's connections: they were lost with the
// link, and those connections' streams are no longer exact.
void ClusterPresence::request_snapshot() {
  if (snapshot_pending_) return;
  snapshot_pending_ = true;
  redis_.snapshot([this](std::optional<cluster::PresenceSnapshotState> state) {
    snapshot_pending_ = false;
    if (!state) {
      held_.clear();  // the next link-up asks again
      return;
    }
    reset_mirror(*state);
    ready_.store(true);
    std::vector<PresenceEvent> held;
    held.swap(held_);
    std::sort(held.begin(), held.end(),
              [](const PresenceEvent& a, const PresenceEvent& b) { return a.seq < b.seq; });
    for (const PresenceEvent& e : held) {
      const bool was_online = mirror_.is_online(e.user);
      auto applied = mirror_.apply(e);
      if (applied == cluster::PresenceMirror::Applied::applied) release(e, was_online);
      if (applied == cluster::PresenceMirror::Applied::gap) {
        request_snapshot();
        return;
      }
    }
  });
}

// The link is up again (or for the first time): the heartbeat goes first,
// so this node is alive before it has state; then Redis, which may have
// restarted empty or missed this node's transitions while the link was
// down, gets this node's share again; then the mirror starts over from a
// snapshot taken after all of it.
void ClusterPresence::on_link_up() {
  redis_.heartbeat();
  rebuild_share();
  request_snapshot();
}

void ClusterPresence::rebuild_share() {
  std::vector<cluster::NodeShareEntry> share;
  share.reserve(share_.size());
  for (const auto& [user, s] : share_) share.push_back({user, s.connections, s.username, s.status, s.data});
  redis_.rebuild_share(share, mirror_.seq(), nullptr);
}

// The snapshot replaces the mirror, and the connections hear of the
// difference: every user the mirror showed online and the snapshot does not
// goes offline, and the other way round, numbered at the snapshot. So each
// connection's count keeps following the mirror's online set, whatever was
// lost with the link; a connection whose snapshot is newer skips them.
void ClusterPresence::reset_mirror(const cluster::PresenceSnapshotState& state) {
  std::unordered_set<UserId> before;
  for (const auto& u : mirror_.online_users()) before.insert(u.user);
  mirror_.reset(state);
  auto announce = [&](UserId user, bool online) {
    PresenceEvent e;
    e.seq = state.seq;
    e.kind = PresenceEventKind::user_status;
    e.user = user;
    e.online = online;
    release(e, !online);
  };
  for (const auto& u : state.users) {
    if (u.visible() && !before.erase(u.user)) announce(u.user, true);
  }
  for (UserId user : before) announce(user, false);
}

// To the workers, when the node's view changed: a user_status only when the
// mirror's online set did (after Redis lost its state, the nodes' rebuilds
// announce users this node already counts online), a presence event when
// the user is visible.
void ClusterPresence::release(const PresenceEvent& e, bool was_online) {
  if (e.kind == PresenceEventKind::connections) return;  // nothing visible changed
  if (e.kind == PresenceEventKind::user_status && e.online == was_online) return;
  if (e.kind == PresenceEventKind::presence && !e.online) return;
  std::string_view type = e.kind == PresenceEventKind::user_status ? "user_status" : "presence";
  cluster::Target target = audience_ == PresenceAudience::all
                               ? cluster::Target::to_all_except(e.user, type)
                               : cluster::Target::to_followers_of(e.user, type);
  target.presence_seq = e.seq;
  delivery_.deliver_presence_stream(target, frame_of(e));
}

cluster::SharedFrame ClusterPresence::frame_of(const PresenceEvent& e) const {
  if (e.kind == PresenceEventKind::user_status) {
    return net::make_frame(protocol::user_status(e.user, e.online, util::iso8601_now()));
  }
  return net::make_frame(protocol::presence(e.user, status_of(e.status), e.data));
}

void ClusterPresence::schedule_tick() {
  if (timer_->stopped) return;
  redis_.heartbeat([this](std::optional<std::int64_t> lapsed) {
    if (lapsed != 1) return;
    spdlog::warn("cluster presence: this node's heartbeat had lapsed; restoring its share");
    rebuild_share();
  });
  redis_.reap_dead_nodes([](std::optional<std::int64_t> offline) {
    if (offline && *offline > 0) spdlog::info("cluster presence: reaped {} users of lapsed nodes", *offline);
  });
  timer_->timer.expires_after(options_.tick);
  timer_->timer.async_wait([this](boost::system::error_code ec) {
    if (!ec) schedule_tick();
  });
}

// --- reads (any thread) ---

bool ClusterPresence::in_audience(UserId viewer, const PresenceEvent& e) const {
  if (e.kind == PresenceEventKind::connections || e.user == viewer) return false;
  if (audience_ == PresenceAudience::all) return true;
  return follows_ && follows_->follows(viewer, e.user);
}

std::optional<std::vector<cluster::SharedFrame>> ClusterPresence::events_between(
    PresenceSeq after, PresenceSeq upto, UserId viewer) const {
  auto events = mirror_.since(after);
  if (!events) return std::nullopt;
  std::vector<cluster::SharedFrame> frames;
  for (const PresenceEvent& e : *events) {
    if (e.seq > upto) break;
    if (in_audience(viewer, e)) frames.push_back(frame_of(e));
  }
  return frames;
}

PresenceSnapshot ClusterPresence::local_snapshot() const {
  return PresenceSnapshot{mirror_.online_count(), mirror_.seq()};
}

std::int64_t ClusterPresence::online_count() const { return mirror_.online_count(); }

std::optional<UserPresence> ClusterPresence::presence_of(UserId user) const {
  auto u = mirror_.user(user);
  if (!u) return std::nullopt;
  return reads_of(*u);
}

std::vector<UserPresence> ClusterPresence::online_users(std::size_t offset, std::size_t limit) const {
  std::vector<UserPresence> out;
  for (const auto& u : mirror_.online_users(offset, limit)) out.push_back(reads_of(u));
  return out;
}

}  // namespace herald::realtime
