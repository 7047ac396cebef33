// herald: the command line. `serve` runs the server, `token` mints a token
// for scripts and tests, `--version` prints the version.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "app/config.hpp"
#include "app/jwt_setup.hpp"
#include "app/serve.hpp"
#include "auth/jwt.hpp"
#include "util/clock.hpp"
#include "util/heap.hpp"
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
  std::optional<auth::JwtIssuer> issuer;
  try {
    issuer.emplace(*keys);
  } catch (const std::invalid_argument& e) {
    std::cerr << "herald token: " << e.what() << "\n";
    return 2;
  }
  auto type = cmd.token.type == "refresh" ? auth::TokenType::refresh : auth::TokenType::access;
  std::optional<std::string> username;
  if (!cmd.token.username.empty()) username = cmd.token.username;
  std::optional<std::string> role;
  if (!cmd.token.role.empty()) role = cmd.token.role;
  std::cout << issuer->mint(UserId{cmd.token.user_id}, username, type, util::unix_seconds_now(),
                           cmd.token.ttl_s, role)
            << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace herald::app;
  herald::util::configure_malloc();
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
