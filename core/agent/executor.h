// What the agent asks of its executor and what comes back, as values (SwarmKit agent/exec:
// Executor.Controller and the Controller calls). The shell owns the real executor (processes) or
// the simulated one; the core only names calls and reads their results.
//
// One operation is in flight per task at a time. Every ExecutorOperation effect carries an
// OperationId, and its ExecutorDone input names it back. Plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace swarmlet::agent {

// Numbers the agent's executor operations, from 1, over one run of the agent.
using OperationId = uint64_t;

enum class ExecutorCall : uint8_t {
  RESOLVE,   // create the task's controller (Executor.Controller)
  UPDATE,    // hand the controller a changed task spec (Controller.Update)
  PREPARE,   // Controller.Prepare: create the process environment, fetch what it needs
  START,     // Controller.Start
  WAIT,      // Controller.Wait: until the process exits (or the call is cancelled)
  SHUTDOWN,  // Controller.Shutdown: graceful stop
  REMOVE,    // Controller.Remove: release everything the task holds on the node
};

// How a call ended, named after what the agent does next.
enum class ErrorClass : uint8_t {
  NONE,       // success
  TEMPORARY,  // retry the same step after a backoff
  FATAL,      // the step cannot succeed: the task fails (or is rejected before it starts)
  CANCELED,   // the call was cancelled before it finished
};

struct ExecutorResult {
  ErrorClass errorClass = ErrorClass::NONE;
  // The process's exit code, when the call observed one (WAIT, a failed START).
  std::optional<int32_t> exitCode;
  // The error's text; empty on success.
  std::string message;

  bool operator==(const ExecutorResult&) const = default;
};

}  // namespace swarmlet::agent
