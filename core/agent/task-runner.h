// The task runner: SwarmKit's exec.Do (agent/exec/controller.go) as a pure transition table,
// and how each executor result moves a task (agent/task.go's task manager rules). The Agent
// (task-runner.c++) applies the decisions: it issues the calls, keeps one in flight per task,
// schedules retries and reports every status change.
//
// Rules the table keeps: the desired state never decreases (the worker refuses such updates);
// a status never moves backwards; a step that cannot succeed ends the task (REJECTED before
// STARTING, FAILED from STARTING on); a temporary failure keeps the state and is retried.
// Pure functions of values; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>

#include "core/agent/executor.h"
#include "core/agent/state.h"
#include "core/task.h"
#include "core/time.h"

namespace swarmlet::agent {

// Nothing to do until an input changes the task (an update, a dependency, a removal).
struct Idle {
  bool operator==(const Idle&) const = default;
};
// A step the agent takes on its own, without the executor (NEW..READY).
struct Transition {
  TaskState state = TaskState::NEW;
  std::string message;

  bool operator==(const Transition&) const = default;
};
struct Call {
  ExecutorCall call = ExecutorCall::RESOLVE;

  bool operator==(const Call&) const = default;
};
// The task is PREPARING but a secret or config it references is not installed.
struct AwaitDependencies {
  std::string missing;

  bool operator==(const AwaitDependencies&) const = default;
};
// The task is no longer assigned and nothing of it is left on the node: delete its record.
struct Forget {
  bool operator==(const Forget&) const = default;
};

using RunnerStep = std::variant<Idle, Transition, Call, AwaitDependencies, Forget>;

// The state the task is driven towards: the manager's, or at least SHUTDOWN once the task is
// no longer assigned.
TaskState effectiveDesiredState(const TaskEntry& entry);

// What `entry` does next. REQUIRES: no operation is in flight for it.
RunnerStep nextStep(const TaskEntry& entry, const WorkerState& worker);

// What an executor result does to a task.
struct ResultEffect {
  // The task's next status (timestamp not yet refreshed); equal to the current one when the
  // result changes nothing visible.
  TaskStatus status;
  ControllerState controller = ControllerState::UNRESOLVED;
  // UPDATE succeeded: the controller has the spec the call carried.
  bool specDelivered = false;
  // The step failed and is retried after retryDelay(failures + 1).
  bool retry = false;

  bool operator==(const ResultEffect&) const = default;
};

// REQUIRES: entry.operation is set (the result completes it).
ResultEffect interpretResult(const TaskEntry& entry, const ExecutorResult& result);

// The status a step that cannot succeed leaves: REJECTED before STARTING, FAILED from STARTING
// on, unchanged once terminal. Clears the message to `message` and records `error`.
TaskStatus failedStatus(const TaskStatus& current, const std::string& message,
                        const std::string& error, std::optional<int32_t> exitCode);

// min(TASK_RETRY_INITIAL * 2^(failures - 1), TASK_RETRY_MAX). REQUIRES: failures >= 1.
Duration retryDelay(uint32_t failures);

// Two statuses are the same status when everything but the timestamp is equal.
bool sameStatus(const TaskStatus& a, const TaskStatus& b);

}  // namespace swarmlet::agent
