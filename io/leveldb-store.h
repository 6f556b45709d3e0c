// A LevelDB database as the agent's and the manager's stores use it: opened with one clear line
// for every way a state directory can be unusable (held by another process, damaged, written by
// another schema version, not accessible to this user), group commits as synced write batches,
// and prefix scans. Keys follow the versioned layout of docs/store.md; this layer owns only the
// metadata key (the codec's StoreMeta: layout version and kind of store), the record stores
// (agent-store.h, manager-store.h) own their prefixes.
//
// Ownership: a LevelDbStore owns its leveldb::DB, and with it the directory's LOCK, for its whole
// life; the Env it was opened with must outlive it. Thread-safety: none; one event loop uses it.
#pragma once

#include <capnp/common.h>
#include <kj/array.h>
#include <kj/common.h>
#include <kj/debug.h>
#include <kj/function.h>
#include <kj/memory.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "io/record-codec.h"

namespace leveldb {
class Cache;
class DB;
class Env;
class WriteBatch;
}  // namespace leveldb

namespace swarmlet::io {

// What kind of trouble a store is in, named after what a person does next.
enum class StoreErrorKind : uint8_t {
  LOCKED,      // another process holds the directory: stop it, or use another directory
  PERMISSION,  // this user may not use the directory: run as its owner, or fix its mode
  CORRUPT,     // damaged (LevelDB corruption, or a record that does not decode)
  VERSION,     // written with another layout version
  FOREIGN,     // not a store of this kind: another program's database, or the other role's store
  IO,          // any other refusal of the file system (full disk, missing parent, ...)
};

std::string_view storeErrorKindName(StoreErrorKind kind);

struct StoreError {
  StoreErrorKind kind = StoreErrorKind::IO;
  // One line for a person: the directory, what is wrong, what to do.
  std::string message;

  bool operator==(const StoreError&) const = default;
};

// A value or the error that prevented it; for a store an error is an expected outcome.
template <typename T>
class [[nodiscard]] StoreResult {
 public:
  static StoreResult success(T value) { return StoreResult(std::move(value)); }
  static StoreResult failure(StoreError error) { return StoreResult(std::move(error)); }

  bool ok() const { return std::holds_alternative<T>(content_); }
  // REQUIRES: ok().
  T& value() {
    KJ_REQUIRE(ok(), "a failed store result has no value");
    return std::get<T>(content_);
  }
  // REQUIRES: !ok().
  const StoreError& error() const {
    KJ_REQUIRE(!ok(), "a successful store result has no error");
    return std::get<StoreError>(content_);
  }

 private:
  explicit StoreResult(T value) : content_(std::move(value)) {}
  explicit StoreResult(StoreError error) : content_(std::move(error)) {}

  std::variant<T, StoreError> content_;
};

// The key of the store's StoreMeta (io/record-codec.h), written when the store is created. A
// store whose meta names another layout version (STORE_SCHEMA_VERSION, the `v1/` of every
// record key) or another kind is refused.
inline constexpr std::string_view STORE_META_KEY = "meta/version";

struct StoreOptions {
  // nullptr: the operating system's (leveldb::Env::Default()). Tests pass a memory Env.
  leveldb::Env* env = nullptr;
  // LevelDB's memtable: writes beyond it start a compaction in LevelDB's background thread.
  size_t writeBufferBytes = size_t{4} << 20;
  // Uncompressed blocks kept for reads (the agent store reads records it modifies).
  size_t blockCacheBytes = size_t{8} << 20;
};

class LevelDbStore {
  struct Private {};

 public:
  // Opens the store of `kind` in `directory`, creating the directory (its last component, as
  // LevelDB does) and an empty store when missing. Refuses, with a StoreError, a directory
  // another process holds (LOCKED), one this user may not use (PERMISSION), a damaged one
  // (CORRUPT), one written with another layout version (VERSION), and one that is not a store
  // of `kind` (FOREIGN).
  static StoreResult<kj::Own<LevelDbStore>> open(const std::string& directory, StoreKind kind,
                                                 const StoreOptions& options = {});

  LevelDbStore(Private, std::string directory, StoreKind kind,
               std::unique_ptr<leveldb::Cache> cache, std::unique_ptr<leveldb::DB> db);
  ~LevelDbStore() noexcept;
  KJ_DISALLOW_COPY(LevelDbStore);

  // Writes `batch` atomically: after a crash, all of it or none of it is there. With `sync`, it
  // is on disk (fsync) when this returns. An error means the store may no longer accept writes
  // (LevelDB stops after a failed write): the caller stops.
  [[nodiscard]] std::optional<StoreError> commit(leveldb::WriteBatch& batch, bool sync = true);

  // Calls `visit(key, value)` for every key that starts with `prefix`, in key order, with
  // checksums verified; stops at the first error the visitor returns and returns it.
  using Visitor =
      kj::FunctionParam<std::optional<StoreError>(std::string_view key, std::string_view value)>;
  [[nodiscard]] std::optional<StoreError> scan(std::string_view prefix, Visitor visit);

  // The value under `key`, std::nullopt when there is none.
  StoreResult<std::optional<std::string>> get(std::string_view key);

  const std::string& directory() const { return directory_; }
  StoreKind kind() const { return kind_; }

  // The error for a record under `key` that cannot be used; `why` says what is wrong with it.
  StoreError corruptRecord(std::string_view key, std::string_view why) const;

 private:
  std::string directory_;
  StoreKind kind_;
  // Declared before db_, so destroyed after it: LevelDB's table cache uses it to the end.
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<leveldb::DB> db_;
};

// `bytes` with everything but printable ASCII escaped as \xNN, for keys in error messages.
std::string printableKey(std::string_view bytes);

// A stored value as the aligned Cap'n Proto words the record codec decodes (io/codec.h,
// wordsFromBytes), or why it cannot be.
Decoded<kj::Array<capnp::word>> wordsOf(std::string_view value);

}  // namespace swarmlet::io
