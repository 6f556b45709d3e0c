// The agent's durable task store as values: what a record holds, the snapshot handed to the core
// at Start, and the operations the core asks the shell to commit (SwarmKit agent/storage.go).
//
// The core keeps the store's contents in memory (AgentState::worker) and emits every change as
// a StoreOp inside a Persist effect; it never reads the store after Start. A shell commits one
// Persist as one synced batch before executing the effects that follow it. applyStoreOp is the
// meaning of each operation, shared by the simulated store, the transcript harness and the
// checkers so that all of them agree on it. Plain values; no thread-safety concerns.
#pragma once

#include <map>
#include <optional>
#include <variant>
#include <vector>

#include "core/task.h"

namespace swarmlet::agent {

// One task's record: the task as assigned (its status blanked, as SwarmKit stores it), whether
// it is still assigned to this node, and the agent's latest status for it.
struct StoredTask {
  Task task;
  bool assigned = false;
  // Absent only in a record written by something else than this core (a PutStatus always
  // shares a batch with the PutTask that creates the record).
  std::optional<TaskStatus> status;

  bool operator==(const StoredTask&) const = default;
};

// The whole store, ordered by task id.
using StoreSnapshot = std::map<TaskId, StoredTask>;

// Creates the record or replaces its task (status blanked); keeps `assigned` and `status`.
struct PutTask {
  Task task;

  bool operator==(const PutTask&) const = default;
};

// REQUIRES: the record exists.
struct SetAssigned {
  TaskId taskId;
  bool assigned = false;

  bool operator==(const SetAssigned&) const = default;
};

// REQUIRES: the record exists (SwarmKit refuses a status for an unknown task).
struct PutStatus {
  TaskId taskId;
  TaskStatus status;

  bool operator==(const PutStatus&) const = default;
};

// Drops the whole record. Emitted only after the executor removed the task.
struct DeleteTask {
  TaskId taskId;

  bool operator==(const DeleteTask&) const = default;
};

using StoreOp = std::variant<PutTask, SetAssigned, PutStatus, DeleteTask>;

// Blanks a task's status, as it is kept in a PutTask and a StoredTask.
inline Task withoutStatus(const Task& task) {
  Task copy = task;
  copy.status = TaskStatus{};
  return copy;
}

// Applies `op` to `store`. Returns false (and changes nothing) when the op's precondition does
// not hold, so that checkers can report it instead of crashing.
inline bool applyStoreOp(StoreSnapshot& store, const StoreOp& op) {
  if (const auto* put = std::get_if<PutTask>(&op)) {
    store[put->task.id].task = withoutStatus(put->task);
    return true;
  }
  if (const auto* assigned = std::get_if<SetAssigned>(&op)) {
    auto it = store.find(assigned->taskId);
    if (it == store.end()) return false;
    it->second.assigned = assigned->assigned;
    return true;
  }
  if (const auto* status = std::get_if<PutStatus>(&op)) {
    auto it = store.find(status->taskId);
    if (it == store.end()) return false;
    it->second.status = status->status;
    return true;
  }
  return store.erase(std::get<DeleteTask>(op).taskId) == 1;
}

}  // namespace swarmlet::agent
