// Everything an agent asks its shell to do, as values returned by Agent::takeEffects().
//
// Ordering contract: the shell executes effects in the order emitted. A Persist must be durable
// (one synced batch) before any effect after it is executed: every status the agent sends, and
// every executor operation it starts, was persisted by an earlier Persist. The core emits at
// most one Persist per step, ahead of every effect of that step that depends on it
// (docs/agent-work-half.md). Every effect can be executed without asking the core anything;
// every request carries the id its completion must name.
#pragma once

#include <optional>
#include <variant>
#include <vector>

#include "core/agent/executor.h"
#include "core/agent/store.h"
#include "core/task.h"
#include "core/types.h"

namespace swarmlet::agent {

// Dial `manager` and open a session offering `previousSessionId` (empty on the first session),
// so the manager can resume it without a rate-limited registration. Completes with
// SessionOpened or SessionFailed. The agent times the attempt out itself.
struct OpenSession {
  Generation generation = 0;
  Peer manager;
  SessionId previousSessionId;
  NodeDescription description;

  bool operator==(const OpenSession&) const = default;
};

enum class CloseReason : uint8_t {
  FAILURE,              // the session failed; the manager was penalised
  DESCRIPTION_CHANGED,  // reopen with a fresh node description; no penalty, no backoff
  STOP,                 // the agent stops
};

// Tear down the session of `generation`: its streams, calls and connection. Later completions
// for it are ignored by the agent, so the shell need not wait for anything.
struct CloseSession {
  Generation generation = 0;
  CloseReason reason = CloseReason::FAILURE;
  // For FAILURE: what went wrong, for the log.
  std::optional<RpcError> error;

  bool operator==(const CloseSession&) const = default;
};

// Completes with HeartbeatAcked or HeartbeatFailed; the agent times it out itself.
struct SendHeartbeat {
  Generation generation = 0;
  SessionId sessionId;

  bool operator==(const SendHeartbeat&) const = default;
};

// Ask the executor to describe the node. Completes with NodeDescribed.
struct DescribeNode {
  RequestId request = 0;

  bool operator==(const DescribeNode&) const = default;
};

// Save the manager list (the shell writes it durably, to seed Start after a restart).
struct PersistManagers {
  std::vector<Peer> managers;

  bool operator==(const PersistManagers&) const = default;
};

// The manager's record of this node changed (status changes excluded): the executor is
// reconfigured with it.
struct NotifyNodeChange {
  NodeInfo node;

  bool operator==(const NotifyNodeChange&) const = default;
};

// The node's desired role changed: the node starts or stops its manager.
struct NotifyRoleChange {
  NodeRole role = NodeRole::WORKER;

  bool operator==(const NotifyRoleChange&) const = default;
};

// New network bootstrap keys for the executor.
struct SetNetworkKeys {
  std::vector<EncryptionKey> keys;

  bool operator==(const SetNetworkKeys&) const = default;
};

// The first session registered. Emitted exactly once in an agent's life.
struct SignalReady {
  bool operator==(const SignalReady&) const = default;
};

// Leave finished: no task remains.
struct SignalLeft {
  bool operator==(const SignalLeft&) const = default;
};

// The agent stopped: on request (`error` empty) or because it cannot go on (`error` says why
// and what to do). Emitted exactly once; nothing follows it.
struct AgentStopped {
  std::string error;

  bool operator==(const AgentStopped&) const = default;
};

// Commit `ops` to the task store as one synced batch, in order, before executing any later
// effect.
struct Persist {
  std::vector<StoreOp> ops;

  bool operator==(const Persist&) const = default;
};

// Run one executor call for task `taskId`. Completes with ExecutorDone naming `operation`.
// `task` is the task as the agent holds it, for the calls that need it (RESOLVE, UPDATE).
struct ExecutorOperation {
  TaskId taskId;
  OperationId operation = 0;
  ExecutorCall call = ExecutorCall::RESOLVE;
  std::optional<Task> task;

  bool operator==(const ExecutorOperation&) const = default;
};

// Ask the executor to cancel `operation` (best effort). Its ExecutorDone still comes: CANCELED,
// or whatever the call achieved before the cancellation took effect.
struct CancelOperation {
  TaskId taskId;
  OperationId operation = 0;

  bool operator==(const CancelOperation&) const = default;
};

// Install and remove secrets and configs in the executor (replacing same-id items). Emitted
// before any operation of the same step, so a task never starts ahead of what it references.
// No completion: the executor's dependency stores are in memory and cannot fail.
struct UpdateDependencies {
  std::vector<Secret> secretsAdded;
  std::vector<SecretId> secretsRemoved;
  std::vector<Config> configsAdded;
  std::vector<ConfigId> configsRemoved;

  bool operator==(const UpdateDependencies&) const = default;
};

// Send status updates (each task's latest, all persisted by earlier Persists) on the session of
// `generation`. Completes with StatusesAcked or StatusesFailed naming `batch`. On a CloseSession
// of reason STOP the shell still delivers the sends emitted before it, best effort.
struct SendStatuses {
  Generation generation = 0;
  BatchId batch = 0;
  SessionId sessionId;
  std::vector<TaskStatusUpdate> updates;

  bool operator==(const SendStatuses&) const = default;
};

// The assignment stream of `generation` skipped a message: reopen it; the manager answers with
// a fresh COMPLETE set. No completion.
struct ResyncAssignments {
  Generation generation = 0;
  SessionId sessionId;

  bool operator==(const ResyncAssignments&) const = default;
};

using Effect = std::variant<OpenSession, CloseSession, SendHeartbeat, DescribeNode, PersistManagers,
                            NotifyNodeChange, NotifyRoleChange, SetNetworkKeys, SignalReady,
                            SignalLeft, AgentStopped, Persist, ExecutorOperation, CancelOperation,
                            UpdateDependencies, SendStatuses, ResyncAssignments>;

}  // namespace swarmlet::agent
