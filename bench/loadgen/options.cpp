// Flag parsing by hand: a dozen --name value pairs do not need a library.
#include "options.hpp"

#include <charconv>
#include <cmath>
#include <string_view>

namespace herald::bench {

std::string usage() {
  return R"(herald-loadgen --scenario connect|chat|fanout|ping|storm|publish --port P --secret S [options]
  --host H               server address (127.0.0.1)
  --path /api/v1/ws      WebSocket path
  --sources K            spread source addresses over 127.0.0.1..127.0.0.K (auto)
  --server-pid PID       read server CPU and RSS from /proc/PID
  --label NAME           server name in the output
  --json FILE            also append the JSON result line to FILE
  --user-base N          first user id (1000)
  --connections N        connect/ping/storm clients, fanout listeners (100)
  --pairs P              chat sender/receiver pairs (50)
  --window W             in flight: chat msgs per sender, ping per conn, fanout publishes (16)
  --rate R               offered load: chat msgs/s, fanout deliveries/s (0 = closed loop)
  --connect-rate R       connections opened per second (0 = unlimited)
  --concurrency C        handshakes in flight at once (256; 0 = unlimited)
  --duration S           measured seconds (5)
  --warmup S             seconds before measuring (1)
  --hold S               connect: seconds to hold the set open (1)
  --timeout S            limit for setup phases (60)
  --quiet S              storm: stop after S seconds with no new status (3)
  --message-bytes B      chat text length (32)
  --receiver-port P      chat receivers / fanout listeners on this port (another cluster node);
                         senders / the publisher on --port
  --random-msg-ids       chat: each client_msg_id starts with 32 random hex digits (a UUIDv4's worth),
                         as many clients send, instead of the send time (ids that grow)
  --audience followers|all   fanout: followers = listeners subscribe to presence:<publisher>
  --follow-api           fanout followers: listeners follow the publisher over REST first (Herald)
  --api-key K            publish: the server's --api-key
  --recipients N         publish: users named in each call, the first --connections online (10000)
  --reps N               publish: measured calls, after one warm-up call (10)
  --tls                  wss: a TLS handshake (full, unverified) before each upgrade
)";
}

namespace {
template <class T>
bool parse_num(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}
}  // namespace

std::expected<Options, std::string> parse_options(int argc, char** argv) {
  Options o;
  o.target.source_addresses = 0;  // 0 = choose from the client count
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") return std::unexpected(usage());
    if (flag == "--tls") {  // the flags without a value
      o.target.tls = true;
      continue;
    }
    if (flag == "--follow-api") {
      o.follow_api = true;
      continue;
    }
    if (flag == "--random-msg-ids") {
      o.random_msg_ids = true;
      continue;
    }
    if (i + 1 >= argc) return std::unexpected("missing value for " + std::string(flag));
    std::string_view v = argv[++i];
    bool ok = true;
    if (flag == "--scenario") o.scenario = v;
    else if (flag == "--host") o.target.host = v;
    else if (flag == "--port") ok = parse_num(v, o.target.port);
    else if (flag == "--receiver-port") ok = parse_num(v, o.receiver_port);
    else if (flag == "--path") o.target.path = v;
    else if (flag == "--sources") ok = parse_num(v, o.target.source_addresses);
    else if (flag == "--secret") o.secret = v;
    else if (flag == "--label") o.label = v;
    else if (flag == "--json") o.json_path = v;
    else if (flag == "--server-pid") ok = parse_num(v, o.server_pid);
    else if (flag == "--user-base") ok = parse_num(v, o.user_base);
    else if (flag == "--connections") ok = parse_num(v, o.connections);
    else if (flag == "--pairs") ok = parse_num(v, o.pairs);
    else if (flag == "--window") ok = parse_num(v, o.window);
    else if (flag == "--rate") ok = parse_num(v, o.rate);
    else if (flag == "--connect-rate") ok = parse_num(v, o.connect_rate);
    else if (flag == "--concurrency") ok = parse_num(v, o.concurrency);
    else if (flag == "--duration") ok = parse_num(v, o.duration_s);
    else if (flag == "--warmup") ok = parse_num(v, o.warmup_s);
    else if (flag == "--hold") ok = parse_num(v, o.hold_s);
    else if (flag == "--timeout") ok = parse_num(v, o.timeout_s);
    else if (flag == "--quiet") ok = parse_num(v, o.quiet_s);
    else if (flag == "--message-bytes") ok = parse_num(v, o.message_bytes);
    else if (flag == "--audience") o.audience = v;
    else if (flag == "--api-key") o.api_key = v;
    else if (flag == "--recipients") ok = parse_num(v, o.recipients);
    else if (flag == "--reps") ok = parse_num(v, o.reps);
    else return std::unexpected("unknown flag " + std::string(flag) + "\n" + usage());
    if (!ok) return std::unexpected("bad value for " + std::string(flag) + ": " + std::string(v));
  }
  if (o.scenario.empty()) return std::unexpected("--scenario is required\n" + usage());
  if (o.secret.empty()) return std::unexpected("--secret is required");
  if (o.audience != "followers" && o.audience != "all") return std::unexpected("--audience: followers or all");
  if (o.window == 0) o.window = 1;
  if (o.message_bytes < 24) o.message_bytes = 24;  // room for the timestamp
  if (o.target.source_addresses <= 0) {
    // ~28k ephemeral ports per source address; keep well under that.
    std::uint64_t clients = o.scenario == "chat" ? o.pairs * 2 : o.connections + 1;
    o.target.source_addresses = static_cast<int>(std::min<std::uint64_t>(250, clients / 20000 + 1));
  }
  return o;
}

}  // namespace herald::bench
