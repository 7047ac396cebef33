// SqliteDatabase, WAL upkeep: who checkpoints which file, and when.
//
// Both files are in WAL mode. A WAL starts over from its beginning only
// when a writer begins a transaction after a checkpoint has copied all of
// it back (and no reader still reads its frames); until then it grows.
// The maintenance thread's PASSIVE checkpoints (maintain(), every half
// second) copy most frames, fsyncs included, off everyone's path, but
// while chats stream in main's writer commits during each of them, so
// they never copy everything and only the writer can close the gap.
//
// The writer therefore checkpoints main itself once its WAL passes
// kWalRestartFrames, after a batch's completions have run (after_batch()):
// the next batch waits for it, no ack does. SQLite's own automatic
// checkpoint ran inside COMMIT, before the completions: 20-50 ms once
// every 64 MiB of WAL, with every ack of that batch waiting on its fsyncs
// (docs/PERFORMANCE.md, chat tail). Most of that was fsyncing what had
// piled up since the last maintenance pass, so from three quarters of the
// way there the maintenance thread passes every 10 ms and syncs main's
// file too: the writer is left the last few milliseconds of frames. The
// archive, written by the fold thread alone, keeps SQLite's automatic
// checkpoint.
#include <sqlite3.h>

#include <cstring>

#include "store/sqlite/sqlite_database.hpp"

namespace herald::store::sqlite {

namespace {
// 64 MiB of 4 KiB pages: at full chat rate the writer's checkpoint comes
// every few seconds; from kWalRestartNear on the maintenance passes keep
// what it has to copy and sync to the last few milliseconds of frames.
constexpr int kWalRestartFrames = 16384;
constexpr int kWalRestartNear = kWalRestartFrames / 4 * 3;
}  // namespace

// sqlite3_wal_hook: called after each commit with the WAL's size in frames.
// Installing it replaces SQLite's automatic checkpoint on this connection.
int SqliteDatabase::on_wal_commit(void* self, sqlite3* db, const char* schema, int frames) {
  if (std::strcmp(schema, "main") == 0) {
    static_cast<SqliteDatabase*>(self)->main_wal_frames_ = frames;
  } else if (frames >= kWalRestartFrames) {
    // What the automatic checkpoint did, in the thread that committed.
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

void SqliteDatabase::after_batch() {
  if (main_wal_frames_ < kWalRestartFrames) return;
  // SQLITE_BUSY (the maintenance thread is checkpointing) or an incomplete
  // pass (a reader holds old frames) leave the WAL long: the next commit
  // reports its size again and the next batch tries again.
  int rc = sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  main_wal_frames_ = 0;
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    throw StorageError(std::string("checkpoint: ") + sqlite3_errmsg(db_));
  }
}

bool SqliteDatabase::maintain() {
  auto pass = [&](const char* schema, int* log_frames, int* checkpointed) {
    int rc = sqlite3_wal_checkpoint_v2(db_, schema, SQLITE_CHECKPOINT_PASSIVE, log_frames, checkpointed);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      throw StorageError(std::string("checkpoint: ") + sqlite3_errmsg(db_));
    }
  };
  int log_frames = 0, checkpointed = 0;
  pass("archive", nullptr, nullptr);
  pass("main", &log_frames, &checkpointed);
  bool restart_near = log_frames >= kWalRestartNear;
  if (restart_near && checkpointed > 0) {
    // SQLite syncs the database file only after a pass that reached the
    // WAL's end, which none does while the writer commits; without this
    // the writer's checkpoint would flush everything copied since.
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK && file &&
        file->pMethods && file->pMethods->xSync(file, SQLITE_SYNC_NORMAL) != SQLITE_OK) {
      throw StorageError("sync of the main file failed");
    }
  }
  return restart_near;
}

}  // namespace herald::store::sqlite
