#include "app/jwt_setup.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "auth/secrets.hpp"

namespace herald::app {

namespace {

std::expected<std::string, std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::expected<std::string, std::string> generated_secret(const std::string& data_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  fs::path file = fs::path(data_dir) / "jwt_secret";
  if (fs::exists(file)) {
    auto text = read_file(file.string());
    if (!text) return text;
    while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
    if (!text->empty()) {
      // Only an edited file can be short: what we generate is 64 characters.
      if (text->size() < auth::kMinHs256SecretBytes) {
        return std::unexpected(fmt::format(
            "{}: the JWT secret must be at least {} bytes for HS256, this one has {}"
            " (remove the file to generate a new one, or set --jwt-secret)",
            file.string(), auth::kMinHs256SecretBytes, text->size()));
      }
      return text;
    }
  }
  std::string secret = auth::random_hex(32);  // 64 hex characters: 256 random bits
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) return std::unexpected("cannot write " + file.string());
    out << secret << "\n";
  }
  ::chmod(file.c_str(), 0600);
  return secret;
}

}  // namespace

std::expected<auth::JwtKeys, std::string> load_jwt_keys(const Settings& settings) {
  auth::JwtKeys keys;
  auto algorithm = auth::parse_algorithm(settings.jwt_algorithm);
  if (!algorithm) return std::unexpected("unknown JWT algorithm " + settings.jwt_algorithm);
  keys.algorithm = *algorithm;
  if (keys.algorithm == auth::JwtAlgorithm::hs256) {
    if (!settings.jwt_secret.empty()) {
      keys.secret = settings.jwt_secret;
    } else {
      auto secret = generated_secret(settings.data_dir);
      if (!secret) return std::unexpected(secret.error());
      keys.secret = *secret;
    }
    return keys;
  }
  auto pub = read_file(settings.jwt_public_key_file);
  if (!pub) return std::unexpected(pub.error());
  keys.public_key_pem = *pub;
  if (!settings.jwt_private_key_file.empty()) {
    auto priv = read_file(settings.jwt_private_key_file);
    if (!priv) return std::unexpected(priv.error());
    keys.private_key_pem = *priv;
  }
  return keys;
}

}  // namespace herald::app
