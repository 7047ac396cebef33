#pragma once
// The table of settings: one row per Settings field with its CLI flag, help
// text and a pointer to the member. The env var and TOML key derive from the
// field name (HERALD_ + upper-snake; the name itself), so they cannot drift.
// Text values (flags, env) and TOML values are converted here, in one place,
// with one-line errors that name their source.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "app/config.hpp"

namespace herald::app {

using SettingMember =
    std::variant<std::string Settings::*, int Settings::*, unsigned Settings::*, std::int64_t Settings::*,
                 std::size_t Settings::*, double Settings::*, std::vector<std::string> Settings::*>;

struct SettingField {
  std::string_view key;   // Settings field name == TOML key
  std::string_view flag;  // "--port"
  std::string_view help;  // what it does, one sentence
  SettingMember member;
};

std::span<const SettingField> setting_fields();
const SettingField* find_setting(std::string_view key);

std::string env_name(const SettingField& field);      // "HERALD_PORT"
std::string type_name(const SettingField& field);     // "INT", "TEXT", "LIST", ...
std::string value_text(const Settings& settings, const SettingField& field);  // current value as text

// Parses `text` (a flag's or env var's value) into the field. `source` names
// where it came from for the error, e.g. "--port" or "HERALD_PORT".
// Lists are comma-separated; surrounding blanks are trimmed.
std::expected<void, std::string> assign_text(Settings& settings, const SettingField& field,
                                             std::string_view text, std::string_view source);

// Replaces a list field with the given items (repeated flags).
void assign_list(Settings& settings, const SettingField& field, const std::vector<std::string>& items);

}  // namespace herald::app
