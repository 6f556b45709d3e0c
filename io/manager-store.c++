#include "io/manager-store.h"

#include <leveldb/write_batch.h>

#include <optional>
#include <type_traits>
#include <utility>

#include "io/leveldb-slice.h"
#include "io/record-codec.h"

namespace swarmlet::io {
namespace {

constexpr manager::RecordKind ALL_KINDS[] = {
    manager::RecordKind::NODE, manager::RecordKind::SERVICE, manager::RecordKind::TASK,
    manager::RecordKind::SECRET, manager::RecordKind::CONFIG};

std::string_view kindName(manager::RecordKind kind) {
  switch (kind) {
    case manager::RecordKind::NODE:
      return "node";
    case manager::RecordKind::SERVICE:
      return "service";
    case manager::RecordKind::TASK:
      return "task";
    case manager::RecordKind::SECRET:
      return "secret";
    case manager::RecordKind::CONFIG:
      return "config";
  }
  KJ_UNREACHABLE;
}

std::optional<manager::RecordKind> parseKind(std::string_view name) {
  for (manager::RecordKind kind : ALL_KINDS)
    if (kindName(kind) == name) return kind;
  return std::nullopt;
}

manager::RecordKind kindOf(const manager::Record& record) {
  return std::visit(
      [](const auto& typed) {
        using R = std::decay_t<decltype(typed)>;
        if constexpr (std::is_same_v<R, manager::NodeRecord>) return manager::RecordKind::NODE;
        if constexpr (std::is_same_v<R, manager::ServiceRecord>)
          return manager::RecordKind::SERVICE;
        if constexpr (std::is_same_v<R, Task>) return manager::RecordKind::TASK;
        if constexpr (std::is_same_v<R, Secret>) return manager::RecordKind::SECRET;
        if constexpr (std::is_same_v<R, Config>) return manager::RecordKind::CONFIG;
      },
      record);
}

const std::string& idOf(const manager::Record& record) {
  return std::visit([](const auto& typed) -> const std::string& { return typed.id.value; }, record);
}

void append(manager::StoreSnapshot& snapshot, manager::Record&& record) {
  std::visit(
      [&](auto&& typed) {
        using R = std::decay_t<decltype(typed)>;
        if constexpr (std::is_same_v<R, manager::NodeRecord>)
          snapshot.nodes.push_back(kj::mv(typed));
        if constexpr (std::is_same_v<R, manager::ServiceRecord>)
          snapshot.services.push_back(kj::mv(typed));
        if constexpr (std::is_same_v<R, Task>) snapshot.tasks.push_back(kj::mv(typed));
        if constexpr (std::is_same_v<R, Secret>) snapshot.secrets.push_back(kj::mv(typed));
        if constexpr (std::is_same_v<R, Config>) snapshot.configs.push_back(kj::mv(typed));
      },
      kj::mv(record));
}

// The record under `key` (a key under MANAGER_PREFIX), or why it cannot be used.
StoreResult<manager::Record> decodeRecord(LevelDbStore& db, std::string_view key,
                                          std::string_view value) {
  using Result = StoreResult<manager::Record>;
  std::string_view rest = key.substr(MANAGER_PREFIX.size());
  size_t slash = rest.find('/');
  auto kind = parseKind(rest.substr(0, slash));
  if (slash == std::string_view::npos || !kind.has_value()) {
    return Result::failure(db.corruptRecord(key, "not a key of any record kind"));
  }
  std::string_view id = rest.substr(slash + 1);
  auto words = wordsOf(value);
  if (!words.ok()) return Result::failure(db.corruptRecord(key, words.error));
  auto decoded = decodeManagerRecord(*words.value);
  if (!decoded.ok()) return Result::failure(db.corruptRecord(key, decoded.error));
  const manager::Record& record = *decoded.value;
  if (kindOf(record) != *kind || idOf(record) != id) {
    return Result::failure(
        db.corruptRecord(key, "it holds the " + std::string(kindName(kindOf(record))) + " " +
                                  printableKey(idOf(record)) + ", not its key's"));
  }
  return Result::success(*kj::mv(decoded.value));
}

}  // namespace

std::string managerRecordKey(manager::RecordKind kind, std::string_view id) {
  std::string key(MANAGER_PREFIX);
  key += kindName(kind);
  key += '/';
  key += id;
  return key;
}

ManagerStore::ManagerStore(LevelDbStore& db) : db_(db) {
  KJ_REQUIRE(db.kind() == StoreKind::MANAGER,
             "a ManagerStore on a store not opened as a manager's");
}

StoreResult<manager::StoreSnapshot> ManagerStore::restore() {
  using Result = StoreResult<manager::StoreSnapshot>;
  // As large as what the manager wrote: its cluster state has no bound of its own yet
  // (core/limits.h names none for nodes, services or tasks).
  manager::StoreSnapshot snapshot;
  auto refused = db_.scan(MANAGER_PREFIX, [&](std::string_view key, std::string_view value) {
    auto record = decodeRecord(db_, key, value);
    if (!record.ok()) return std::optional<StoreError>(record.error());
    append(snapshot, kj::mv(record.value()));
    return std::optional<StoreError>();
  });
  if (refused.has_value()) return Result::failure(*kj::mv(refused));
  return Result::success(kj::mv(snapshot));
}

std::optional<StoreError> ManagerStore::commit(const std::vector<manager::Write>& writes) {
  // Nothing to make durable: no fsync.
  if (writes.empty()) return std::nullopt;
  leveldb::WriteBatch batch;
  for (const manager::Write& write : writes) {
    if (const auto* put = std::get_if<manager::Put>(&write)) {
      KJ_REQUIRE(!idOf(put->record).empty(), "a manager record without an id");
      batch.Put(sliceOf(managerRecordKey(kindOf(put->record), idOf(put->record))),
                sliceOf(encodeManagerRecord(put->record)));
    } else {
      const auto& del = std::get<manager::Delete>(write);
      batch.Delete(sliceOf(managerRecordKey(del.kind, del.id)));
    }
  }
  return db_.commit(batch);
}

}  // namespace swarmlet::io
