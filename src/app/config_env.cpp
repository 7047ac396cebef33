// The environment layer: HERALD_* variables over the defaults.
#include "app/config_layers.hpp"
#include "app/config_table.hpp"

namespace herald::app {

std::expected<void, std::string> apply_env(Settings& settings, const EnvLookup& env) {
  if (!env) return {};
  for (const auto& field : setting_fields()) {
    const std::string name = env_name(field);
    const char* value = env(name.c_str());
    // Empty counts as unset: `HERALD_PORT= herald` is how shells unset for one command.
    if (value == nullptr || *value == '\0') continue;
    if (auto ok = assign_text(settings, field, value, name); !ok) return ok;
  }
  return {};
}

}  // namespace herald::app
