// The task runner: the pure exec.Do table and result rules (task-runner.h), and the Agent's
// per-task manager built on them: one executor operation in flight per task, cancellation on
// change, retries with a growing delay, and every status change persisted and reported.
#include "core/agent/task-runner.h"

#include <kj/debug.h>

#include "core/agent/agent.h"
#include "core/format.h"
#include "core/limits.h"

namespace swarmlet::agent {
namespace {

// Everything the spec references that the executor has not installed, e.g. "secret s1".
std::string missingDependencies(const TaskSpec& spec, const WorkerState& worker) {
  std::string missing;
  auto add = [&](const std::string& what) { missing += (missing.empty() ? "" : ", ") + what; };
  for (const SecretId& id : spec.secrets) {
    if (worker.secrets.count(id) == 0) add("secret " + id.value);
  }
  for (const ConfigId& id : spec.configs) {
    if (worker.configs.count(id) == 0) add("config " + id.value);
  }
  return missing;
}

// A task no longer assigned: shut down if still live, then removed, then forgotten.
RunnerStep nextRemovalStep(const TaskEntry& entry) {
  switch (entry.controller) {
    case ControllerState::UNRESOLVED:
      return Call{ExecutorCall::RESOLVE};
    case ControllerState::FAILED:
    case ControllerState::REMOVED:
      return Forget{};
    case ControllerState::RESOLVED:
      break;
  }
  if (!isTerminal(entry.task.status.state)) return Call{ExecutorCall::SHUTDOWN};
  return Call{ExecutorCall::REMOVE};
}

// exec.Do's evaluation order (spec 4.9), for a task with a resolved controller.
RunnerStep doTable(const TaskEntry& entry, const WorkerState& worker) {
  TaskState current = entry.task.status.state;
  TaskState desired = effectiveDesiredState(entry);
  if (desired >= TaskState::SHUTDOWN) {
    if (current >= TaskState::COMPLETE) return Idle{};
    return Call{ExecutorCall::SHUTDOWN};
  }
  if (current > desired) return Idle{};
  switch (current) {
    case TaskState::PREPARING: {
      std::string missing = missingDependencies(entry.task.spec, worker);
      if (!missing.empty()) return AwaitDependencies{missing};
      return Call{ExecutorCall::PREPARE};
    }
    case TaskState::STARTING:
      return Call{ExecutorCall::START};
    case TaskState::RUNNING:
      return Call{ExecutorCall::WAIT};
    default:
      break;
  }
  if (current >= desired) return Idle{};
  switch (current) {
    case TaskState::NEW:
    case TaskState::PENDING:
    case TaskState::ASSIGNED:
      return Transition{TaskState::ACCEPTED, "accepted"};
    case TaskState::ACCEPTED:
      return Transition{TaskState::PREPARING, "preparing"};
    case TaskState::READY:
      return Transition{TaskState::STARTING, "starting"};
    default:
      return Idle{};
  }
}

// A successful call's status (spec 4.9 step 3, and step 1 for SHUTDOWN).
TaskStatus succeededStatus(const TaskStatus& current, ExecutorCall call,
                           std::optional<int32_t> exitCode) {
  TaskStatus next = current;
  switch (call) {
    case ExecutorCall::PREPARE:
      next.state = TaskState::READY;
      next.message = "prepared";
      break;
    case ExecutorCall::START:
      next.state = TaskState::RUNNING;
      next.message = "started";
      break;
    case ExecutorCall::WAIT:
      next.state = TaskState::COMPLETE;
      next.message = "finished";
      break;
    case ExecutorCall::SHUTDOWN:
      next.state = TaskState::SHUTDOWN;
      next.message = "shutdown";
      break;
    case ExecutorCall::RESOLVE:
    case ExecutorCall::UPDATE:
      // No state of their own; an error left by a failed try of them is over.
      if (!isTerminal(current.state)) next.error.clear();
      return next;
    case ExecutorCall::REMOVE:
      return current;
  }
  next.error.clear();
  if (exitCode.has_value()) next.exitCode = exitCode;
  return next;
}

// A failed step that will be retried shows its error, unless the task already ended.
TaskStatus retriedStatus(const TaskStatus& current, const std::string& error) {
  TaskStatus next = current;
  if (!isTerminal(current.state)) next.error = error;
  return next;
}

}  // namespace

TaskState effectiveDesiredState(const TaskEntry& entry) {
  TaskState desired = entry.task.desiredState;
  if (!entry.assigned && desired < TaskState::SHUTDOWN) return TaskState::SHUTDOWN;
  return desired;
}

RunnerStep nextStep(const TaskEntry& entry, const WorkerState& worker) {
  KJ_REQUIRE(!entry.operation.has_value(), "a step while an operation is in flight");
  if (!entry.assigned) return nextRemovalStep(entry);
  bool terminal = isTerminal(entry.task.status.state);
  switch (entry.controller) {
    case ControllerState::UNRESOLVED:
      // A finished task needs no controller until it is removed.
      if (terminal) return Idle{};
      return Call{ExecutorCall::RESOLVE};
    case ControllerState::FAILED:
    case ControllerState::REMOVED:
      KJ_ASSERT(terminal, "a live task without a controller", format(entry.task.status));
      return Idle{};
    case ControllerState::RESOLVED:
      break;
  }
  if (entry.specChanged && !terminal) return Call{ExecutorCall::UPDATE};
  return doTable(entry, worker);
}

TaskStatus failedStatus(const TaskStatus& current, const std::string& message,
                        const std::string& error, std::optional<int32_t> exitCode) {
  if (isTerminal(current.state)) return current;
  TaskStatus next = current;
  next.state = current.state < TaskState::STARTING ? TaskState::REJECTED : TaskState::FAILED;
  next.message = message;
  next.error = error;
  if (exitCode.has_value()) next.exitCode = exitCode;
  KJ_ASSERT(next.state > current.state);
  return next;
}

ResultEffect interpretResult(const TaskEntry& entry, const ExecutorResult& result) {
  KJ_REQUIRE(entry.operation.has_value(), "a result without an operation in flight");
  const TaskStatus& current = entry.task.status;
  ResultEffect effect{current, entry.controller, false, false};
  ExecutorCall call = entry.call;
  switch (result.errorClass) {
    case ErrorClass::CANCELED:
      // Cancelled on our request: the change that asked for it re-runs at once. A
      // cancellation nobody asked for is a failure like any other, so it cannot spin.
      effect.retry = !entry.cancelRequested;
      return effect;
    case ErrorClass::TEMPORARY:
      effect.status = retriedStatus(current, result.message);
      effect.retry = true;
      return effect;
    case ErrorClass::FATAL:
      break;
    case ErrorClass::NONE:
      if (call == ExecutorCall::RESOLVE) effect.controller = ControllerState::RESOLVED;
      if (call == ExecutorCall::REMOVE) effect.controller = ControllerState::REMOVED;
      effect.specDelivered = call == ExecutorCall::UPDATE;
      effect.status = succeededStatus(current, call, result.exitCode);
      // exec.Resolve: a task the node has a controller for is accepted, whatever its desired
      // state (decision 19). A task being removed is not.
      if (call == ExecutorCall::RESOLVE && entry.assigned && current.state < TaskState::ACCEPTED) {
        effect.status.state = TaskState::ACCEPTED;
        effect.status.message = "accepted";
        effect.status.error.clear();
      }
      return effect;
  }
  // FATAL: what can no longer be done.
  switch (call) {
    case ExecutorCall::RESOLVE:
      effect.controller = ControllerState::FAILED;
      effect.status =
          failedStatus(current, "resolving controller failed", result.message, result.exitCode);
      return effect;
    case ExecutorCall::UPDATE:
      // The controller refused the new spec; the task keeps running the old one and the
      // update is offered again after a backoff (SwarmKit logs it and never offers it again).
      effect.status = retriedStatus(current, result.message);
      effect.retry = true;
      return effect;
    case ExecutorCall::REMOVE:
      // The executor says the task cannot be removed: there is nothing left to retry.
      effect.controller = ControllerState::REMOVED;
      return effect;
    case ExecutorCall::PREPARE:
    case ExecutorCall::START:
    case ExecutorCall::WAIT:
    case ExecutorCall::SHUTDOWN:
      effect.status = failedStatus(current, current.message, result.message, result.exitCode);
      return effect;
  }
  KJ_UNREACHABLE;
}

Duration retryDelay(uint32_t failures) {
  KJ_REQUIRE(failures >= 1, failures);
  Duration delay = limits::TASK_RETRY_INITIAL;
  for (uint32_t i = 1; i < failures && delay < limits::TASK_RETRY_MAX; ++i)
    delay = delay * 2;
  return min(delay, limits::TASK_RETRY_MAX);
}

bool sameStatus(const TaskStatus& a, const TaskStatus& b) {
  return a.state == b.state && a.message == b.message && a.error == b.error &&
         a.exitCode == b.exitCode;
}

// --- The Agent's per-task manager ------------------------------------------------------------

void Agent::advanceTask(const TaskId& id) {
  auto it = state_.worker.tasks.find(id);
  if (it != state_.worker.tasks.end()) advanceTask(it);
}

// Takes the task's own steps until it needs the executor, waits, or is forgotten (which erases
// `it`).
void Agent::advanceTask(TaskMap::iterator it) {
  if (state_.phase != AgentPhase::RUNNING) return;
  TaskEntry& entry = it->second;
  for (int round = 0;; ++round) {
    KJ_ASSERT(round < 16, "a task keeps transitioning", it->first.value);
    if (entry.operation.has_value() || entry.retryAt.has_value()) return;
    RunnerStep next = nextStep(entry, state_.worker);
    if (std::holds_alternative<Idle>(next)) return;
    if (auto* call = std::get_if<Call>(&next)) {
      issueOperation(entry, call->call);
      return;
    }
    if (auto* transition = std::get_if<Transition>(&next)) {
      TaskStatus status = entry.task.status;
      status.state = transition->state;
      status.message = transition->message;
      status.error.clear();
      setTaskStatus(entry, status);
      continue;
    }
    if (auto* waiting = std::get_if<AwaitDependencies>(&next)) {
      TaskStatus status = entry.task.status;
      status.error = "waiting for " + waiting->missing;
      setTaskStatus(entry, status);
      return;
    }
    KJ_ASSERT(std::holds_alternative<Forget>(next));
    forgetTask(it->first);
    return;
  }
}

void Agent::issueOperation(TaskEntry& entry, ExecutorCall call) {
  KJ_ASSERT(!entry.operation.has_value(), "one operation in flight per task", entry.task.id.value);
  KJ_ASSERT(!entry.retryAt.has_value());
  OperationId operation = ++state_.worker.lastOperation;
  entry.operation = operation;
  entry.call = call;
  entry.cancelRequested = false;
  // These calls hand the controller the current spec; a change after this raises the flag
  // again, and a failed UPDATE does too.
  if (call == ExecutorCall::RESOLVE || call == ExecutorCall::UPDATE) entry.specChanged = false;
  ExecutorOperation& effect = emit(ExecutorOperation{entry.task.id, operation, call, std::nullopt});
  if (call == ExecutorCall::RESOLVE || call == ExecutorCall::UPDATE) effect.task = entry.task;
}

void Agent::cancelOperation(TaskEntry& entry) {
  if (!entry.operation.has_value() || entry.cancelRequested) return;
  entry.cancelRequested = true;
  emit(CancelOperation{entry.task.id, *entry.operation});
}

// A status change: refreshed timestamp, persisted, then offered to the reporter while the task is
// assigned (the manager deleted a task it no longer assigns: decision 17). A status that equals
// the current one (timestamp aside) changes nothing and is not written.
void Agent::setTaskStatus(TaskEntry& entry, const TaskStatus& next) {
  TaskStatus& current = entry.task.status;
  if (sameStatus(current, next)) return;
  KJ_ASSERT(next.state >= current.state, "a status moved backwards", entry.task.id.value,
            format(current), format(next));
  current = next;
  current.timestamp = now_;
  recordStoreOp(PutStatus{entry.task.id, current});
  if (entry.assigned) reportStatus(entry.task.id, current);
}

void Agent::handleExecutorDone(const ExecutorDone& done) {
  KJ_ASSERT(done.operation >= 1 && done.operation <= state_.worker.lastOperation,
            "checked by requireIssued");
  auto it = state_.worker.tasks.find(done.task);
  if (it == state_.worker.tasks.end() || it->second.operation != done.operation) {
    probes_.hit(AgentProbe::STALE_EXECUTOR_COMPLETION);
    return;
  }
  TaskEntry& entry = it->second;
  ResultEffect effect = interpretResult(entry, done.result);
  entry.operation.reset();
  entry.cancelRequested = false;
  entry.controller = effect.controller;
  if (entry.call == ExecutorCall::UPDATE && !effect.specDelivered) entry.specChanged = true;
  setTaskStatus(entry, effect.status);
  if (effect.retry) {
    probes_.hit(AgentProbe::EXECUTOR_CALL_RETRIED);
    entry.failures++;
    scheduleRetry(entry);
  } else if (done.result.errorClass != ErrorClass::CANCELED) {
    entry.failures = 0;
  }
  advanceTask(done.task);
}

void Agent::scheduleRetry(TaskEntry& entry) {
  KJ_ASSERT(!entry.retryAt.has_value() && entry.failures >= 1);
  Instant at = now_ + retryDelay(entry.failures);
  entry.retryAt = at;
  state_.worker.retries.insert({at, entry.task.id});
}

void Agent::clearRetry(TaskEntry& entry) {
  if (!entry.retryAt.has_value()) return;
  size_t erased = state_.worker.retries.erase({*entry.retryAt, entry.task.id});
  KJ_ASSERT(erased == 1, entry.task.id.value);
  entry.retryAt.reset();
}

void Agent::handleTaskRetries() {
  auto& retries = state_.worker.retries;
  while (!retries.empty() && retries.begin()->first <= now_) {
    TaskId id = retries.begin()->second;
    retries.erase(retries.begin());
    TaskEntry& entry = state_.worker.tasks.at(id);
    entry.retryAt.reset();
    advanceTask(id);
  }
}

// Stopping leaves the tasks running (SwarmKit does not stop containers on Stop); the executor
// only stops waiting on them.
void Agent::cancelAllOperations() {
  for (auto& [id, entry] : state_.worker.tasks)
    cancelOperation(entry);
}

}  // namespace swarmlet::agent
