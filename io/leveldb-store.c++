#include "io/leveldb-store.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/status.h>
#include <leveldb/write_batch.h>

#include <cerrno>
#include <cstring>

#include "io/codec.h"
#include "io/leveldb-slice.h"

namespace swarmlet::io {
namespace {

std::string_view viewOf(const leveldb::Slice& slice) {
  return std::string_view(slice.data(), slice.size());
}

// LevelDB's own text for a status, kept on one line.
std::string oneLine(const leveldb::Status& status) {
  std::string text = status.ToString();
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

// The start of every message about the store in `directory`, on one line whatever its name.
std::string where(const std::string& directory) {
  return "store " + printableKey(directory) + ": ";
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// What a failed DB::Open means. LevelDB reports a held LOCK as an IO error on "lock <path>"
// (fcntl refused, or this process holds it already), and passes on the system's text for
// errno, so the permission cases are recognised by strerror's words.
StoreError openError(const std::string& directory, const leveldb::Status& status) {
  const std::string text = oneLine(status);
  const std::string at = where(directory);
  if (status.IsCorruption()) {
    return {StoreErrorKind::CORRUPT, at + "the database is damaged (" + text +
                                         "); restore the directory from a backup, or move it "
                                         "away to start with an empty store"};
  }
  if (status.IsIOError() && contains(text, "IO error: lock ")) {
    return {StoreErrorKind::LOCKED,
            at + "another process is using it (another swarmd holds its LOCK file); stop "
                 "that process, or choose another state directory"};
  }
  if (contains(text, strerror(EACCES)) || contains(text, strerror(EPERM))) {
    return {StoreErrorKind::PERMISSION,
            at + "permission denied (" + text +
                "); run as the user that owns the directory, or fix its owner and mode"};
  }
  if (contains(text, strerror(EROFS))) {
    return {StoreErrorKind::PERMISSION,
            at + "the file system is read-only (" + text +
                "); remount it read-write, or choose another state directory"};
  }
  if (status.IsNotFound()) {
    return {StoreErrorKind::IO,
            at + "cannot be created (" + text + "); check that its parent directory exists"};
  }
  return {StoreErrorKind::IO, at + "cannot be opened (" + text + ")"};
}

// The error for a read or write that failed after the store opened.
StoreError accessError(const std::string& directory, std::string_view action,
                       const leveldb::Status& status) {
  const std::string text = oneLine(status);
  const std::string at = where(directory);
  if (status.IsCorruption()) {
    return {StoreErrorKind::CORRUPT, at + std::string(action) + " found damage (" + text +
                                         "); restore the directory from a backup, or move it "
                                         "away to start with an empty store"};
  }
  return {StoreErrorKind::IO, at + std::string(action) + " failed (" + text +
                                  "); check the disk (full, failing or read-only), then restart"};
}

StoreMeta metaOf(StoreKind kind) {
  StoreMeta meta;
  meta.schemaVersion = STORE_SCHEMA_VERSION;
  meta.kind = kind;
  return meta;
}

// Records the meta of a store that has none: `kind` and this build's layout version. A database
// with keys but no meta was not written by swarmlet.
std::optional<StoreError> initializeMeta(LevelDbStore& store) {
  // Any key at all: the database is not empty. The visitor stops the scan at the first one;
  // when it never ran, an error is the scan's own.
  bool empty = true;
  auto failed = store.scan("", [&](std::string_view, std::string_view) {
    empty = false;
    return std::optional<StoreError>(StoreError{StoreErrorKind::FOREIGN, "stop"});
  });
  if (!empty) {
    return StoreError{StoreErrorKind::FOREIGN,
                      where(store.directory()) +
                          "holds a LevelDB database that swarmlet did not write (it has no " +
                          std::string(STORE_META_KEY) + " key); choose another state directory"};
  }
  if (failed.has_value()) return failed;
  leveldb::WriteBatch batch;
  auto words = encodeStoreMeta(metaOf(store.kind()));
  batch.Put(sliceOf(STORE_META_KEY),
            leveldb::Slice(words.asChars().begin(), words.asChars().size()));
  return store.commit(batch);
}

// Checks the meta of a freshly opened store; an empty store gets one.
std::optional<StoreError> checkMeta(LevelDbStore& store) {
  auto stored = store.get(STORE_META_KEY);
  if (!stored.ok()) return stored.error();
  if (!stored.value().has_value()) return initializeMeta(store);
  auto words = wordsOf(*stored.value());
  if (!words.ok()) return store.corruptRecord(STORE_META_KEY, words.error);
  auto meta = decodeStoreMeta(*words.value);
  if (!meta.ok()) return store.corruptRecord(STORE_META_KEY, meta.error);
  auto refusal = checkStoreMeta(*meta.value, store.kind());
  if (!refusal.has_value()) return std::nullopt;
  return StoreError{
      meta.value->kind != store.kind() ? StoreErrorKind::FOREIGN : StoreErrorKind::VERSION,
      where(store.directory()) + *refusal};
}

}  // namespace

std::string_view storeErrorKindName(StoreErrorKind kind) {
  switch (kind) {
    case StoreErrorKind::LOCKED:
      return "LOCKED";
    case StoreErrorKind::PERMISSION:
      return "PERMISSION";
    case StoreErrorKind::CORRUPT:
      return "CORRUPT";
    case StoreErrorKind::VERSION:
      return "VERSION";
    case StoreErrorKind::FOREIGN:
      return "FOREIGN";
    case StoreErrorKind::IO:
      return "IO";
  }
  KJ_UNREACHABLE;
}

StoreResult<kj::Own<LevelDbStore>> LevelDbStore::open(const std::string& directory, StoreKind kind,
                                                      const StoreOptions& options) {
  using Result = StoreResult<kj::Own<LevelDbStore>>;
  std::unique_ptr<leveldb::Cache> cache(leveldb::NewLRUCache(options.blockCacheBytes));
  leveldb::Options dbOptions;
  dbOptions.create_if_missing = true;
  dbOptions.paranoid_checks = true;
  dbOptions.env = options.env != nullptr ? options.env : leveldb::Env::Default();
  dbOptions.write_buffer_size = options.writeBufferBytes;
  dbOptions.block_cache = cache.get();
  leveldb::DB* opened = nullptr;
  leveldb::Status status = leveldb::DB::Open(dbOptions, directory, &opened);
  if (!status.ok()) return Result::failure(openError(directory, status));
  KJ_ASSERT(opened != nullptr);
  auto store = kj::heap<LevelDbStore>(Private{}, directory, kind, kj::mv(cache),
                                      std::unique_ptr<leveldb::DB>(opened));
  auto refusal = checkMeta(*store);
  if (refusal.has_value()) return Result::failure(*kj::mv(refusal));
  return Result::success(kj::mv(store));
}

LevelDbStore::LevelDbStore(Private, std::string directory, StoreKind kind,
                           std::unique_ptr<leveldb::Cache> cache, std::unique_ptr<leveldb::DB> db)
    : directory_(kj::mv(directory)), kind_(kind), cache_(kj::mv(cache)), db_(kj::mv(db)) {
  KJ_REQUIRE(db_ != nullptr);
}

LevelDbStore::~LevelDbStore() noexcept = default;

std::optional<StoreError> LevelDbStore::commit(leveldb::WriteBatch& batch, bool sync) {
  leveldb::WriteOptions options;
  options.sync = sync;
  leveldb::Status status = db_->Write(options, &batch);
  if (!status.ok()) return accessError(directory_, "a write", status);
  return std::nullopt;
}

std::optional<StoreError> LevelDbStore::scan(std::string_view prefix, Visitor visit) {
  leveldb::ReadOptions options;
  options.verify_checksums = true;
  // A scan reads everything once (at start); keep the cache for the records writes modify.
  options.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(options));
  for (it->Seek(sliceOf(prefix)); it->Valid(); it->Next()) {
    std::string_view key = viewOf(it->key());
    if (key.substr(0, prefix.size()) != prefix) break;
    auto refused = visit(key, viewOf(it->value()));
    if (refused.has_value()) return refused;
  }
  if (!it->status().ok()) return accessError(directory_, "a scan", it->status());
  return std::nullopt;
}

StoreResult<std::optional<std::string>> LevelDbStore::get(std::string_view key) {
  using Result = StoreResult<std::optional<std::string>>;
  leveldb::ReadOptions options;
  options.verify_checksums = true;
  std::string value;
  leveldb::Status status = db_->Get(options, sliceOf(key), &value);
  if (status.IsNotFound()) return Result::success(std::nullopt);
  if (!status.ok()) return Result::failure(accessError(directory_, "a read", status));
  return Result::success(kj::mv(value));
}

StoreError LevelDbStore::corruptRecord(std::string_view key, std::string_view why) const {
  return {StoreErrorKind::CORRUPT,
          where(directory_) + "record " + printableKey(key) + " is damaged (" + std::string(why) +
              "); restore the directory from a backup, or move it away to start with an empty "
              "store"};
}

std::string printableKey(std::string_view bytes) {
  static constexpr char HEX[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size());
  for (char c : bytes) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\') {
      text.push_back(c);
    } else {
      text += "\\x";
      text.push_back(HEX[byte >> 4]);
      text.push_back(HEX[byte & 0xf]);
    }
  }
  return text;
}

Decoded<kj::Array<capnp::word>> wordsOf(std::string_view value) {
  return wordsFromBytes(
      kj::arrayPtr(reinterpret_cast<const kj::byte*>(value.data()), value.size()));
}

}  // namespace swarmlet::io
