#include "api/static_files.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <sstream>

#include <spdlog/spdlog.h>

namespace herald::api {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view extension(std::string_view name) {
  auto slash = name.rfind('/');
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return {};
  return name.substr(dot + 1);
}

// `name-HASH.ext` with HASH of 8+ letters and digits: esbuild's and Vite's
// default asset names. Such a file's content never changes under its name.
bool hashed_name(std::string_view name) {
  auto slash = name.rfind('/');
  std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  auto dot = base.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view stem = base.substr(0, dot);
  auto dash = stem.rfind('-');
  if (dash == std::string_view::npos) return false;
  std::string_view hash = stem.substr(dash + 1);
  if (hash.size() < 8) return false;
  bool digit = false, upper_or_lower = false;
  for (char c : hash) {
    if (std::isdigit(static_cast<unsigned char>(c))) digit = true;
    else if (std::isalpha(static_cast<unsigned char>(c))) upper_or_lower = true;
    else if (c != '_') return false;
  }
  return digit && upper_or_lower;  // a plain word ("-component") is no hash
}

// A request path's segments must be plain names: no `..`, no `.`, no NUL,
// no backslash (which some tools read as a separator).
bool safe_path(std::string_view path) {
  if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos) return false;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view seg = path.substr(i, j - i);
    if (seg == ".." || seg == ".") return false;
    i = j + 1;
  }
  return true;
}

}  // namespace

std::string StaticFiles::content_type_for(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kTypes{{
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"txt", "text/plain; charset=utf-8"},
      {"woff2", "font/woff2"},
  }};
  std::string ext = lower(extension(name));
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return std::string(type);
  }
  return "application/octet-stream";
}

std::string StaticFiles::cache_control_for(std::string_view name) {
  std::string ext = lower(extension(name));
  if (ext == "html" || ext == "htm") return "no-cache";
  if (hashed_name(name)) return "public, max-age=31536000, immutable";
  return "no-cache";
}

bool StaticFiles::reserved(std::string_view path) {
  for (std::string_view prefix : {"/api", "/ws", "/health", "/ready", "/metrics"}) {
    if (path == prefix) return true;
    if (path.size() > prefix.size() && path.starts_with(prefix) && path[prefix.size()] == '/') return true;
  }
  return false;
}

StaticFiles StaticFiles::load(const fs::path& root) {
  StaticFiles out;
  std::error_code ec;
  fs::path base = fs::canonical(root, ec);
  if (ec || !fs::is_directory(base, ec)) return out;
  out.root_ = base.string();
  const std::string prefix = base.string() + "/";
  for (auto it = fs::recursive_directory_iterator(base, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code fe;
    if (!it->is_regular_file(fe)) continue;
    // Symlinks are followed only when they stay inside the root.
    fs::path real = fs::canonical(it->path(), fe);
    if (fe || !real.string().starts_with(prefix)) {
      spdlog::warn("web root: skipping {} (outside {})", it->path().string(), base.string());
      continue;
    }
    auto size = fs::file_size(real, fe);
    if (fe || size > kMaxFileBytes || out.bytes_ + size > kMaxTotalBytes) {
      spdlog::warn("web root: skipping {} ({} bytes; the web root is capped at {} MiB in memory)",
                   it->path().string(), size, kMaxTotalBytes >> 20);
      continue;
    }
    std::ifstream in(real, std::ios::binary);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string relative = fs::relative(it->path(), base, fe).generic_string();
    if (fe || !in) continue;
    out.bytes_ += body.size();
    out.assets_.emplace(relative, Asset{std::move(body), content_type_for(relative), cache_control_for(relative)});
  }
  return out;
}

const StaticFiles::Asset* StaticFiles::find(std::string_view relative) const {
  auto it = assets_.find(std::string(relative));
  return it == assets_.end() ? nullptr : &it->second;
}

Response StaticFiles::serve(const Request& request) const {
  std::string_view path = request.path;
  if (!safe_path(path)) return error_response(400, "Bad path");
  std::string relative(path.substr(path.starts_with('/') ? 1 : 0));
  if (relative.empty() || relative.ends_with('/')) relative += "index.html";
  const Asset* asset = find(relative);
  if (!asset) return error_response(404, "Not Found");
  Response r;
  r.status = 200;
  r.body = asset->body;
  r.content_type = asset->content_type;
  r.headers.emplace_back("Cache-Control", asset->cache_control);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace herald::api
