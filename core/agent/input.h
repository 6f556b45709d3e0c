// Everything that can happen to an agent, as values passed to Agent::step(now, input).
//
// Completions name the request they complete: session-scoped ones carry the session's
// Generation, node descriptions carry their RequestId. A completion for a superseded generation
// or request is a stale event and is ignored; a completion for one that was never issued (by an
// earlier step: the check precedes the step's own deadlines), or one the agent is not waiting
// for, is a caller bug and fails a KJ_REQUIRE (docs/core-contract.md).
#pragma once

#include <variant>
#include <vector>

#include "core/agent/executor.h"
#include "core/agent/store.h"
#include "core/task.h"
#include "core/time.h"
#include "core/types.h"

namespace swarmlet::agent {

// The first input, exactly once. `managers` seeds the remotes (a join address or the list saved
// by PersistManagers), each observed at the default weight.
struct Start {
  NodeDescription description;
  std::vector<Peer> managers;
  // The role the node runs as now; NotifyRoleChange fires when the manager wants another.
  NodeRole role = NodeRole::WORKER;
  // What the task store held when the agent started (empty on a node's first start). Records
  // not assigned are removed by the executor, then deleted; assigned ones resume with their
  // stored status.
  StoreSnapshot store = {};

  bool operator==(const Start&) const = default;
};

// A deadline returned by nextDeadline() has come. Carries nothing: the agent checks its timers
// against `now`. Harmless when nothing is due.
struct Tick {
  bool operator==(const Tick&) const = default;
};

// The OpenSession of `generation` succeeded and its first session message arrived.
struct SessionOpened {
  Generation generation = 0;
  SessionId sessionId;
  SessionMessage firstMessage;

  bool operator==(const SessionOpened&) const = default;
};

// The session of `generation` failed: the open call failed, or its stream ended.
struct SessionFailed {
  Generation generation = 0;
  RpcError error;

  bool operator==(const SessionFailed&) const = default;
};

// A later message on the session stream of `generation`.
struct SessionMessageReceived {
  Generation generation = 0;
  SessionMessage message;

  bool operator==(const SessionMessageReceived&) const = default;
};

// The outstanding heartbeat of `generation` was answered with the next period.
// REQUIRES: limits::HEARTBEAT_PERIOD_MIN <= period <= limits::HEARTBEAT_PERIOD_MAX (the codec
// rejects anything else).
struct HeartbeatAcked {
  Generation generation = 0;
  Duration period;

  bool operator==(const HeartbeatAcked&) const = default;
};

struct HeartbeatFailed {
  Generation generation = 0;
  RpcError error;

  bool operator==(const HeartbeatFailed&) const = default;
};

// The executor answered DescribeNode `request`; nullopt when describing failed (logged only,
// the cached description stays).
struct NodeDescribed {
  RequestId request = 0;
  std::optional<NodeDescription> description;

  bool operator==(const NodeDescribed&) const = default;
};

// The node leaves the cluster: every task is removed; SignalLeft follows once none remains.
struct LeaveRequested {
  bool operator==(const LeaveRequested&) const = default;
};

// Stop the agent: the session is closed and AgentStopped is emitted. Nothing happens after.
struct StopRequested {
  bool operator==(const StopRequested&) const = default;
};

// A message on the assignment stream of `generation` (the shell opens the stream when the
// session opens). REQUIRES: the session is registered; the message has at most
// limits::ASSIGNMENT_CHANGES_MAX changes (the codec refuses longer ones).
struct AssignmentsReceived {
  Generation generation = 0;
  AssignmentsMessage message;

  bool operator==(const AssignmentsReceived&) const = default;
};

// The executor finished `operation` on `task`. A completion for an operation no longer in
// flight is stale and ignored; one for an operation never issued fails a KJ_REQUIRE.
struct ExecutorDone {
  TaskId task;
  OperationId operation = 0;
  ExecutorResult result;

  bool operator==(const ExecutorDone&) const = default;
};

// The manager accepted status batch `batch` sent on the session of `generation`.
struct StatusesAcked {
  Generation generation = 0;
  BatchId batch = 0;

  bool operator==(const StatusesAcked&) const = default;
};

// Sending status batch `batch` failed. NOT_FOUND (a task the manager does not know) counts as
// delivered; any other error fails the session and the batch's statuses are sent again.
struct StatusesFailed {
  Generation generation = 0;
  BatchId batch = 0;
  RpcError error;

  bool operator==(const StatusesFailed&) const = default;
};

using Input =
    std::variant<Start, Tick, SessionOpened, SessionFailed, SessionMessageReceived, HeartbeatAcked,
                 HeartbeatFailed, NodeDescribed, LeaveRequested, StopRequested, AssignmentsReceived,
                 ExecutorDone, StatusesAcked, StatusesFailed>;

}  // namespace swarmlet::agent
