// The command line (CLI11) and the layering of configuration sources:
// defaults, then HERALD_* env, then the TOML file, then the flags actually
// given. Flags are captured as text and converted by the settings table, so
// a flag, an env var and a TOML key reject a bad value the same way.
// The settings flags live on the top-level app; subcommands fall through to
// it, so `herald --port 1 serve`, `herald serve --port 1` and
// `herald token ... --jwt-secret s` all work.
#include "app/config.hpp"

#include <deque>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/config_layers.hpp"
#include "app/config_table.hpp"

namespace herald::app {
namespace {

#ifndef HERALD_VERSION
#define HERALD_VERSION "dev"
#endif

constexpr const char* kDescription =
    "Herald " HERALD_VERSION
    ": a real-time WebSocket server (notifications, presence, typing, 1:1 chat) with its REST API.";

constexpr const char* kFooter =
    "Every setting is read from, highest precedence first: these flags, the TOML file named by --config\n"
    "(or HERALD_CONFIG), HERALD_* environment variables, built-in defaults. docs/CONFIGURATION.md lists them.";

// A flag's captured text; CLI11 writes into these, so they must not move.
struct FlagCapture {
  const SettingField* field = nullptr;
  CLI::Option* option = nullptr;
  std::string text;
  std::vector<std::string> items;  // list settings (repeatable, comma lists)
};

std::string flag_description(const SettingField& field) {
  const std::string fallback = value_text(Settings{}, field);
  return fmt::format("{} [env {}; toml {}; default {}]", field.help, env_name(field), field.key,
                     fallback.empty() ? "none" : fallback);
}

void add_setting_flags(CLI::App& app, std::deque<FlagCapture>& captures) {
  for (const auto& field : setting_fields()) {
    auto& capture = captures.emplace_back();
    capture.field = &field;
    const std::string name(field.flag);
    if (std::holds_alternative<std::vector<std::string> Settings::*>(field.member)) {
      // One value per occurrence, so a list flag never swallows the subcommand after it.
      capture.option = app.add_option(name, capture.items, flag_description(field))
                           ->type_name("LIST")
                           ->allow_extra_args(false)
                           ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    } else {
      capture.option = app.add_option(name, capture.text, flag_description(field))
                           ->type_name(type_name(field))
                           ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
  }
}

struct TokenCapture {
  std::int64_t user_id = 0;
  std::string username;
  std::int64_t ttl_s = 0;
  std::string role;
  std::string type = "access";
  CLI::Option* ttl = nullptr;
};

void add_token_flags(CLI::App& token, TokenCapture& capture) {
  token.add_option("--user-id", capture.user_id, "User id, the token's sub claim (a positive integer)")
      ->required();
  token.add_option("--username", capture.username, "The token's username claim")->required();
  capture.ttl = token.add_option("--ttl", capture.ttl_s,
                                 "Lifetime in seconds [default: --access-token-ttl, or --refresh-token-ttl "
                                 "with --type refresh]");
  token.add_option("--role", capture.role, "The role claim; 'service' allows POST /notifications");
  token.add_option("--type", capture.type, "Token type: access or refresh [default access]")
      ->check(CLI::IsMember({"access", "refresh"}));
  token.footer(
      "The signing key comes from the same settings as the server's: --jwt-secret, --jwt-algorithm,\n"
      "--jwt-private-key, --data-dir, --config and their HERALD_* variables (see herald --help).");
}

std::expected<TokenCommand, std::string> make_token(const TokenCapture& capture, const Settings& settings) {
  TokenCommand token;
  if (capture.user_id <= 0) return std::unexpected("--user-id: must be a positive integer");
  if (capture.username.empty()) return std::unexpected("--username: must not be empty");
  token.user_id = capture.user_id;
  token.username = capture.username;
  token.role = capture.role;
  token.type = capture.type;
  if (capture.ttl->count() > 0) {
    if (capture.ttl_s <= 0) return std::unexpected("--ttl: must be a positive number of seconds");
    token.ttl_s = capture.ttl_s;
  } else {
    token.ttl_s = token.type == "refresh" ? settings.refresh_token_ttl_s : settings.access_token_ttl_s;
  }
  return token;
}

}  // namespace

std::expected<ParsedCommandLine, std::string> parse_command_line(int argc, const char* const* argv,
                                                                 const EnvLookup& env) {
  CLI::App app{kDescription, "herald"};
  app.footer(kFooter);
  app.set_help_flag("-h,--help", "Print this help and exit");
  app.fallthrough();
  app.require_subcommand(0, 1);

  bool version = false;
  app.add_flag("--version", version, "Print the version and exit");
  std::string config_path;
  auto* config_option =
      app.add_option("--config", config_path, fmt::format("TOML configuration file [env {}]", kConfigEnvName))
          ->type_name("FILE");
  std::deque<FlagCapture> captures;
  add_setting_flags(app, captures);

  app.add_subcommand("serve", "Run the server (also what `herald [flags]` does)");
  auto* token = app.add_subcommand("token", "Print a signed JWT for a user or a service, then exit");
  TokenCapture token_capture;
  add_token_flags(*token, token_capture);

  ParsedCommandLine result;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    result.command = Command::help;
    // `herald serve --help` shows the top level, where the server's flags are.
    result.help_text = token->parsed()
                           ? app.help()
                           : app.get_formatter()->make_help(&app, "herald", CLI::AppFormatMode::Normal);
    return result;
  } catch (const CLI::ParseError& err) {
    return std::unexpected(std::string(err.what()));
  }
  if (version) {
    result.command = Command::version;
    return result;
  }

  Settings& settings = result.settings;
  if (auto ok = apply_env(settings, env); !ok) return std::unexpected(ok.error());
  if (config_option->count() == 0 && env) {
    const char* from_env = env(kConfigEnvName);
    if (from_env != nullptr) config_path = from_env;
  }
  if (!config_path.empty()) {
    if (auto ok = apply_toml_file(settings, config_path); !ok) return std::unexpected(ok.error());
  }
  for (const auto& capture : captures) {
    if (capture.option->count() == 0) continue;
    if (std::holds_alternative<std::vector<std::string> Settings::*>(capture.field->member)) {
      assign_list(settings, *capture.field, capture.items);
      continue;
    }
    if (auto ok = assign_text(settings, *capture.field, capture.text, capture.field->flag); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (auto problem = validate(settings); !problem.empty()) return std::unexpected(problem);

  if (token->parsed()) {
    auto made = make_token(token_capture, settings);
    if (!made) return std::unexpected(made.error());
    result.command = Command::token;
    result.token = std::move(*made);
  } else {
    result.command = Command::serve;
  }
  return result;
}

}  // namespace herald::app
