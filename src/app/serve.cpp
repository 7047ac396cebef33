#include "app/serve.hpp"

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "api/context.hpp"
#include "api/router.hpp"
#include "app/jwt_setup.hpp"
#include "cluster/broker.hpp"
#include "net/server.hpp"
#include "realtime/hub.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/storage_runner.hpp"
#include "util/cpu_pool.hpp"
#include "util/metrics.hpp"
#include "util/worker_pool.hpp"

namespace herald::app {

namespace {

realtime::HubOptions hub_options(const Settings& s) {
  realtime::HubOptions o;
  o.max_connections_per_user = s.max_connections_per_user;
  o.max_subscriptions = static_cast<std::size_t>(s.max_subscriptions);
  o.rate_per_s = s.rate_limit_per_s;
  o.rate_burst = s.rate_limit_burst;
  o.abuse_drops = s.rate_limit_abuse_drops;
  o.heartbeat_interval_s = s.heartbeat_interval_s;
  o.broadcast_batch_ms = s.broadcast_batch_ms;
  o.broadcast_batch_max_ms = s.broadcast_batch_max_ms;
  o.audience = s.presence_audience == "followers" ? realtime::PresenceAudience::followers
                                                  : realtime::PresenceAudience::all;
  return o;
}

net::ServerOptions server_options(const Settings& s) {
  net::ServerOptions o;
  o.host = s.host;
  o.port = static_cast<std::uint16_t>(s.port);
  o.max_http_body_bytes = s.max_http_body_bytes;
  o.allowed_origins = s.allowed_origins;
  o.transport.max_message_bytes = s.max_message_bytes;
  o.transport.max_queue_bytes = s.max_queue_bytes;
  o.transport.max_queue_messages = s.max_queue_messages;
  o.transport.heartbeat_interval_s = s.heartbeat_interval_s;
  o.transport.heartbeat_timeout_s = s.heartbeat_timeout_s;
  return o;
}

// Waits until every connection has closed, or the deadline passes.
void wait_for_drain(const realtime::Hub& hub, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (hub.registry().connection_count() > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

int serve(const Settings& settings) {
  auto keys = load_jwt_keys(settings);
  if (!keys) {
    spdlog::error("jwt: {}", keys.error());
    return 2;
  }
  // The keys were checked by validate() and load_jwt_keys(); these throw
  // only on what those cannot see (a PEM that parses but cannot sign).
  std::optional<auth::JwtVerifier> verifier_slot;
  std::optional<auth::JwtIssuer> issuer_slot;
  try {
    verifier_slot.emplace(*keys);
    issuer_slot.emplace(*keys);
  } catch (const std::invalid_argument& e) {
    spdlog::error("jwt: {}", e.what());
    return 2;
  }
  const auth::JwtVerifier& verifier = *verifier_slot;
  const auth::JwtIssuer& issuer = *issuer_slot;

  std::filesystem::create_directories(settings.data_dir);
  auto db_path = std::filesystem::path(settings.data_dir) / "herald.db";
  store::StorageRunner storage([db_path] { return std::make_unique<store::sqlite::SqliteDatabase>(db_path); },
                               2);
  storage.on_commit([](double s, std::size_t jobs) { util::metrics().storage_commit(s, jobs); });

  realtime::UserDirectory directory;
  {
    // Start-up only: the workers are not running yet, so a blocking read is fine.
    store::sqlite::SqliteDatabase db(db_path);
    directory.load(db.load_users());
  }

  unsigned worker_count = settings.workers ? settings.workers : std::max(1u, std::thread::hardware_concurrency());
  util::WorkerPool workers(worker_count);
  realtime::Hub hub(hub_options(settings), workers, storage, verifier, directory);
  cluster::LocalBroker broker(hub);
  hub.set_broker(&broker);

  util::metrics().set_gauge_source(
      [&hub] { return static_cast<double>(hub.registry().connection_count()); },
      [&hub] { return static_cast<double>(hub.registry().online_count()); });
  util::metrics().set_broker_up([&broker] { return broker.up(); });

  util::CpuPool cpu_pool(2, settings.hash_queue_max);
  auth::LoginThrottle login_throttle(settings.login_max_failures, settings.login_window_s,
                                     settings.throttle_max_keys, settings.throttle_max_bytes);
  auth::LoginThrottle register_throttle(settings.register_max_attempts, settings.register_window_s,
                                        settings.throttle_max_keys, settings.throttle_max_bytes);
  api::ApiContext api_context{storage, cpu_pool, verifier, issuer, hub, login_throttle,
                              register_throttle, settings.access_token_ttl_s,
                              settings.refresh_token_ttl_s, settings.api_key, nullptr};
  api_context.readiness = [&storage] {
    return storage.healthy() ? api::Readiness{true, ""} : api::Readiness{false, "storage unavailable"};
  };
  api::Router router;
  api::add_operation_routes(router, api_context);
  api::add_online_routes(router, api_context);
  api::add_account_routes(router, api_context);
  api::add_user_routes(router, api_context);

  net::Server server(server_options(settings), workers, router, hub);
  try {
    server.start();
  } catch (const std::exception& e) {
    spdlog::error("cannot listen on {}:{}: {}", settings.host, settings.port, e.what());
    return 1;
  }
  hub.start();
  workers.start();
  spdlog::info("herald {} listening on http://{}:{} workers={} data_dir={}", HERALD_VERSION,
               settings.host, server.port(), worker_count, settings.data_dir);

  boost::asio::io_context signals_context;
  boost::asio::signal_set signals(signals_context, SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code, int signal) {
    spdlog::info("signal {} received: shutting down", signal);
  });
  signals_context.run();

  // Graceful shutdown (PROTOCOL.md 6.6): stop accepting, close every socket
  // with 1001, flush storage, exit well within 10 s.
  server.stop_accepting();
  hub.shutdown();
  wait_for_drain(hub, std::chrono::seconds(3));
  workers.stop();
  workers.join();
  cpu_pool.join();
  storage.stop();
  spdlog::info("herald stopped");
  return 0;
}

}  // namespace herald::app
