// The agent's durable store on LevelDB: one record per task (agent::StoredTask, under
// `v1/agent/task/<id>`) and the saved manager list (`v1/agent/managers`), docs/store.md. The
// shell commits the StoreOps of every Persist of one loop turn here as one synced batch (group
// commit) before it executes the effects after them, and restores the whole store once, at
// start, into agent::Start.
//
// Ownership: an AgentStore borrows its LevelDbStore, which must outlive it. Thread-safety: none;
// the agent's event loop uses it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/agent/store.h"
#include "core/types.h"
#include "io/leveldb-store.h"

namespace swarmlet::io {

// How a commit finds the current record that an op modifies (a PutTask keeps the record's
// `assigned` and `status`, a PutStatus keeps its task): a copy of every record kept in memory,
// or a LevelDB read. READ is the default: it restarts faster and keeps no second copy of the
// tasks, and its extra commit cost is small beside an fsync (docs/store.md, measured).
enum class AgentRecordSource : uint8_t { CACHE, READ };

struct AgentStoreOptions {
  AgentRecordSource recordSource = AgentRecordSource::READ;
};

// What the store held at start: the tasks for agent::Start::store, the managers for
// agent::Start::managers (empty when none were ever saved).
struct AgentRestored {
  agent::StoreSnapshot tasks;
  std::vector<Peer> managers;

  bool operator==(const AgentRestored&) const = default;
};

class AgentStore {
 public:
  explicit AgentStore(LevelDbStore& db, AgentStoreOptions options = {});
  KJ_DISALLOW_COPY(AgentStore);

  // Reads the whole store. Refuses (CORRUPT, naming the key) a record that does not decode, a
  // record under another task's id, and more than limits::TASKS_MAX records.
  StoreResult<AgentRestored> restore();

  // Applies `ops` in order, each with applyStoreOp's meaning, as one synced batch.
  // REQUIRES: restore() succeeded on this object; every op's precondition holds when it is
  // applied (the core emits no other), or nothing is written.
  [[nodiscard]] std::optional<StoreError> commit(const std::vector<agent::StoreOp>& ops);

  // Replaces the saved manager list (PersistManagers), synced. REQUIRES: at most
  // limits::MANAGERS_MAX managers.
  [[nodiscard]] std::optional<StoreError> saveManagers(const std::vector<Peer>& managers);

 private:
  // The record under `id` before this commit, std::nullopt when there is none.
  StoreResult<std::optional<agent::StoredTask>> load(const TaskId& id);

  LevelDbStore& db_;
  AgentStoreOptions options_;
  bool restored_ = false;
  // With AgentRecordSource::CACHE: every record as committed. Bounded by limits::TASKS_MAX
  // (restore refuses more, and the core never holds more).
  agent::StoreSnapshot cache_;
};

// The key of a task's record, and the prefix all of them share.
std::string agentTaskKey(const TaskId& id);
inline constexpr std::string_view AGENT_TASK_PREFIX = "v1/agent/task/";
inline constexpr std::string_view AGENT_MANAGERS_KEY = "v1/agent/managers";

}  // namespace swarmlet::io
