// Everything a manager asks its shell to do, as values returned by Manager::takeEffects().
//
// Ordering contract: the shell executes effects in the order emitted. A Persist must be durable
// before any later effect is executed: every answer and every message that reveals a change
// comes after the Persist that records it (registration answers wait for the batch that records
// the node READY; status acknowledgements wait for the batch that stores the statuses). The
// shell may group the Persists of one loop turn into one synced write, never reorder a send
// ahead of one. Persist has no completion: a failed store write stops the manager (the shell's
// job), since the core's state already moved on.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/manager/store.h"
#include "core/task.h"
#include "core/types.h"

namespace swarmlet::manager {

struct Persist {
  std::vector<Write> writes;

  bool operator==(const Persist&) const = default;
};

// The answer to SessionRequested: a session id and the first session message, or an error.
struct SessionAnswer {
  RequestId request = 0;
  NodeId node;
  SessionId sessionId;
  SessionMessage message;
  std::optional<RpcError> error;

  bool operator==(const SessionAnswer&) const = default;
};

// The answer to HeartbeatReceived: the period until the next heartbeat, or an error.
struct HeartbeatAnswer {
  RequestId request = 0;
  NodeId node;
  Duration period;
  std::optional<RpcError> error;

  bool operator==(const HeartbeatAnswer&) const = default;
};

// The answer to StatusesReceived; nullopt means accepted (and, for known tasks, stored).
struct StatusesAnswer {
  RequestId request = 0;
  NodeId node;
  std::optional<RpcError> error;

  bool operator==(const StatusesAnswer&) const = default;
};

// A later message on a node's session stream (its record or the manager list changed).
struct SendSessionMessage {
  NodeId node;
  SessionId sessionId;
  SessionMessage message;

  bool operator==(const SendSessionMessage&) const = default;
};

// The next message of a node's assignment stream.
struct SendAssignments {
  NodeId node;
  SessionId sessionId;
  AssignmentsMessage message;

  bool operator==(const SendAssignments&) const = default;
};

// End a session's streams with `error` (the node must register again).
struct EndSession {
  NodeId node;
  SessionId sessionId;
  RpcError error;

  bool operator==(const EndSession&) const = default;
};

// The class of a refused control request, after the gRPC codes the control API returns.
enum class ControlErrorCode : uint8_t {
  INVALID_ARGUMENT,
  NOT_FOUND,
  ALREADY_EXISTS,
  FAILED_PRECONDITION
};

struct ControlError {
  ControlErrorCode code = ControlErrorCode::INVALID_ARGUMENT;
  std::string message;

  bool operator==(const ControlError&) const = default;
};

// The answer to a Control input: `id` names what was created (empty otherwise).
struct ControlAnswer {
  RequestId request = 0;
  std::optional<ControlError> error;
  std::string id;

  bool operator==(const ControlAnswer&) const = default;
};

using Effect = std::variant<Persist, SessionAnswer, HeartbeatAnswer, StatusesAnswer,
                            SendSessionMessage, SendAssignments, EndSession, ControlAnswer>;

}  // namespace swarmlet::manager
