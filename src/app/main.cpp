// herald: the command line. `serve` runs the server, `token` mints a token
// for scripts and tests, `--version` prints the version.
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <spdlog/spdlog.h>

#include "app/config.hpp"
#include "app/jwt_setup.hpp"
#include "app/serve.hpp"
#include "auth/jwt.hpp"
#include "util/clock.hpp"
#include "util/logging.hpp"

namespace {

int mint_token(const herald::app::ParsedCommandLine& cmd) {
  using namespace herald;
  auto keys = app::load_jwt_keys(cmd.settings);
  if (!keys) {
    std::cerr << "herald token: " << keys.error() << "\n";
    return 2;
  }
  if (cmd.token.user_id <= 0) {
    std::cerr << "herald token: --user-id must be a positive integer\n";
    return 2;
  }
  auth::JwtIssuer issuer(*keys);
  auto type = cmd.token.type == "refresh" ? auth::TokenType::refresh : auth::TokenType::access;
  std::optional<std::string> username;
  if (!cmd.token.username.empty()) username = cmd.token.username;
  std::optional<std::string> role;
  if (!cmd.token.role.empty()) role = cmd.token.role;
  std::cout << issuer.mint(UserId{cmd.token.user_id}, username, type, util::unix_seconds_now(),
                           cmd.token.ttl_s, role)
            << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace herald::app;
  // Grow the heap 1 MiB at a time. glibc's default grows it by what each
  // allocation needs, so a connection storm extended it (mprotect) every
  // few connections: 2,600 calls for 9,000 set-ups, a few percent of their
  // CPU (paired runs: 77-80 against 81-91 us). Larger steps saved a little
  // more but kept more freed memory resident.
  mallopt(M_TOP_PAD, 1 << 20);
  // Keep freed memory for reuse instead of returning it at once: setting
  // M_TOP_PAD fixes glibc's thresholds at their small defaults, so the
  // storage threads' per-commit and per-fold buffers (hundreds of KiB)
  // were mapped and unmapped, or the heap trimmed and regrown, each time,
  // page faults and all (writer profile: 4.6% in faults). Paired chat
  // runs: 10.2-11.1 against 11.0-11.3 us per message.
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  auto parsed = parse_command_line(argc, argv, [](const char* name) { return std::getenv(name); });
  if (!parsed) {
    std::cerr << "herald: " << parsed.error() << "\n(see herald --help)\n";
    return 2;
  }
  switch (parsed->command) {
    case Command::help:
      std::cout << parsed->help_text;
      return 0;
    case Command::version:
      std::cout << "herald " << HERALD_VERSION << "\n";
      return 0;
    case Command::token:
      return mint_token(*parsed);
    case Command::serve:
      break;
  }
  if (auto problem = validate(parsed->settings); !problem.empty()) {
    std::cerr << "herald: " << problem << "\n";
    return 2;
  }
  if (auto logging = herald::util::init_logging(parsed->settings.log_level); !logging) {
    std::cerr << "herald: " << logging.error() << "\n";
    return 2;
  }
  return serve(parsed->settings);
}
