#pragma once
// The two lower layers of configuration, each applied over what is already
// in `settings` (defaults, then env, then file; flags go last in config.cpp).
// Each returns the first problem as one line naming the variable or key.
#include <expected>
#include <string>
#include <string_view>

#include "app/config.hpp"

namespace herald::app {

// HERALD_<FIELD NAME IN UPPER CASE> for every setting; an empty value counts
// as unset. kConfigEnvName names the TOML file when --config is not given.
std::expected<void, std::string> apply_env(Settings& settings, const EnvLookup& env);
inline constexpr const char* kConfigEnvName = "HERALD_CONFIG";

// The TOML file: flat keys named like the Settings fields, or grouped in
// tables: inside [t], key k means setting t_k, or k when there is no t_k
// ([jwt] secret = jwt_secret, [limits] max_subscriptions). An unknown key,
// a wrong type or a setting given twice is an error.
std::expected<void, std::string> apply_toml_file(Settings& settings, const std::string& path);
std::expected<void, std::string> apply_toml_text(Settings& settings, std::string_view text,
                                                 std::string_view source_name);

}  // namespace herald::app
