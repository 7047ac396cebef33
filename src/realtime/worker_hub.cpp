#include "realtime/worker_hub.hpp"

#include <algorithm>

#include "realtime/follow_graph.hpp"

namespace herald::realtime {

namespace {
// A presence event older than the connection's `connected` snapshot is
// already in the count it was welcomed with.
bool before_snapshot(const cluster::Target& t, const Connection& c) {
  return t.presence_seq != 0 && t.presence_seq <= c.presence_from;
}

void erase_one(std::vector<Connection*>& v, Connection* c) {
  auto it = std::find(v.begin(), v.end(), c);
  if (it != v.end()) {
    *it = v.back();
    v.pop_back();
  }
}
}  // namespace

void WorkerHub::add(const std::shared_ptr<Connection>& c) {
  all_.emplace(c->id(), c);
  by_user_[c->user].push_back(c.get());
}

void WorkerHub::remove(Connection& c) {
  for (const auto& ctx : c.subscriptions) unsubscribe(c, ctx);
  auto it = by_user_.find(c.user);
  if (it != by_user_.end()) {
    erase_one(it->second, &c);
    if (it->second.empty()) by_user_.erase(it);
  }
  all_.erase(c.id());
}

bool WorkerHub::subscribe(Connection& c, const std::string& context) {
  auto& subs = by_context_[context];
  if (std::find(subs.begin(), subs.end(), &c) != subs.end()) return false;
  subs.push_back(&c);
  return true;
}

void WorkerHub::unsubscribe(Connection& c, const std::string& context) {
  auto it = by_context_.find(context);
  if (it == by_context_.end()) return;
  erase_one(it->second, &c);
  if (it->second.empty()) by_context_.erase(it);
}

std::size_t WorkerHub::deliver(const cluster::Target& target, const cluster::SharedFrame& frame) {
  switch (target.kind) {
    case cluster::Target::Kind::user:
      return deliver_to_user(target, frame);
    case cluster::Target::Kind::all_users:
      return deliver_to_all(target, frame);
    case cluster::Target::Kind::context:
      return deliver_to_context(target, frame);
    case cluster::Target::Kind::followers:
      return deliver_to_followers(target, frame);
  }
  return 0;
}

// Sending may close a connection (4010), which removes it from these
// tables from inside on_closed only later (the close is asynchronous), so
// iterating while sending is safe; copies guard against any re-entrancy.
std::size_t WorkerHub::deliver_to_user(const cluster::Target& t, const cluster::SharedFrame& frame) {
  auto it = by_user_.find(t.user);
  if (it == by_user_.end()) return 0;
  std::size_t n = 0;
  auto recipients = it->second;
  for (Connection* c : recipients) {
    if (c->id() == t.exclude_connection) continue;
    if (t.mailbox_seq != 0) {
      c->send_mailbox(t.mailbox_seq, frame, t.type);
      ++n;
    } else if (c->send(frame, t.type) == net::SendResult::queued) {
      ++n;
    }
  }
  return n;
}

std::size_t WorkerHub::deliver_to_all(const cluster::Target& t, const cluster::SharedFrame& frame) {
  const Broadcast one{t, frame};
  return deliver_run_to_all(std::span<const Broadcast>(&one, 1));
}

std::size_t WorkerHub::deliver_to_context(const cluster::Target& t,
                                          const cluster::SharedFrame& frame) {
  auto it = by_context_.find(t.context);
  if (it == by_context_.end()) return 0;
  std::size_t n = 0;
  auto recipients = it->second;
  for (Connection* c : recipients) {
    if (c->user == t.exclude_user || before_snapshot(t, *c)) continue;
    if (c->send(frame, t.type) == net::SendResult::queued) ++n;
  }
  return n;
}

// The subject's followers who have connections on this worker: a walk of
// the followers or of the worker's users, whichever is shorter.
std::size_t WorkerHub::deliver_to_followers(const cluster::Target& t,
                                            const cluster::SharedFrame& frame) {
  if (!follows_) return 0;
  std::vector<Connection*> recipients;
  auto followers = follows_->followers_of(t.user);
  if (followers.size() <= by_user_.size()) {
    for (UserId f : followers) {
      auto it = by_user_.find(f);
      if (it != by_user_.end()) recipients.insert(recipients.end(), it->second.begin(), it->second.end());
    }
  } else {
    for (auto& [user, conns] : by_user_) {
      if (follows_->follows(user, t.user)) recipients.insert(recipients.end(), conns.begin(), conns.end());
    }
  }
  std::size_t n = 0;
  for (Connection* c : recipients) {
    if (c->user == t.exclude_user || before_snapshot(t, *c)) continue;
    if (c->send(frame, t.type) == net::SendResult::queued) ++n;
  }
  return n;
}

bool WorkerHub::queue_broadcast(const cluster::Target& target, const cluster::SharedFrame& frame) {
  pending_broadcasts_.push_back({target, frame});
  return pending_broadcasts_.size() == 1;
}

std::size_t WorkerHub::flush_broadcasts() {
  std::vector<Broadcast> batch;
  batch.swap(pending_broadcasts_);
  for (std::size_t i = 0; i < batch.size();) {
    if (batch[i].target.kind != cluster::Target::Kind::all_users) {
      deliver(batch[i].target, batch[i].frame);
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < batch.size() && batch[end].target.kind == cluster::Target::Kind::all_users) ++end;
    deliver_run_to_all(std::span<const Broadcast>(batch).subspan(i, end - i));
    i = end;
  }
  return batch.size();
}

// Every connection once, each taking the run's frames in order (minus the
// ones about its own user): with a window's worth of broadcasts, one write.
std::size_t WorkerHub::deliver_run_to_all(std::span<const Broadcast> run) {
  std::size_t n = 0;
  for (auto& [user, conns] : by_user_) {
    for (Connection* c : conns) {
      for (const Broadcast& b : run) {
        if (user == b.target.exclude_user || before_snapshot(b.target, *c)) continue;
        if (c->send(b.frame, b.target.type) == net::SendResult::queued) ++n;
      }
    }
  }
  return n;
}

void WorkerHub::for_each(const std::function<void(Connection&)>& fn) {
  std::vector<std::shared_ptr<Connection>> snapshot;
  snapshot.reserve(all_.size());
  for (auto& [id, c] : all_) snapshot.push_back(c);
  for (auto& c : snapshot) fn(*c);
}

}  // namespace herald::realtime
