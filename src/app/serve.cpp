#include "app/serve.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "api/context.hpp"
#include "api/rest_rate_limit.hpp"
#include "api/router.hpp"
#include "api/static_files.hpp"
#include "app/data_dir.hpp"
#include "app/descriptor_limit.hpp"
#include "app/jwt_setup.hpp"
#include "app/web_root.hpp"
#include "cluster/broker.hpp"
#include "cluster/redis_broker.hpp"
#include "net/server.hpp"
#include "net/tls_context.hpp"
#include "realtime/delivery.hpp"
#include "realtime/follow_graph.hpp"
#include "realtime/hub.hpp"
#include "realtime/cluster_presence.hpp"
#include "util/clock.hpp"
#include "realtime/presence_registry.hpp"
#include "realtime/storage_ports.hpp"
#include "realtime/user_directory.hpp"
#include "store/pg/pg_database.hpp"
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
  o.audience = s.presence_audience == "followers" ? realtime::PresenceAudience::followers
                                                  : realtime::PresenceAudience::all;
  return o;
}

realtime::BroadcastTiming broadcast_timing(const Settings& s) {
  return {std::chrono::milliseconds(s.broadcast_batch_ms),
          std::chrono::milliseconds(s.broadcast_batch_max_ms)};
}

net::ServerOptions server_options(const Settings& s, std::size_t connection_cap,
                                  std::shared_ptr<net::TlsContext> tls) {
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
  o.connection_caps.per_address = s.max_connections_per_address;
  o.connection_caps.total = connection_cap;
  o.http_header_timeout_s = s.http_header_timeout_s;
  o.http_idle_timeout_s = s.http_idle_timeout_s;
  o.tls = std::move(tls);
  return o;
}

// The global connection cap: the configured one, or what the descriptor
// limit leaves after the reserve (descriptor_limit.hpp).
std::size_t connection_cap(const Settings& s, unsigned workers) {
  const std::size_t descriptors = raise_descriptor_limit();
  const std::size_t room = default_connection_cap(descriptors, workers);
  if (s.max_connections == 0) {
    spdlog::info("connection caps: {} in all (open-file limit {} minus a reserve), {} per address",
                 room, descriptors, s.max_connections_per_address);
    return room;
  }
  if (s.max_connections > room) {
    spdlog::warn("--max-connections {} exceeds what the open-file limit {} leaves ({}): descriptors "
                 "may run out first; raise `ulimit -n` (LimitNOFILE= under systemd)",
                 s.max_connections, descriptors, room);
  }
  return s.max_connections;
}

// SIGHUP: new handshakes get the files' current certificate; connections
// already open keep theirs. A file that does not load changes nothing.
void reload_tls(net::TlsContext* tls) {
  if (tls == nullptr) {
    spdlog::info("SIGHUP: no TLS certificate configured, nothing to reload");
    return;
  }
  if (auto reloaded = tls->reload(); !reloaded) {
    spdlog::error("SIGHUP: TLS reload failed, still serving the previous certificate: {}", reloaded.error());
    return;
  }
  spdlog::info("SIGHUP: TLS certificate reloaded: {}", tls->describe());
}

// Waits until every connection has closed, or the deadline passes.
void wait_for_drain(const realtime::PresenceRegistry& registry, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (registry.connection_count() > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

int serve(const Settings& settings) {
  if (!settings.redis_url.empty()) {
    if (settings.database_url.empty()) {
      spdlog::warn("--redis-url without --database-url (docs/CLUSTER.md): presence and typing are cluster-wide; "
                   "chats and notifications stay on the node that stores them in its own SQLite");
    }
  }
  // Before anything is created: the databases, their -wal/-shm, the data
  // directory and the JWT secret are for this user only (data_dir.hpp).
  ::umask(077);
  for (const auto& line : exposed_data_paths(settings.data_dir)) spdlog::warn("{}", line);

  std::shared_ptr<net::TlsContext> tls;
  if (!settings.tls_cert.empty()) {
    auto loaded = net::TlsContext::load({settings.tls_cert, settings.tls_key});
    if (!loaded) {
      spdlog::error("{}", loaded.error());
      return 2;
    }
    tls = std::move(*loaded);
    spdlog::info("TLS certificate: {}", tls->describe());
  }

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

  if (auto ec = create_private_directory(settings.data_dir)) {
    spdlog::error("cannot create data directory {}: {}", settings.data_dir, ec.message());
    return 1;
  }
  auto db_path = std::filesystem::path(settings.data_dir) / "herald.db";
  const auto durability = settings.storage_synchronous == "full" ? store::sqlite::Durability::full
                                                                  : store::sqlite::Durability::normal;
  // SQLite in the data directory, or with --database-url the PostgreSQL a
  // cluster's nodes share (docs/CLUSTER.md): one connection per storage
  // thread either way.
  const std::string database_url = settings.database_url;
  store::StorageRunner::Opener open_database = [db_path, durability, database_url]() -> std::unique_ptr<store::Database> {
    if (!database_url.empty()) return std::make_unique<store::pg::PgDatabase>(database_url);
    return std::make_unique<store::sqlite::SqliteDatabase>(db_path, durability);
  };
  std::unique_ptr<store::StorageRunner> storage_slot;
  realtime::UserDirectory directory;
  realtime::FollowGraph follows;
  try {
    storage_slot = std::make_unique<store::StorageRunner>(open_database, 2, settings.storage_queue_max);
    // Start-up only: the workers are not running yet, so a blocking read is fine.
    auto db = open_database();
    directory.load(db->load_users());
    follows.load(db->load_follows());
    directory.load_unread(db->unread_counts());
  } catch (const store::StorageError& e) {
    // The message names the server or the file, never a password.
    spdlog::error("cannot open storage: {}", e.what());
    return 1;
  }
  store::StorageRunner& storage = *storage_slot;
  storage.on_commit([](double s, std::size_t jobs) { util::metrics().storage_commit(s, jobs); });

  unsigned worker_count = settings.workers ? settings.workers : std::max(1u, std::thread::hardware_concurrency());
  util::WorkerPool workers(worker_count);
  realtime::PresenceRegistry registry(realtime::BroadcastLimits{
      {settings.presence_rate_per_s, settings.presence_burst},
      {settings.typing_rate_per_s, settings.typing_burst}});
  realtime::Delivery delivery(workers, registry, broadcast_timing(settings), &follows);
  // One node: LocalBroker. With --redis-url: RedisBroker, told what this
  // node holds, and presence shared through Redis (ClusterPresence; mailbox
  // events stay local until the cluster's storage is built).
  std::unique_ptr<cluster::RedisBroker> redis_broker;
  std::unique_ptr<realtime::ClusterPresence> cluster_presence;
  std::optional<cluster::LocalBroker> local_broker;
  if (!settings.redis_url.empty()) {
    redis_broker = std::make_unique<cluster::RedisBroker>(delivery, *cluster::parse_redis_url(settings.redis_url),
                                                          cluster::random_node_id());
    delivery.set_interest(redis_broker.get());
    // Follows stored on another node reach this node's graph (the
    // `followers` audience, the social rules).
    redis_broker->on_follow([&follows](UserId follower, UserId followee, bool following) {
      if (following) {
        follows.follow(follower, followee);
      } else {
        follows.unfollow(follower, followee);
      }
    });
    cluster_presence = std::make_unique<realtime::ClusterPresence>(
        *redis_broker, delivery, hub_options(settings).audience, &follows);
    cluster_presence->on_user([&directory](UserId user, const std::string& name) {
      if (!directory.contains(user)) directory.put(user, name, Seq{0}, std::nullopt, util::unix_ms_now());
    });
    cluster_presence->install();
  } else {
    local_broker.emplace(delivery);
  }
  cluster::Broker& broker = redis_broker ? static_cast<cluster::Broker&>(*redis_broker) : *local_broker;
  realtime::RunnerStores stores(storage, settings.retention_events, settings.retention_days);
  realtime::Hub hub(hub_options(settings), workers, verifier, directory, registry, delivery, broker,
                    stores, stores, stores, follows);
  if (cluster_presence) hub.set_shared_presence(cluster_presence.get());
  if (redis_broker && !settings.database_url.empty()) {
    // Shared storage: chats and notifications cross nodes, each user's
    // seqs coming from the one database (docs/CLUSTER.md).
    redis_broker->forward_mailbox(
        [&directory](UserId user, std::uint64_t seq) { directory.advance_seq(user, Seq{static_cast<std::int64_t>(seq)}); });
    hub.enable_shared_storage(stores);
  }
  const realtime::PresenceReads& presence =
      cluster_presence ? static_cast<const realtime::PresenceReads&>(*cluster_presence) : registry;

  util::metrics().set_gauge_source(
      [&registry] { return static_cast<double>(registry.connection_count()); },
      [&presence] { return static_cast<double>(presence.online_count()); });
  util::metrics().set_broker_up([&broker] { return broker.up(); });

  util::CpuPool cpu_pool(2, settings.hash_queue_max);
  auth::LoginThrottle login_throttle(settings.login_max_failures, settings.login_window_s,
                                     settings.throttle_max_keys, settings.throttle_max_bytes);
  auth::LoginThrottle register_throttle(settings.register_max_attempts, settings.register_window_s,
                                        settings.throttle_max_keys, settings.throttle_max_bytes);
  api::ApiContext api_context{storage, cpu_pool, verifier, issuer, presence, directory, login_throttle,
                              register_throttle, settings.access_token_ttl_s,
                              settings.refresh_token_ttl_s, settings.api_key, nullptr};
  api::RestRateLimit rest_rate_limit({settings.rest_rate_per_s, settings.rest_burst});
  api_context.rest_rate_limit = &rest_rate_limit;
  api_context.broker = &broker;
  api_context.follows = &follows;
  api_context.readiness = [&storage, &broker] {
    if (!storage.healthy()) return api::Readiness{false, "storage unavailable"};
    if (broker.up() == false) return api::Readiness{false, "broker unavailable: Redis is not reachable"};
    return api::Readiness{true, ""};
  };
  api::Router router;
  api::add_operation_routes(router, api_context);
  api::add_online_routes(router, api_context);
  api::add_account_routes(router, api_context);
  api::add_user_routes(router, api_context);
  api::add_follow_routes(router, api_context);
  api::add_post_routes(router, api_context);
  api::add_notification_routes(router, api_context);
  api::add_history_routes(router, api_context);
  // The demo app at `/`, read into memory now (static_files.hpp); outlives
  // the server like the router does.
  api::StaticFiles static_files;
  if (auto root = resolve_web_root(settings.web_root)) {
    static_files = api::StaticFiles::load(*root);
    if (static_files.size() == 0) {
      spdlog::warn("web root {} has no files: nothing is served at / (build the demo: make web)", *root);
    } else {
      spdlog::info("serving {} files ({} KiB) from {} at /", static_files.size(), static_files.bytes() / 1024,
                   static_files.root());
    }
  }
  if (static_files.size() > 0) {
    router.set_fallback([&static_files](api::Request& r) -> boost::asio::awaitable<api::Response> {
      co_return static_files.serve(r);
    });
  }

  // Registered before anything can answer /health: a SIGTERM that arrives
  // as soon as the server looks up must still get the graceful shutdown
  // (and a SIGHUP must not end it: its default action would).
  boost::asio::io_context signals_context;
  boost::asio::signal_set signals(signals_context, SIGTERM, SIGINT, SIGHUP);
  net::ServerOptions options = server_options(settings, connection_cap(settings, worker_count), tls);
  if (redis_broker) {
    // 24 bits of the node id above a 40-bit counter: ids stay unique across
    // the cluster's nodes (a Target's exclude_connection travels with it).
    options.first_connection_id = ((redis_broker->node() & 0xffffff) << 40) | 1;
  }
  net::Server server(std::move(options), workers, router, hub);
  util::metrics().set_tcp_connections_source(
      [&server] { return static_cast<double>(server.open_connections()); });
  try {
    server.start();
  } catch (const std::exception& e) {
    spdlog::error("cannot listen on {}:{}: {}", settings.host, settings.port, e.what());
    return 1;
  }
  hub.start();
  if (redis_broker) redis_broker->start();
  // A cluster node takes connections once it holds the cluster's presence
  // (or Redis did not answer in time: it catches up when Redis does).
  if (cluster_presence && !cluster_presence->wait_until_ready(std::chrono::seconds(3))) {
    spdlog::warn("cluster presence: no snapshot from Redis yet; starting with an empty mirror");
  }
  workers.start();
  spdlog::info("herald {} listening on {}://{}:{} workers={} data_dir={}", HERALD_VERSION,
               tls ? "https" : "http", settings.host, server.port(), worker_count, settings.data_dir);

  // SIGHUP reloads the TLS certificate and waits on; SIGTERM or SIGINT ends the wait.
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec,
                                                                      int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      reload_tls(tls.get());
      signals.async_wait(on_signal);
      return;
    }
    spdlog::info("signal {} received: shutting down", signal);
  };
  signals.async_wait(on_signal);
  signals_context.run();

  // Graceful shutdown (PROTOCOL.md 6.6): stop accepting, close every socket
  // with 1001, flush storage, exit well within 10 s.
  server.stop_accepting();
  hub.shutdown();
  wait_for_drain(registry, std::chrono::seconds(3));
  if (cluster_presence) cluster_presence->leave(std::chrono::seconds(1));
  if (redis_broker) redis_broker->stop();  // nothing from other nodes after this
  workers.stop();
  workers.join();
  cpu_pool.join();
  storage.stop();
  workers.shutdown();  // what was still queued, while server and hub live
  spdlog::info("herald stopped");
  return 0;
}

}  // namespace herald::app
