#include "cluster/redis_broker.hpp"

#include <cstdio>
#include <random>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "cluster/redis_link.hpp"
#include "cluster/redis_presence.hpp"

namespace herald::cluster {

namespace asio = boost::asio;

struct RedisBroker::Loop {
  explicit Loop(RedisUrl url) : link(io, std::move(url)) {}
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  RedisLink link;  // destroyed before io (declared after it)
  std::thread thread;
};

NodeId random_node_id() {
  std::random_device seed;
  std::mt19937_64 random(seed());
  NodeId id = 0;
  while (id == 0) id = random();
  return id;
}

std::string RedisBroker::user_channel(UserId user) { return "herald:u:" + std::to_string(raw(user)); }
std::string RedisBroker::context_channel(const std::string& context) { return "herald:c:" + context; }

RedisBroker::RedisBroker(LocalDelivery& local, RedisUrl url, NodeId node)
    : local_(local), node_(node), loop_(std::make_unique<Loop>(std::move(url))) {}

RedisBroker::~RedisBroker() { stop(); }

void RedisBroker::start() {
  loop_->link.set_on_state([this](bool up) {
    up_.store(up, std::memory_order_relaxed);
    if (up) {
      spdlog::info("broker: Redis link up (node {:016x})", node_);
      if (on_up_) on_up_();
    } else {
      spdlog::warn("broker: Redis link down; delivering to this node's connections only");
    }
  });
  loop_->link.set_on_message(
      [this](std::string_view channel, std::string_view payload) { received(channel, payload); });
  loop_->link.subscribe(kAllChannel);
  if (on_presence_) loop_->link.subscribe(kPresenceChannel);
  if (on_follow_) loop_->link.subscribe(kFollowsChannel);
  loop_->link.start();
  loop_->thread = std::thread([this] {
    pthread_setname_np(pthread_self(), "broker");
    loop_->io.run();
  });
}

void RedisBroker::stop() {
  if (!loop_ || !loop_->thread.joinable()) return;
  asio::post(loop_->io, [this] {
    loop_->link.stop();
    loop_->work.reset();
  });
  loop_->thread.join();
  up_.store(false, std::memory_order_relaxed);
}

void RedisBroker::publish(const Target& target, const SharedFrame& frame) {
  local_.deliver(target, frame);
  // Presence has a stream of its own; mailbox events need shared storage
  // (the header says why).
  if (target.presence_seq != 0 || (target.mailbox_seq != 0 && !forward_mailbox_)) return;
  std::string channel;
  switch (target.kind) {
    case Target::Kind::user:
      channel = user_channel(target.user);
      break;
    case Target::Kind::context:
      channel = context_channel(target.context);
      break;
    case Target::Kind::all_users:
    case Target::Kind::followers:
      channel = kAllChannel;
      break;
  }
  std::string payload = encode_envelope(node_, target, *frame);
  asio::post(loop_->io, [this, channel = std::move(channel), payload = std::move(payload)]() mutable {
    // While Redis is away the link answers "link down" at once: other nodes
    // miss this one, as a pub/sub subscriber that was away would.
    loop_->link.command({"PUBLISH", std::move(channel), std::move(payload)}, nullptr);
  });
}

void RedisBroker::set_presence(std::function<void(std::string_view)> on_event,
                               std::function<void()> on_up) {
  on_presence_ = std::move(on_event);
  on_up_ = std::move(on_up);
}

void RedisBroker::forward_mailbox(std::function<void(UserId, std::uint64_t)> on_remote) {
  forward_mailbox_ = true;
  on_remote_mailbox_ = std::move(on_remote);
}

asio::io_context& RedisBroker::io() { return loop_->io; }
RedisLink& RedisBroker::link() { return loop_->link; }

void RedisBroker::received(std::string_view channel, std::string_view payload) {
  if (on_presence_ && channel == kPresenceChannel) {
    on_presence_(payload);
    return;
  }
  if (on_follow_ && channel == kFollowsChannel) {
    received_follow(payload);
    return;
  }
  auto envelope = decode_envelope(payload);
  if (!envelope) {
    spdlog::warn("broker: dropped a malformed message on {}", channel);
    return;
  }
  if (envelope->origin == node_) return;  // delivered here when published
  const Target& target = envelope->routed();
  if (target.mailbox_seq != 0 && on_remote_mailbox_) on_remote_mailbox_(target.user, target.mailbox_seq);
  local_.deliver(target, envelope->frame);
}

// "<origin node> <follower> <followee> <1|0>": text, our own format.
void RedisBroker::publish_follow(UserId follower, UserId followee, bool following) {
  std::string payload = std::to_string(node_) + " " + std::to_string(raw(follower)) + " " +
                        std::to_string(raw(followee)) + (following ? " 1" : " 0");
  asio::post(loop_->io, [this, payload = std::move(payload)]() mutable {
    loop_->link.command({"PUBLISH", kFollowsChannel, std::move(payload)}, nullptr);
  });
}

void RedisBroker::received_follow(std::string_view payload) {
  unsigned long long origin = 0;
  long long follower = 0, followee = 0;
  int following = 0;
  std::string text(payload);
  if (std::sscanf(text.c_str(), "%llu %lld %lld %d", &origin, &follower, &followee, &following) != 4 ||
      follower <= 0 || followee <= 0) {
    spdlog::warn("broker: dropped a malformed follow message");
    return;
  }
  if (origin == node_) return;  // applied here when it was stored
  on_follow_(UserId{follower}, UserId{followee}, following != 0);
}

void RedisBroker::hold_user(UserId user, bool held) { hold(user_channel(user), held); }

void RedisBroker::hold_context(const std::string& context, bool held) {
  hold(context_channel(context), held);
}

void RedisBroker::hold(std::string channel, bool held) {
  // Posted under the lock: the broker thread then sees a channel's first
  // hold and last release in the order the counts changed (a release
  // overtaken by the next hold would leave a held channel unsubscribed).
  std::lock_guard lock(holds_mutex_);
  int& n = holds_[channel];
  n += held ? 1 : -1;
  const bool first = held && n == 1;
  const bool last = !held && n <= 0;
  if (last) holds_.erase(channel);
  if (!first && !last) return;
  asio::post(loop_->io, [this, channel = std::move(channel), first]() mutable {
    if (first) {
      loop_->link.subscribe(std::move(channel));
    } else {
      loop_->link.unsubscribe(std::move(channel));
    }
  });
}

}  // namespace herald::cluster
