// The demo app's static files (api/static_files.hpp): what each name is
// served as, which paths are the API's, and that only files loaded from
// under the root are ever answered.
#include "api/static_files.hpp"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

using namespace herald::api;
namespace fs = std::filesystem;

TEST(StaticFiles, ContentTypesByExtension) {
  EXPECT_EQ(StaticFiles::content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(StaticFiles::content_type_for("assets/app-2KP6QK66.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(StaticFiles::content_type_for("a.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(StaticFiles::content_type_for("logo.svg"), "image/svg+xml");
  EXPECT_EQ(StaticFiles::content_type_for("x.png"), "image/png");
  EXPECT_EQ(StaticFiles::content_type_for("app.js.map"), "application/json");
  EXPECT_EQ(StaticFiles::content_type_for("dir.v2/README"), "application/octet-stream");
}

TEST(StaticFiles, OnlyHashedNamesAreImmutable) {
  const std::string immutable = "public, max-age=31536000, immutable";
  EXPECT_EQ(StaticFiles::cache_control_for("assets/app-2KP6QK66.js"), immutable);
  EXPECT_EQ(StaticFiles::cache_control_for("assets/app-2KP6QK66.js.map"), immutable);
  EXPECT_EQ(StaticFiles::cache_control_for("index.html"), "no-cache");
  EXPECT_EQ(StaticFiles::cache_control_for("my-component.js"), "no-cache");  // a word, not a hash
  EXPECT_EQ(StaticFiles::cache_control_for("app.js"), "no-cache");
}

TEST(StaticFiles, ApiAndOperationsPathsAreReserved) {
  for (const char* p : {"/api", "/api/v1/online", "/ws", "/health", "/ready", "/metrics", "/metrics/x"}) {
    EXPECT_TRUE(StaticFiles::reserved(p)) << p;
  }
  for (const char* p : {"/", "/index.html", "/apiary.html", "/healthy.png", "/assets/app.js"}) {
    EXPECT_FALSE(StaticFiles::reserved(p)) << p;
  }
}

TEST(StaticFiles, ServesLoadedFilesAndNothingElse) {
  const fs::path dir = fs::temp_directory_path() / ("herald-static-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "root" / "sub");
  std::ofstream(dir / "root" / "index.html") << "<p>hi</p>";
  std::ofstream(dir / "root" / "sub" / "a.css") << "p{}";
  std::ofstream(dir / "outside.txt") << "secret";
  fs::create_symlink(dir / "outside.txt", dir / "root" / "link.txt");

  const StaticFiles files = StaticFiles::load(dir / "root");
  EXPECT_EQ(files.size(), 2u);  // the symlink out of the root is not loaded
  Request r;
  r.method = "GET";
  r.path = "/";
  EXPECT_EQ(files.serve(r).body, "<p>hi</p>");
  r.path = "/sub/a.css";
  EXPECT_EQ(files.serve(r).status, 200);
  r.path = "/sub/../index.html";
  EXPECT_EQ(files.serve(r).status, 400);
  r.path = "/link.txt";
  EXPECT_EQ(files.serve(r).status, 404);
  r.path = "/nope";
  EXPECT_EQ(files.serve(r).status, 404);
  EXPECT_EQ(StaticFiles::load(dir / "missing").size(), 0u);
  fs::remove_all(dir);
}
