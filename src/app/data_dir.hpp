#pragma once
// The data directory holds the chat history, password hashes and the JWT
// secret: nothing in it is for other local users. Herald creates it 0700
// and its files 0600 (`serve` sets the umask to 077 before creating
// anything; SQLite gives -wal and -shm the database file's mode, and the
// umask clears the rest). What already exists is left as it is, with a
// warning naming each path that group or others may access.
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace herald::app {

// The files Herald keeps in the data directory.
inline constexpr const char* kDataFiles[] = {
    "herald.db",         "herald.db-wal",         "herald.db-shm",
    "herald-archive.db", "herald-archive.db-wal", "herald-archive.db-shm",
    "jwt_secret",
};

// Like mkdir -p, but every directory it creates is 0700 whatever the umask
// (`herald token` generates the secret without going through `serve`).
std::error_code create_private_directory(const std::filesystem::path& dir);

// One line per existing path (the directory, then kDataFiles) whose mode
// gives group or others any access, e.g. "data directory ./data is mode
// 0755 ...". Empty when all is private or nothing exists yet.
std::vector<std::string> exposed_data_paths(const std::filesystem::path& dir);

}  // namespace herald::app
