#pragma once
// A database of its own for one test on the suite's PostgreSQL
// (postgres_server.hpp), so tests never see each other's rows.
#include <unistd.h>

#include <atomic>
#include <string>

#include "postgres_server.hpp"
#include "store/pg/pg_connection.hpp"

namespace herald::test {

inline std::string fresh_database(const PostgresServer& server) {
  static std::atomic<int> counter{0};
  // Our own name: digits and letters only, so the DDL text is safe.
  std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  store::pg::PgConnection admin(server.url());
  admin.run("CREATE DATABASE " + name);
  return server.url_of(name);
}

}  // namespace herald::test
