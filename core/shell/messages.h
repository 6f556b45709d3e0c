// The messages of the agent-manager protocol as transport-neutral values: what an agent's shell
// sends on a session connection and what comes back on it (docs/protocol.md). The effect
// pipelines (agent-pipeline.h, manager-pipeline.h) speak in these; the production shell carries
// them over Cap'n Proto (io/codec converts and validates), the simulator over its network.
//
// Node identity is not in any message: the manager's port verifies it on the connection
// (credential, certificate) and names it beside every call. Plain values.
#pragma once

#include <optional>
#include <variant>
#include <vector>

#include "core/task.h"
#include "core/time.h"
#include "core/types.h"

namespace swarmlet::shell {

// --- Agent to manager: the calls of one session connection -----------------------------------

// Dispatcher.Session: open (or resume) a session. The reply is a SessionReply.
struct OpenSessionCall {
  SessionId previousSessionId;
  NodeDescription description;

  bool operator==(const OpenSessionCall&) const = default;
};

// Dispatcher.Heartbeat. The reply is a HeartbeatReply.
struct HeartbeatCall {
  SessionId sessionId;

  bool operator==(const HeartbeatCall&) const = default;
};

// Dispatcher.UpdateTaskStatus: many updates in one call. The reply is a StatusesReply naming
// `batch`, the agent's number for this send.
struct StatusesCall {
  SessionId sessionId;
  BatchId batch = 0;
  std::vector<TaskStatusUpdate> updates;

  bool operator==(const StatusesCall&) const = default;
};

// Ask for a fresh COMPLETE assignment set (the agent saw a gap). No reply.
struct ResyncCall {
  SessionId sessionId;

  bool operator==(const ResyncCall&) const = default;
};

using AgentCall = std::variant<OpenSessionCall, HeartbeatCall, StatusesCall, ResyncCall>;

// --- Manager to agent: replies to calls and pushes on the session's streams ------------------

struct SessionReply {
  SessionId sessionId;
  SessionMessage message;
  std::optional<RpcError> error;

  bool operator==(const SessionReply&) const = default;
};

struct HeartbeatReply {
  Duration period;
  std::optional<RpcError> error;

  bool operator==(const HeartbeatReply&) const = default;
};

struct StatusesReply {
  BatchId batch = 0;
  std::optional<RpcError> error;

  bool operator==(const StatusesReply&) const = default;
};

// A later message on the session stream.
struct SessionPush {
  SessionId sessionId;
  SessionMessage message;

  bool operator==(const SessionPush&) const = default;
};

// The next message of the assignment stream.
struct AssignmentsPush {
  SessionId sessionId;
  AssignmentsMessage message;

  bool operator==(const AssignmentsPush&) const = default;
};

// The session's streams ended with `error` (the node must register again). It names the session
// it ends; on a connection whose open is still unanswered, that is the empty id.
struct SessionEnd {
  SessionId sessionId;
  RpcError error;

  bool operator==(const SessionEnd&) const = default;
};

using ManagerMessage = std::variant<SessionReply, HeartbeatReply, StatusesReply, SessionPush,
                                    AssignmentsPush, SessionEnd>;

}  // namespace swarmlet::shell
