#include "sim/worker-checker.h"

#include <algorithm>
#include <iterator>
#include <utility>
#include <variant>

#include "core/format.h"
#include "core/limits.h"

namespace swarmlet::sim {

using namespace agent;

namespace {

// record == withoutStatus(task), without copying the task: every field of Task (core/task.h)
// but the status, which the record must hold blank.
bool sameExceptStatus(const Task& record, const Task& task) {
  return record.id == task.id && record.serviceId == task.serviceId && record.slot == task.slot &&
         record.nodeId == task.nodeId && record.desiredState == task.desiredState &&
         record.version == task.version && record.status == TaskStatus{} &&
         record.spec == task.spec;
}

// A rewrite that changes nothing an observer sees (the timestamp aside). The checker's own, not
// the core's, so that a bug there cannot hide from it.
bool unchanged(const TaskStatus& a, const TaskStatus& b) {
  return a.state == b.state && a.message == b.message && a.error == b.error &&
         a.exitCode == b.exitCode;
}

// The meaning of one store operation (core/agent/store.h), on the checker's mirror. Returns
// false when the record it needs is missing.
bool apply(StoreSnapshot& store, const StoreOp& op) {
  if (const auto* put = std::get_if<PutTask>(&op)) {
    Task& record = store[put->task.id].task;
    record = put->task;
    record.status = TaskStatus{};
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

const TaskId& opTask(const StoreOp& op) {
  return std::visit(
      [](const auto& o) -> const TaskId& {
        using O = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<O, PutTask>) {
          return o.task.id;
        } else {
          return o.taskId;
        }
      },
      op);
}

}  // namespace

WorkerChecker::WorkerChecker(uint32_t fullCheckEvery) : fullCheckEvery_(fullCheckEvery) {
  if (fullCheckEvery_ == 0) fullCheckEvery_ = 1;
}

void WorkerChecker::fail(Rule rule, const std::string& detail) {
  violations_.push_back(violationOf(rule, detail));
}

void WorkerChecker::restarted() {
  fullCheckDue_ = true;
  operations_.clear();
  retryNotBefore_.clear();
  leaving_ = false;
  batchInFlight_.reset();
  streamGeneration_ = 0;
  streamAt_.reset();
  lastSent_.clear();
  sendGeneration_ = 0;
}

void WorkerChecker::restarted(const agent::StoreSnapshot& survivor) {
  restarted();
  store_ = survivor;
  lastState_.clear();
  lastDesired_.clear();
  for (const auto& [id, record] : survivor) {
    if (record.status.has_value()) lastState_[id] = record.status->state;
    lastDesired_[id] = record.task.desiredState;
  }
}

void WorkerChecker::observe(Instant now, const Input& input, const std::vector<Effect>& effects,
                            const AgentState& state) {
  touched_.clear();
  touchInput(input);
  observeInput(now, input);
  bool assignmentsWhileLeaving = leaving_ && std::holds_alternative<AssignmentsReceived>(input);
  bool stopping = false;
  for (const Effect& effect : effects)
    stopping = stopping || std::holds_alternative<AgentStopped>(effect);
  for (const Effect& effect : effects) {
    if (const auto* persist = std::get_if<Persist>(&effect)) {
      checkPersist(now, *persist, assignmentsWhileLeaving);
    } else if (const auto* operation = std::get_if<ExecutorOperation>(&effect)) {
      touch(operation->taskId);
      checkOperation(now, *operation);
    } else if (const auto* cancel = std::get_if<CancelOperation>(&effect)) {
      touch(cancel->taskId);
      auto it = operations_.find(cancel->taskId);
      if (it == operations_.end() || it->second.operation != cancel->operation) {
        fail(Rule::WORK_CANCEL_NAMES_OPERATION,
             "cancel-operation op=" + std::to_string(cancel->operation) + " " +
                 cancel->taskId.value + " names no operation in flight");
      }
    } else if (const auto* send = std::get_if<SendStatuses>(&effect)) {
      checkSend(*send, state, stopping);
    } else if (std::holds_alternative<SignalLeft>(effect) && !state.worker.tasks.empty()) {
      fail(Rule::WORK_LEFT_ONLY_WHEN_EMPTY,
           "signal-left while " + std::to_string(state.worker.tasks.size()) + " tasks are held");
    } else if (std::holds_alternative<CloseSession>(effect)) {
      // Nothing will answer a batch on a closed session; its statuses go out again later.
      batchInFlight_.reset();
    }
  }
  if (const auto* received = std::get_if<AssignmentsReceived>(&input))
    checkStream(*received, state);
  leaving_ = state.worker.leaving;
  if (fullCheckEvery_ == 1 || fullCheckDue_ || ++sinceFullCheck_ >= fullCheckEvery_) {
    checkState(state);
  } else {
    checkTouched(state);
  }
}

void WorkerChecker::checkAll(const AgentState& state) {
  checkState(state);
}

void WorkerChecker::touchInput(const Input& input) {
  if (const auto* done = std::get_if<ExecutorDone>(&input)) {
    touch(done->task);
  } else if (const auto* received = std::get_if<AssignmentsReceived>(&input)) {
    for (const AssignmentChange& change : received->message.changes) {
      if (const auto* task = std::get_if<Task>(&change.item)) touch(task->id);
    }
  }
}

// The agent's stream position must be the checker's own: a message that does not chain (a
// duplicate, or one after a lost one) is a gap, and applying it could undo newer changes.
void WorkerChecker::checkStream(const AssignmentsReceived& received, const AgentState& state) {
  bool current = state.phase == AgentPhase::RUNNING &&
                 state.session.phase == SessionPhase::REGISTERED &&
                 received.generation == state.session.generation && !state.worker.leaving;
  if (!current) return;
  if (received.generation != streamGeneration_) {
    streamGeneration_ = received.generation;
    streamAt_.reset();
  }
  const AssignmentsMessage& message = received.message;
  bool chains = message.type == AssignmentType::COMPLETE ||
                (streamAt_.has_value() && message.appliesTo == *streamAt_);
  std::string expected = streamAt_.value_or("(a COMPLETE due)");
  if (chains) {
    streamAt_ = message.resultsIn;
  } else {
    streamAt_.reset();
  }
  if (chains && message.type == AssignmentType::COMPLETE) checkCompleteSet(message, state);
  if (state.worker.resultsIn != streamAt_) {
    fail(Rule::WORK_STREAM_CHAINS,
         chains ? "an assignments message that chains was not applied: " + message.resultsIn
                : "an INCREMENTAL applied across a gap: it applies to " + message.appliesTo +
                      ", the stream is at " + expected);
  }
}

// Spec 9.5 item 10: a COMPLETE set applied leaves assigned exactly the tasks it names; every
// other task the agent still holds is being shut down and removed.
void WorkerChecker::checkCompleteSet(const AssignmentsMessage& message, const AgentState& state) {
  std::set<TaskId> named;
  for (const AssignmentChange& change : message.changes) {
    const auto* task = std::get_if<Task>(&change.item);
    if (task != nullptr && change.action == AssignmentAction::UPDATE) named.insert(task->id);
  }
  for (const auto& [id, entry] : state.worker.tasks) {
    if (entry.assigned != (named.count(id) == 1)) {
      fail(Rule::WORK_COMPLETE_SET_ASSIGNED,
           "after a COMPLETE set " + message.resultsIn + ", " + id.value +
               (entry.assigned ? " is still assigned" : " is not assigned"));
    }
  }
  for (const TaskId& id : named) {
    if (state.worker.tasks.count(id) == 0) {
      fail(Rule::WORK_COMPLETE_SET_ASSIGNED,
           "after a COMPLETE set " + message.resultsIn + ", " + id.value + " is not held");
    }
  }
}

void WorkerChecker::observeInput(Instant now, const Input& input) {
  if (const auto* done = std::get_if<ExecutorDone>(&input)) {
    auto it = operations_.find(done->task);
    if (it == operations_.end() || it->second.operation != done->operation) return;  // stale
    ErrorClass errorClass = done->result.errorClass;
    if (it->second.call == ExecutorCall::RESOLVE && errorClass == ErrorClass::NONE) {
      holdsResources_.insert(done->task);
    }
    // The executor's verdict that nothing is left: a REMOVE that succeeded or cannot succeed,
    // or a controller that cannot be made for the task at all.
    bool removed = errorClass == ErrorClass::NONE || errorClass == ErrorClass::FATAL;
    if (it->second.call == ExecutorCall::REMOVE && removed) holdsResources_.erase(done->task);
    if (it->second.call == ExecutorCall::RESOLVE && errorClass == ErrorClass::FATAL) {
      holdsResources_.erase(done->task);
    }
    if (errorClass == ErrorClass::TEMPORARY) {
      retryNotBefore_[done->task] = {it->second.call, now + limits::TASK_RETRY_INITIAL};
    }
    operations_.erase(it);
  } else if (const auto* acked = std::get_if<StatusesAcked>(&input)) {
    if (batchInFlight_ == acked->batch) batchInFlight_.reset();
  } else if (const auto* failed = std::get_if<StatusesFailed>(&input)) {
    if (batchInFlight_ == failed->batch) batchInFlight_.reset();
  }
}

void WorkerChecker::checkPersist(Instant now, const Persist& persist,
                                 bool assignmentsWhileLeaving) {
  if (persist.ops.empty()) fail(Rule::WORK_PERSIST_NOT_EMPTY, "an empty persist");
  for (const StoreOp& op : persist.ops) {
    touch(opTask(op));
    if (const auto* put = std::get_if<PutStatus>(&op)) {
      auto it = store_.find(put->taskId);
      if (it != store_.end() && it->second.status.has_value()) {
        const TaskStatus& previous = *it->second.status;
        if (put->status.state < previous.state) {
          fail(Rule::WORK_STATUS_MONOTONIC, "status of " + put->taskId.value +
                                                " moved backwards: " + format(previous) + " -> " +
                                                format(put->status));
        }
        if (unchanged(previous, put->status)) {
          fail(Rule::WORK_TIMESTAMP_IFF_CHANGED,
               "an unchanged status of " + put->taskId.value + " written again");
        } else if (put->status.timestamp != now) {
          fail(Rule::WORK_TIMESTAMP_IFF_CHANGED,
               "status of " + put->taskId.value + " changed without a fresh timestamp");
        }
      }
      persisted_[put->taskId].push_back(put->status);
    }
    if (assignmentsWhileLeaving) {
      const auto* put = std::get_if<PutTask>(&op);
      const auto* assigned = std::get_if<SetAssigned>(&op);
      if ((put != nullptr && store_.count(put->task.id) == 0) ||
          (assigned != nullptr && assigned->assigned)) {
        fail(Rule::WORK_LEAVE_IGNORES_ASSIGNMENTS,
             "assignments applied while leaving: " + format(op));
      }
    }
    // A new assignment of the task (or its end) re-runs it at once, as SwarmKit's task manager
    // does on an update: only a call retried for the same task waits.
    if (std::holds_alternative<PutTask>(op) || std::holds_alternative<SetAssigned>(op)) {
      retryNotBefore_.erase(opTask(op));
    }
    if (const auto* deleted = std::get_if<DeleteTask>(&op)) {
      if (holdsResources_.count(deleted->taskId) != 0) {
        fail(Rule::WORK_DELETE_AFTER_REMOVE,
             "task " + deleted->taskId.value + " deleted before the executor removed it");
      }
      if (operations_.count(deleted->taskId) != 0) {
        fail(Rule::WORK_DELETE_AFTER_REMOVE,
             "task " + deleted->taskId.value + " deleted with an operation in flight");
      }
      // A task's history ends with its record (an id reused later is another task).
      lastState_.erase(deleted->taskId);
      lastDesired_.erase(deleted->taskId);
      lastSent_.erase(deleted->taskId);
      retryNotBefore_.erase(deleted->taskId);
    }
    if (!apply(store_, op))
      fail(Rule::WORK_STORE_OP_ON_RECORD, "store op on a missing record: " + format(op));
  }
}

void WorkerChecker::checkOperation(Instant now, const ExecutorOperation& operation) {
  const TaskId& id = operation.taskId;
  auto retry = retryNotBefore_.find(id);
  if (retry != retryNotBefore_.end()) {
    if (retry->second.first == operation.call && now < retry->second.second) {
      fail(Rule::WORK_RETRY_AFTER_DELAY,
           "call " + format(operation.call) + " of " + id.value + " again " +
               formatDuration(retry->second.second - now) + " too soon after it failed");
    }
    retryNotBefore_.erase(retry);
  }
  if (operations_.count(id) != 0) {
    fail(Rule::WORK_ONE_OPERATION, "a second operation in flight for " + id.value +
                                       ": op=" + std::to_string(operation.operation) +
                                       " while op=" + std::to_string(operations_[id].operation));
  }
  if (store_.count(id) == 0)
    fail(Rule::WORK_OPERATION_ON_STORED_TASK,
         "operation for " + id.value + ", a task not in the store");
  if (operation.call != ExecutorCall::RESOLVE && operation.call != ExecutorCall::REMOVE) {
    // Whatever ran may have left something behind, whatever the agent believed.
    holdsResources_.insert(id);
  }
  operations_[id] = InFlight{operation.operation, operation.call};
}

void WorkerChecker::checkSend(const SendStatuses& send, const AgentState& state, bool stopping) {
  if (send.updates.empty() || send.updates.size() > limits::STATUS_BATCH_MAX) {
    fail(Rule::WORK_BATCH_BOUNDED,
         "send-statuses with " + std::to_string(send.updates.size()) + " updates");
  }
  if (send.sessionId.empty() || send.sessionId != state.previousSessionId) {
    fail(Rule::WORK_SEND_IN_SESSION,
         "send-statuses on session " + send.sessionId.value + ", not the registered one");
  }
  if (batchInFlight_.has_value() && !stopping) {
    fail(Rule::WORK_ONE_BATCH, "batch " + std::to_string(send.batch) + " sent while batch " +
                                   std::to_string(*batchInFlight_) + " is in flight");
  }
  if (!stopping) batchInFlight_ = send.batch;
  if (send.generation != sendGeneration_) {
    sendGeneration_ = send.generation;
    lastSent_.clear();
  }
  for (const TaskStatusUpdate& update : send.updates) {
    touch(update.taskId);
    const auto& history = persisted_[update.taskId];
    bool found = false;
    for (const TaskStatus& status : history)
      found = found || status == update.status;
    if (!found)
      fail(Rule::WORK_PERSIST_BEFORE_SEND,
           "status sent before it was persisted: " + format(update));
    // The manager deleted a task it no longer assigns: nothing is reported for it (decision 17).
    auto known = state.worker.tasks.find(update.taskId);
    if (known == state.worker.tasks.end() || !known->second.assigned) {
      fail(Rule::WORK_SEND_ONLY_ASSIGNED,
           "status of " + update.taskId.value + " sent after it left the assignment set");
    }
    auto [it, inserted] = lastSent_.try_emplace(update.taskId, update.status.state);
    if (!inserted && update.status.state < it->second) {
      fail(Rule::WORK_SEND_ORDER,
           "statuses of " + update.taskId.value + " sent out of order in one session");
    }
    it->second = update.status.state;
  }
}

void WorkerChecker::checkCounts(const AgentState& state) {
  if (state.worker.tasks.size() != store_.size()) {
    fail(Rule::WORK_MEMORY_EQUALS_STORE, "memory holds " +
                                             std::to_string(state.worker.tasks.size()) +
                                             " tasks, the store " + std::to_string(store_.size()));
  }
}

// One task in memory against its record (nullptr: none) and the checker's own bookkeeping.
void WorkerChecker::checkTask(const TaskId& id, const TaskEntry& entry, const StoredTask* record,
                              const AgentState& state) {
  if (record == nullptr) {
    fail(Rule::WORK_MEMORY_EQUALS_STORE, "task " + id.value + " in memory but not in the store");
    return;
  }
  if (!sameExceptStatus(record->task, entry.task) || record->assigned != entry.assigned ||
      record->status != entry.task.status) {
    fail(Rule::WORK_MEMORY_EQUALS_STORE, "task " + id.value + " differs between memory and store");
  }
  auto operation = operations_.find(id);
  bool tracked = operation != operations_.end();
  // A stopped agent ignores completions, so only a running one must agree.
  bool running = state.phase == AgentPhase::RUNNING;
  if (running && (entry.operation.has_value() != tracked ||
                  (tracked && *entry.operation != operation->second.operation))) {
    fail(Rule::WORK_ONE_OPERATION,
         "operation bookkeeping of " + id.value + " disagrees with the effects");
  }
  auto [seen, fresh] = lastState_.try_emplace(id, entry.task.status.state);
  if (!fresh && entry.task.status.state < seen->second) {
    fail(Rule::WORK_STATUS_MONOTONIC, "status of " + id.value + " moved backwards in memory");
  }
  seen->second = entry.task.status.state;
  auto [desired, first] = lastDesired_.try_emplace(id, entry.task.desiredState);
  if (!first && entry.task.desiredState < desired->second) {
    fail(Rule::WORK_DESIRED_MONOTONIC, "desired state of " + id.value + " decreased");
  }
  desired->second = entry.task.desiredState;
}

void WorkerChecker::checkPending(const TaskId& id, const AgentState& state) {
  if (state.reporter.pending.count(id) != 0 && state.worker.tasks.count(id) == 0) {
    fail(Rule::WORK_PENDING_KNOWN, "a pending status for unknown task " + id.value);
  }
}

void WorkerChecker::checkReporter(const AgentState& state) {
  if (state.phase == AgentPhase::RUNNING) {
    std::optional<BatchId> inFlight;
    if (state.reporter.inFlight.has_value()) inFlight = state.reporter.inFlight->batch;
    if (inFlight.has_value() && inFlight != batchInFlight_) {
      fail(Rule::WORK_ONE_BATCH, "the reporter's batch in flight disagrees with the effects");
    }
  }
}

// The step's part of checkState: the tasks it named, and the counts.
void WorkerChecker::checkTouched(const AgentState& state) {
  checkCounts(state);
  std::sort(touched_.begin(), touched_.end());
  touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
  const auto& tasks = state.worker.tasks;
  for (const TaskId& id : touched_) {
    auto entry = tasks.find(id);
    auto stored = store_.find(id);
    if (entry != tasks.end()) {
      checkTask(id, entry->second, stored == store_.end() ? nullptr : &stored->second, state);
    } else if (stored != store_.end()) {
      // Counted above when the sizes differ; named here when they agree by accident.
      fail(Rule::WORK_MEMORY_EQUALS_STORE, "task " + id.value + " in the store but not in memory");
    }
    checkPending(id, state);
  }
  checkReporter(state);
}

void WorkerChecker::checkState(const AgentState& state) {
  fullCheckDue_ = false;
  sinceFullCheck_ = 0;
  checkCounts(state);
  const auto& tasks = state.worker.tasks;
  // Memory and store are both ordered by task id: walk them in step while the ids agree (the
  // usual case) instead of looking each task up.
  auto next = store_.begin();
  for (const auto& [id, entry] : tasks) {
    auto stored = next != store_.end() && next->first == id ? next : store_.find(id);
    if (stored == store_.end()) {
      checkTask(id, entry, nullptr, state);
      continue;
    }
    next = std::next(stored);
    checkTask(id, entry, &stored->second, state);
  }
  for (const auto& [id, status] : state.reporter.pending) {
    if (tasks.count(id) == 0)
      fail(Rule::WORK_PENDING_KNOWN, "a pending status for unknown task " + id.value);
  }
  checkReporter(state);
}

}  // namespace swarmlet::sim
