// The agent's state as plain values: what Agent::state() exposes to checkers, transcripts and
// debugging. Nothing here owns a resource.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <kj/string.h>

#include "core/agent/executor.h"
#include "core/agent/remotes.h"
#include "core/task.h"
#include "core/time.h"
#include "core/types.h"

namespace swarmlet::agent {

enum class AgentPhase : uint8_t { NOT_STARTED, RUNNING, STOPPED };

// A generation goes DELAYING -> OPENING -> REGISTERED and ends by starting the next generation
// (failure, description change) or by the agent stopping.
enum class SessionPhase : uint8_t {
  DELAYING,    // waiting out the drawn delay before choosing a manager
  OPENING,     // OpenSession issued, waiting at most SESSION_START_TIMEOUT
  REGISTERED,  // the session is up; heartbeats flow
};

kj::String KJ_STRINGIFY(SessionPhase phase);

struct SessionState {
  Generation generation = 0;
  SessionPhase phase = SessionPhase::DELAYING;
  // The delay drawn for this generation, in [0, backoff) (0 when backoff is 0).
  Duration drawnDelay;
  Instant delayUntil;
  // The manager chosen for this generation (OPENING, REGISTERED).
  std::optional<Peer> manager;
  Instant openDeadline;
  SessionId sessionId;
  // REGISTERED: when a heartbeat is outstanding, `heartbeatAt` is its timeout; otherwise it is
  // when the next one is due.
  bool heartbeatOutstanding = false;
  Instant heartbeatAt;

  bool operator==(const SessionState&) const = default;
};

// Whether the executor holds a controller for a task (SwarmKit's task manager exists).
enum class ControllerState : uint8_t {
  UNRESOLVED,  // none asked for yet (new task, or restored from the store)
  RESOLVED,    // the executor made one; it may hold resources until REMOVE
  FAILED,      // resolving failed: nothing was created; asked again once the task is listed again
  REMOVED,     // REMOVE succeeded (or failed for good): nothing is left to release
};

// One task the worker knows: assigned, or no longer assigned and being shut down and removed.
// The record in the store is exactly (withoutStatus(task), assigned, task.status).
struct TaskEntry {
  // The task as last accepted from the manager; task.status is the agent's canonical status.
  Task task;
  // False once the task left the assignment set (or the node leaves): it is then shut down,
  // removed by the executor, and only then deleted.
  bool assigned = true;
  ControllerState controller = ControllerState::UNRESOLVED;
  // The one executor operation in flight, if any, and which call it is.
  std::optional<OperationId> operation;
  ExecutorCall call = ExecutorCall::RESOLVE;
  // A CancelOperation was emitted for `operation`; its completion re-runs at once.
  bool cancelRequested = false;
  // The spec changed since the controller last saw it: UPDATE comes before the next step.
  bool specChanged = false;
  // Failed operations in a row; the next retry waits retryDelay(failures).
  uint32_t failures = 0;
  std::optional<Instant> retryAt;

  bool operator==(const TaskEntry&) const = default;
};

using TaskMap = std::map<TaskId, TaskEntry>;

// The worker: tasks, installed dependencies and the assignment stream's position.
struct WorkerState {
  TaskMap tasks;
  // What the executor has installed, as last told by UpdateDependencies.
  std::map<SecretId, Secret> secrets;
  std::map<ConfigId, Config> configs;
  // Every task's retryAt, ordered by time: the earliest is a deadline.
  std::set<std::pair<Instant, TaskId>> retries;
  OperationId lastOperation = 0;
  // The assignment stream of `streamGeneration`: the last applied message's resultsIn, or
  // nullopt while a COMPLETE is awaited (a new stream, or after a gap asked for a resync).
  Generation streamGeneration = 0;
  std::optional<std::string> resultsIn;
  bool resyncRequested = false;
  // LeaveRequested came: every task is being removed; `AgentState::left` follows when none
  // remains. Assignments are ignored from here on.
  bool leaving = false;

  bool operator==(const WorkerState&) const = default;
};

// One SendStatuses waiting for its answer.
struct StatusBatch {
  BatchId batch = 0;
  Generation generation = 0;
  std::vector<TaskStatusUpdate> updates;
  // Unanswered by then, the session fails (limits::STATUS_SEND_TIMEOUT).
  Instant deadline;

  bool operator==(const StatusBatch&) const = default;
};

// The reporter: the latest unsent status per task, and the one batch in flight.
struct ReporterState {
  std::map<TaskId, TaskStatus> pending;
  std::optional<StatusBatch> inFlight;
  BatchId lastBatch = 0;
  // The last task id of the last batch taken: the next batch starts after it, so a few busy
  // tasks cannot keep the others waiting.
  TaskId cursor;

  bool operator==(const ReporterState&) const = default;
};

struct AgentState {
  AgentPhase phase = AgentPhase::NOT_STARTED;
  bool ready = false;  // SignalReady was emitted (the first registration happened)
  bool left = false;
  // Session backoff: 0 after a registration, min(100ms + 2b, 8s) after each failure.
  Duration backoff;
  // Session failures since the last registration; backoff == min(8s, 100ms * (2^k - 1)).
  uint32_t consecutiveFailures = 0;
  SessionState session;
  // The last session id the manager gave us, offered again when reconnecting.
  SessionId previousSessionId;
  Remotes remotes;
  NodeDescription description;
  // The role the node runs as (from Start), updated by each NotifyRoleChange.
  NodeRole role = NodeRole::WORKER;
  std::optional<NodeInfo> node;
  std::vector<EncryptionKey> networkKeys;
  Instant nextDescribeAt;
  std::optional<RequestId> describeOutstanding;
  RequestId lastRequest = 0;
  std::string stopError;
  WorkerState worker;
  ReporterState reporter;

  bool operator==(const AgentState&) const = default;
};

}  // namespace swarmlet::agent
