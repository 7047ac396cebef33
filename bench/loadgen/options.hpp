#pragma once
// Command line of herald-loadgen. Every run is bounded: setup by --timeout,
// the measured phase by --duration (and --warmup before it), so a run always
// stops by itself. See `herald-loadgen --help`.
#include <cstdint>
#include <expected>
#include <string>

#include "event_loop.hpp"

namespace herald::bench {

struct Options {
  std::string scenario;  // connect | chat | fanout | ping | storm | publish
  Target target;
  std::string secret;
  std::string label = "server";
  std::string json_path;  // append the JSON line here too
  int server_pid = 0;
  std::uint64_t user_base = 1000;

  std::uint64_t connections = 100;  // connect, ping, fanout listeners, storm users
  std::uint64_t pairs = 50;         // chat
  std::uint64_t window = 16;        // chat (msgs per sender), ping (per conn), fanout (publishes)
  double rate = 0;                  // chat msgs/s, fanout deliveries/s; 0 = closed loop
  double connect_rate = 0;          // connections/s; 0 = as fast as --concurrency allows
  std::uint64_t concurrency = 256;  // handshakes in flight at once (0 = unlimited)
  double duration_s = 5;
  double warmup_s = 1;
  double hold_s = 1;              // connect: seconds to hold the set open
  double timeout_s = 60;          // setup phases
  double quiet_s = 3;             // storm: stop after this long with nothing new
  std::size_t message_bytes = 32;  // chat text length
  // chat receivers and fanout listeners connect to this port (another
  // cluster node), senders and the publisher to --port, so every message
  // crosses nodes; 0 = all on --port.
  int receiver_port = 0;
  // chat: client_msg_ids that start with 32 random hex digits, so a
  // sender's keys land all over the server's idempotency index (as UUIDs
  // do) rather than at its end.
  bool random_msg_ids = false;
  std::string audience = "followers";  // followers: fanout listeners subscribe
  // followers against Herald: each listener first follows the publisher
  // over REST (Herald allows presence:<id> only to followers).
  bool follow_api = false;
  std::int64_t token_ttl_s = 3600;
  // publish: one call of the publish API (X-API-Key) to --recipients users,
  // --connections of them online, --reps times after one warm-up call.
  std::string api_key;
  std::uint64_t recipients = 10000;
  std::uint64_t reps = 10;
};

std::expected<Options, std::string> parse_options(int argc, char** argv);
std::string usage();

}  // namespace herald::bench
