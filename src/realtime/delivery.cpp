#include "realtime/delivery.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "realtime/broadcast_window.hpp"
#include "realtime/connection.hpp"
#include "realtime/presence_registry.hpp"
#include "util/worker_pool.hpp"

namespace herald::realtime {

struct Delivery::Timers {
  std::vector<std::unique_ptr<boost::asio::steady_timer>> broadcast;  // one per worker
};

Delivery::Delivery(util::WorkerPool& workers, const PresenceRegistry& registry,
                   BroadcastTiming timing, const FollowGraph* follows)
    : workers_(workers), registry_(registry), timing_(timing), timers_(std::make_unique<Timers>()) {
  for (unsigned w = 0; w < workers_.size(); ++w) {
    hubs_.push_back(std::make_unique<WorkerHub>(follows));
    timers_->broadcast.push_back(std::make_unique<boost::asio::steady_timer>(workers_.context(w)));
  }
}

Delivery::~Delivery() = default;

unsigned Delivery::worker_count() const { return workers_.size(); }

void Delivery::post(unsigned worker, std::function<void()> fn) { workers_.post(worker, std::move(fn)); }

void Delivery::post_after(unsigned worker, std::chrono::milliseconds delay,
                          std::function<void()> fn) {
  auto timer = std::make_shared<boost::asio::steady_timer>(workers_.context(worker), delay);
  timer->async_wait([timer, fn = std::move(fn)](boost::system::error_code ec) {
    if (!ec) fn();
  });
}

void Delivery::add(const std::shared_ptr<Connection>& c) {
  hubs_[c->worker()]->add(c);
  if (interest_) interest_->hold_user(c->user, true);
}
void Delivery::remove(Connection& c) {
  if (interest_) {
    for (const auto& context : c.subscriptions) interest_->hold_context(context, false);
    interest_->hold_user(c.user, false);
  }
  hubs_[c.worker()]->remove(c);
}
void Delivery::subscribe(Connection& c, const std::string& context) {
  hubs_[c.worker()]->subscribe(c, context);
  if (interest_) interest_->hold_context(context, true);
}
void Delivery::unsubscribe(Connection& c, const std::string& context) {
  hubs_[c.worker()]->unsubscribe(c, context);
  if (interest_) interest_->hold_context(context, false);
}

void Delivery::for_each_on(unsigned worker, const std::function<void(Connection&)>& fn) {
  hubs_[worker]->for_each(fn);
}

void Delivery::deliver(const cluster::Target& target, const cluster::SharedFrame& frame) {
  auto run_on = [&](unsigned w) {
    workers_.dispatch(w, [this, w, target, frame] { deliver_on_worker(w, target, frame); });
  };
  if (target.kind == cluster::Target::Kind::user) {
    for (unsigned w : registry_.workers_of(target.user)) run_on(w);
  } else {
    // Every worker, presence events included: each worker waits for every
    // number (PresenceOrder), so none may be skipped.
    for (unsigned w = 0; w < workers_.size(); ++w) run_on(w);
  }
}

void Delivery::deliver_presence_stream(const cluster::Target& target,
                                       const cluster::SharedFrame& frame) {
  for (unsigned w = 0; w < workers_.size(); ++w) {
    workers_.post(w, [this, w, target, frame] {
      hubs_[w]->set_presence_passed(target.presence_seq);
      route_on_worker(w, target, frame);
    });
  }
}

std::uint64_t Delivery::presence_passed(unsigned worker) const {
  return hubs_[worker]->presence_passed();
}

void Delivery::deliver_on_worker(unsigned worker, const cluster::Target& target,
                                 const cluster::SharedFrame& frame) {
  if (target.presence_seq == 0) {
    route_on_worker(worker, target, frame);
    return;
  }
  hubs_[worker]->presence_order().accept(
      target.presence_seq, Outgoing{target, frame},
      [&](Outgoing d) { route_on_worker(worker, d.target, d.frame); });
}

// Messages to a user go out at once; broadcasts wait for the worker's
// window and then leave together.
void Delivery::route_on_worker(unsigned worker, const cluster::Target& target,
                               const cluster::SharedFrame& frame) {
  if (target.kind == cluster::Target::Kind::user || timing_.min.count() <= 0) {
    hubs_[worker]->deliver(target, frame);
    return;
  }
  if (hubs_[worker]->queue_broadcast(target, frame)) arm_window(worker);
}

void Delivery::arm_window(unsigned worker) {
  BroadcastWindow window{timing_.min, timing_.max};
  auto wait = window.after(hubs_[worker]->last_broadcast_flush());
  auto& timer = *timers_->broadcast[worker];
  timer.expires_after(wait);
  timer.async_wait([this, worker, wait, &timer](boost::system::error_code ec) {
    if (ec) return;
    auto started = std::chrono::steady_clock::now();
    std::size_t broadcasts = hubs_[worker]->flush_broadcasts();
    // The writes happen in the flush handler the frames posted; this runs
    // after it (one thread, handlers in order), so the cost includes them.
    boost::asio::post(timer.get_executor(), [this, worker, wait, started, broadcasts] {
      auto cost = std::chrono::steady_clock::now() - started;
      hubs_[worker]->set_last_broadcast_flush(
          {wait, std::chrono::duration_cast<std::chrono::microseconds>(cost), broadcasts});
    });
  });
}

void Delivery::close_all(net::CloseCode code, std::string_view reason) {
  std::string why(reason);
  for (unsigned w = 0; w < workers_.size(); ++w) {
    workers_.post(w, [this, w, code, why] {
      timers_->broadcast[w]->cancel();
      hubs_[w]->for_each([code, &why](Connection& c) { c.close(code, why); });
    });
  }
}

}  // namespace herald::realtime
