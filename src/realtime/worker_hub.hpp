#pragma once
// The connections of one worker thread, indexed by user and by
// subscription context. Owned and touched only by its worker: fan-out posts
// one closure per worker, which then walks its own tables without locks.
// Iterating a whole worker for a broadcast is O(connections on the worker),
// the floor for "send to everyone".
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cluster/broker.hpp"
#include "realtime/connection.hpp"

namespace herald::realtime {

class WorkerHub {
 public:
  void add(const std::shared_ptr<Connection>& c);
  void remove(Connection& c);  // also drops its subscriptions
  bool subscribe(Connection& c, const std::string& context);
  void unsubscribe(Connection& c, const std::string& context);

  // Each returns how many connections the frame was queued on.
  std::size_t deliver(const cluster::Target& target, const cluster::SharedFrame& frame);

  // For the once-a-second sweep (token expiry) and shutdown.
  void for_each(const std::function<void(Connection&)>& fn);
  std::size_t size() const { return all_.size(); }

 private:
  std::size_t deliver_to_user(const cluster::Target& t, const cluster::SharedFrame& frame);
  std::size_t deliver_to_all(const cluster::Target& t, const cluster::SharedFrame& frame);
  std::size_t deliver_to_context(const cluster::Target& t, const cluster::SharedFrame& frame);

  std::unordered_map<ConnectionId, std::shared_ptr<Connection>> all_;
  std::unordered_map<UserId, std::vector<Connection*>> by_user_;
  std::unordered_map<std::string, std::vector<Connection*>> by_context_;
};

}  // namespace herald::realtime
