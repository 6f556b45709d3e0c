#include "io/agent-store.h"

#include <leveldb/write_batch.h>

#include <set>
#include <string>
#include <utility>

#include "core/limits.h"
#include "io/leveldb-slice.h"
#include "io/record-codec.h"

namespace swarmlet::io {
namespace {

const TaskId& taskIdOf(const agent::StoreOp& op) {
  return std::visit(
      [](const auto& typed) -> const TaskId& {
        using Op = std::decay_t<decltype(typed)>;
        if constexpr (std::is_same_v<Op, agent::PutTask>) {
          return typed.task.id;
        } else {
          return typed.taskId;
        }
      },
      op);
}

const char* opName(const agent::StoreOp& op) {
  static constexpr const char* NAMES[] = {"PutTask", "SetAssigned", "PutStatus", "DeleteTask"};
  return NAMES[op.index()];
}

// The record stored under `key`, or why it cannot be used.
StoreResult<agent::StoredTask> decodeTaskRecord(LevelDbStore& db, std::string_view key,
                                                std::string_view value) {
  using Result = StoreResult<agent::StoredTask>;
  auto words = wordsOf(value);
  if (!words.ok()) return Result::failure(db.corruptRecord(key, words.error));
  auto decoded = decodeStoredTask(*words.value);
  if (!decoded.ok()) return Result::failure(db.corruptRecord(key, decoded.error));
  std::string_view keyId = key.substr(AGENT_TASK_PREFIX.size());
  if (decoded.value->task.id.value != keyId) {
    return Result::failure(db.corruptRecord(
        key, "it holds task " + printableKey(decoded.value->task.id.value) + ", not its key's"));
  }
  return Result::success(*kj::mv(decoded.value));
}

// The saved manager list, or why it cannot be used.
StoreResult<std::vector<Peer>> decodeManagersRecord(LevelDbStore& db, std::string_view value) {
  using Result = StoreResult<std::vector<Peer>>;
  auto words = wordsOf(value);
  if (!words.ok()) return Result::failure(db.corruptRecord(AGENT_MANAGERS_KEY, words.error));
  // The codec keeps at most limits::MANAGERS_MAX of a longer list, as Start requires.
  auto peers = decodePeers(*words.value);
  if (!peers.ok()) return Result::failure(db.corruptRecord(AGENT_MANAGERS_KEY, peers.error));
  return Result::success(*kj::mv(peers.value));
}

}  // namespace

std::string agentTaskKey(const TaskId& id) {
  std::string key(AGENT_TASK_PREFIX);
  key += id.value;
  return key;
}

AgentStore::AgentStore(LevelDbStore& db, AgentStoreOptions options) : db_(db), options_(options) {
  KJ_REQUIRE(db.kind() == StoreKind::AGENT, "an AgentStore on a store not opened as an agent's");
}

StoreResult<AgentRestored> AgentStore::restore() {
  using Result = StoreResult<AgentRestored>;
  AgentRestored restored;
  auto refused = db_.scan(AGENT_TASK_PREFIX, [&](std::string_view key, std::string_view value) {
    if (restored.tasks.size() == limits::TASKS_MAX) {
      return std::optional<StoreError>(db_.corruptRecord(
          key, "the store holds more than " + std::to_string(limits::TASKS_MAX) +
                   " task records (limits::TASKS_MAX), more than an agent can hold"));
    }
    auto record = decodeTaskRecord(db_, key, value);
    if (!record.ok()) return std::optional<StoreError>(record.error());
    TaskId id = record.value().task.id;
    restored.tasks.emplace_hint(restored.tasks.end(), kj::mv(id), kj::mv(record.value()));
    return std::optional<StoreError>();
  });
  if (refused.has_value()) return Result::failure(*kj::mv(refused));

  auto managers = db_.get(AGENT_MANAGERS_KEY);
  if (!managers.ok()) return Result::failure(managers.error());
  if (managers.value().has_value()) {
    auto peers = decodeManagersRecord(db_, *managers.value());
    if (!peers.ok()) return Result::failure(peers.error());
    restored.managers = kj::mv(peers.value());
  }

  if (options_.recordSource == AgentRecordSource::CACHE) cache_ = restored.tasks;
  restored_ = true;
  return Result::success(kj::mv(restored));
}

StoreResult<std::optional<agent::StoredTask>> AgentStore::load(const TaskId& id) {
  using Result = StoreResult<std::optional<agent::StoredTask>>;
  if (options_.recordSource == AgentRecordSource::CACHE) {
    auto it = cache_.find(id);
    if (it == cache_.end()) return Result::success(std::nullopt);
    return Result::success(it->second);
  }
  const std::string key = agentTaskKey(id);
  auto value = db_.get(key);
  if (!value.ok()) return Result::failure(value.error());
  if (!value.value().has_value()) return Result::success(std::nullopt);
  auto record = decodeTaskRecord(db_, key, *value.value());
  if (!record.ok()) return Result::failure(record.error());
  return Result::success(kj::mv(record.value()));
}

std::optional<StoreError> AgentStore::commit(const std::vector<agent::StoreOp>& ops) {
  KJ_REQUIRE(restored_, "AgentStore::commit before a successful restore()");
  // Nothing to make durable: no fsync.
  if (ops.empty()) return std::nullopt;
  // The records the ops touch, as the ops leave them; applyStoreOp itself gives each op its
  // meaning. `loaded` holds every id read into `records` (absent ones too). Both are bounded by
  // the ops of one group commit.
  agent::StoreSnapshot records;
  std::set<TaskId> loaded;
  for (const agent::StoreOp& op : ops) {
    const TaskId& id = taskIdOf(op);
    if (loaded.insert(id).second) {
      auto before = load(id);
      if (!before.ok()) return before.error();
      if (before.value().has_value()) records.emplace(id, *kj::mv(before.value()));
    }
    KJ_REQUIRE(agent::applyStoreOp(records, op), "a store op whose record does not exist",
               opName(op), id.value);
  }

  leveldb::WriteBatch batch;
  for (const TaskId& id : loaded) {
    auto it = records.find(id);
    if (it == records.end()) {
      batch.Delete(sliceOf(agentTaskKey(id)));
    } else {
      batch.Put(sliceOf(agentTaskKey(id)), sliceOf(encodeStoredTask(it->second)));
    }
  }
  auto failed = db_.commit(batch);
  if (failed.has_value()) return failed;

  if (options_.recordSource == AgentRecordSource::CACHE) {
    for (const TaskId& id : loaded) {
      auto it = records.find(id);
      if (it == records.end()) {
        cache_.erase(id);
      } else {
        cache_.insert_or_assign(id, kj::mv(it->second));
      }
    }
    KJ_ASSERT(cache_.size() <= limits::TASKS_MAX, "the agent store holds more tasks than allowed");
  }
  return std::nullopt;
}

std::optional<StoreError> AgentStore::saveManagers(const std::vector<Peer>& managers) {
  KJ_REQUIRE(managers.size() <= limits::MANAGERS_MAX, "manager list too long", managers.size());
  leveldb::WriteBatch batch;
  batch.Put(sliceOf(AGENT_MANAGERS_KEY), sliceOf(encodePeers(managers)));
  return db_.commit(batch);
}

}  // namespace swarmlet::io
