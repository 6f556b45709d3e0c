// Safety invariants of one agent's work half (spec 9.5, items 8-17, and the rules),
// checked from the outside after every step: the input, the effects in order, and the state.
//
// The checker keeps its own mirror of the task store, built only from Persist effects, so it
// doubles as the store a harness restarts an agent from. It checks that every status sent was
// persisted first, that statuses never move backwards, that a task has at most one executor
// operation in flight, that a record is deleted only after the executor removed the task, that
// the agent's memory equals the store after every step (so also right after a restart), that
// nothing is sent for a task no longer assigned, that at most one status batch is in flight,
// and that the assignment stream is applied only as a chain (a COMPLETE, then INCREMENTALs
// each on the last one's resultsIn; after a gap nothing until the next COMPLETE).
//
// Memory against the store costs time in proportion to the agent's tasks. With `fullCheckEvery`
// 1 (the default: transcripts, property tests) every task is compared after every step.
// Otherwise (the simulator) a step is checked on the tasks it touched: those named by its input
// (an executor completion, the assignments received) and by its effects (store operations,
// executor operations and cancels, statuses sent), plus the task counts; the whole comparison
// runs on the first step after a restart, every `fullCheckEvery` steps, and whenever checkAll()
// is called (the simulator calls it before a crash and at the end of a run). A task changed in
// memory without any effect naming it is caught by the next whole comparison.
//
// Plain values; not thread-safe; one checker per agent, kept across the agent's restarts.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/agent/effect.h"
#include "core/agent/input.h"
#include "core/agent/state.h"
#include "core/agent/store.h"
#include "sim/rules.h"

namespace swarmlet::sim {

class WorkerChecker {
 public:
  explicit WorkerChecker(uint32_t fullCheckEvery = 1);

  // Call after each Agent::step with what went in, what came out and the state afterwards.
  void observe(Instant now, const agent::Input& input, const std::vector<agent::Effect>& effects,
               const agent::AgentState& state);
  // The agent crashed and is about to start again from store(): its executor operations and
  // status sends in flight are gone; what the node's executor holds is not.
  void restarted();
  // The same, for a store that lost the writes not yet synced when the process died: the mirror
  // becomes `survivor`, and the per-task history restarts from it (a status that was never
  // synced was never revealed either, so memory may come back below it).
  void restarted(const agent::StoreSnapshot& survivor);

  // Memory against the store for every task, now.
  void checkAll(const agent::AgentState& state);

  // The store as the Persist effects so far made it.
  const agent::StoreSnapshot& store() const { return store_; }
  // Every violation so far, one line each, oldest first.
  const std::vector<std::string>& violations() const { return violations_; }

 private:
  struct InFlight {
    agent::OperationId operation = 0;
    agent::ExecutorCall call = agent::ExecutorCall::RESOLVE;
  };

  void observeInput(Instant now, const agent::Input& input);
  void checkPersist(Instant now, const agent::Persist& persist, bool assignmentsWhileLeaving);
  void checkOperation(Instant now, const agent::ExecutorOperation& operation);
  void checkSend(const agent::SendStatuses& send, const agent::AgentState& state, bool stopping);
  void checkState(const agent::AgentState& state);
  void checkTouched(const agent::AgentState& state);
  void checkCounts(const agent::AgentState& state);
  void checkTask(const TaskId& id, const agent::TaskEntry& entry, const agent::StoredTask* record,
                 const agent::AgentState& state);
  void checkPending(const TaskId& id, const agent::AgentState& state);
  void checkReporter(const agent::AgentState& state);
  void touch(const TaskId& id) { touched_.push_back(id); }
  void touchInput(const agent::Input& input);
  void checkStream(const agent::AssignmentsReceived& received, const agent::AgentState& state);
  void checkCompleteSet(const AssignmentsMessage& message, const agent::AgentState& state);
  void fail(Rule rule, const std::string& detail);

  uint32_t fullCheckEvery_ = 1;
  uint32_t sinceFullCheck_ = 0;
  bool fullCheckDue_ = false;
  // The tasks the step being observed named (unsorted, may repeat).
  std::vector<TaskId> touched_;
  std::vector<std::string> violations_;
  agent::StoreSnapshot store_;
  // Every status ever persisted per task: a send must carry one of them.
  std::map<TaskId, std::vector<TaskStatus>> persisted_;
  std::map<TaskId, InFlight> operations_;
  // Per task whose last call failed temporarily: that call, and the earliest time it may be
  // made again.
  std::map<TaskId, std::pair<agent::ExecutorCall, Instant>> retryNotBefore_;
  // The node was leaving after the previous step.
  bool leaving_ = false;
  // Tasks for which the executor may hold something: a controller was made (or a call ran) and
  // the executor has not said since that nothing is left (a REMOVE that succeeded or failed
  // for good, or a RESOLVE that failed for good).
  std::set<TaskId> holdsResources_;
  std::optional<BatchId> batchInFlight_;
  // Per task, the last state sent on the current generation (statuses sent within one session
  // never go backwards).
  Generation sendGeneration_ = 0;
  std::map<TaskId, TaskState> lastSent_;
  // Per task, the highest status state and desired state seen in memory.
  std::map<TaskId, TaskState> lastState_;
  std::map<TaskId, TaskState> lastDesired_;
  // The assignment stream as the checker chains it on its own: its generation and the last
  // applied message's resultsIn (nullopt while a COMPLETE is due).
  Generation streamGeneration_ = 0;
  std::optional<std::string> streamAt_;
};

}  // namespace swarmlet::sim
