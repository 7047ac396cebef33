// JWT keys from settings; the generated secret is the one file here that
// must never be readable by others, not even between its creation and a chmod.
#include "app/jwt_setup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "app/data_dir.hpp"
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

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::string errno_text() { return std::error_code(errno, std::generic_category()).message(); }

// Writes `text` to a new file at `path`, created 0600 and exclusively
// (O_EXCL: never someone else's file, never through a symlink planted
// there), and flushed to disk. Removes what it created on failure.
std::expected<void, std::string> write_new_private_file(const std::filesystem::path& path,
                                                        std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return std::unexpected("cannot create " + path.string() + ": " + errno_text());
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const bool ok = done == text.size() && ::fsync(fd) == 0;
  const std::string problem = ok ? "" : errno_text();
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return std::unexpected("cannot write " + path.string() + ": " + problem);
  }
  return {};
}

// The secret kept in <data_dir>/jwt_secret, generated on first use. It is
// written to a private temporary file and then linked into place, so the
// file never exists half-written or readable by others, and two processes
// starting at once (serve and `herald token`) agree on one secret: link()
// fails for the second, which then reads the first's.
std::expected<std::string, std::string> generated_secret(const std::string& data_dir) {
  namespace fs = std::filesystem;
  if (auto ec = create_private_directory(data_dir)) {
    return std::unexpected("cannot create data directory " + data_dir + ": " + ec.message());
  }
  const fs::path file = fs::path(data_dir) / "jwt_secret";
  std::error_code ec;
  if (fs::exists(file, ec)) {
    auto text = read_file(file.string());
    if (!text) return text;
    if (auto secret = trimmed(std::move(*text)); !secret.empty()) {
      // Only an edited file can be short: what we generate is 64 characters.
      if (secret.size() < auth::kMinHs256SecretBytes) {
        return std::unexpected(fmt::format(
            "{}: the JWT secret must be at least {} bytes for HS256, this one has {}"
            " (remove the file to generate a new one, or set --jwt-secret)",
            file.string(), auth::kMinHs256SecretBytes, secret.size()));
      }
      return secret;
    }
    // An empty file (an older version interrupted mid-write): replaced below.
  }
  const std::string secret = auth::random_hex(32);  // 64 hex characters: 256 random bits
  const fs::path temp = fs::path(data_dir) / ("jwt_secret.new." + std::to_string(::getpid()));
  ::unlink(temp.c_str());  // a leftover of a crashed process that had our pid
  if (auto written = write_new_private_file(temp, secret + "\n"); !written) {
    return std::unexpected(written.error());
  }
  if (::link(temp.c_str(), file.c_str()) == 0) {
    ::unlink(temp.c_str());
    return secret;
  }
  const int link_errno = errno;
  if (link_errno == EEXIST) {
    auto text = read_file(file.string());
    if (text) {
      if (auto theirs = trimmed(std::move(*text)); !theirs.empty()) {
        ::unlink(temp.c_str());
        return theirs;  // another process got there first
      }
    }
    // Still empty: put ours in its place (rename replaces atomically).
    if (::rename(temp.c_str(), file.c_str()) == 0) return secret;
  }
  const std::string problem = std::error_code(link_errno, std::generic_category()).message();
  ::unlink(temp.c_str());
  return std::unexpected("cannot create " + file.string() + ": " + problem);
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
