#pragma once
// Turns settings into JWT keys: the configured secret, or a random one
// generated once and kept in <data_dir>/jwt_secret (mode 0600) so tokens
// survive restarts; RS256/ES256 keys are read from their PEM files.
#include <expected>
#include <string>

#include "app/config.hpp"
#include "auth/jwt.hpp"

namespace herald::app {

std::expected<auth::JwtKeys, std::string> load_jwt_keys(const Settings& settings);

}  // namespace herald::app
