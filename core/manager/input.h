// Everything that can happen to a manager, as values passed to Manager::step(now, input).
//
// Calls from agents (docs/protocol.md) carry the caller's node identity as the shell verified it
// (certificate, join token) and, for calls that need an answer, a RequestId chosen by the shell;
// the answer effect names it. A call with a stale or unknown session id is data (answered with an
// error), never a precondition. Control operations come from the control API; invalid ones are
// answered with a ControlAnswer carrying the error.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "core/manager/store.h"
#include "core/task.h"
#include "core/time.h"
#include "core/types.h"

namespace swarmlet::manager {

// The first input, exactly once. A non-empty store means the manager restarted or took over
// leadership: every node that is not DOWN becomes UNKNOWN and has 6 grace periods to come back.
struct Start {
  StoreSnapshot store;

  bool operator==(const Start&) const = default;
};

// A deadline returned by nextDeadline() has come. Harmless when nothing is due.
struct Tick {
  bool operator==(const Tick&) const = default;
};

// Dispatcher.Session: the node opens a session, offering its previous session id (empty on the
// first one) so that a live session is resumed without counting against the rate limit.
struct SessionRequested {
  RequestId request = 0;
  NodeId node;
  SessionId previousSessionId;
  NodeDescription description;

  bool operator==(const SessionRequested&) const = default;
};

struct HeartbeatReceived {
  RequestId request = 0;
  NodeId node;
  SessionId sessionId;

  bool operator==(const HeartbeatReceived&) const = default;
};

// Dispatcher.UpdateTaskStatus. REQUIRES: updates.size() <= limits::STATUS_UPDATES_PER_CALL_MAX
// (the codec refuses larger calls).
struct StatusesReceived {
  RequestId request = 0;
  NodeId node;
  SessionId sessionId;
  std::vector<TaskStatusUpdate> updates;

  bool operator==(const StatusesReceived&) const = default;
};

// The agent saw a gap in its assignment stream and asks for a fresh COMPLETE set.
struct ResyncRequested {
  NodeId node;
  SessionId sessionId;

  bool operator==(const ResyncRequested&) const = default;
};

// The agent's session stream ended (the agent closed it or the connection dropped).
struct SessionClosed {
  NodeId node;
  SessionId sessionId;

  bool operator==(const SessionClosed&) const = default;
};

// --- Control operations (swarmctl service/node/secret/config commands) ---

struct CreateService {
  ServiceSpec spec;
  bool operator==(const CreateService&) const = default;
};
// Replaces the whole spec; a changed task template starts a rolling update.
struct UpdateService {
  ServiceId service;
  ServiceSpec spec;
  bool operator==(const UpdateService&) const = default;
};
struct ScaleService {
  ServiceId service;
  int64_t replicas = 0;
  bool operator==(const ScaleService&) const = default;
};
struct RemoveService {
  ServiceId service;
  bool operator==(const RemoveService&) const = default;
};
struct PromoteNode {
  NodeId node;
  bool operator==(const PromoteNode&) const = default;
};
struct DemoteNode {
  NodeId node;
  bool operator==(const DemoteNode&) const = default;
};
struct DrainNode {
  NodeId node;
  bool operator==(const DrainNode&) const = default;
};
struct PauseNode {
  NodeId node;
  bool operator==(const PauseNode&) const = default;
};
struct ActivateNode {
  NodeId node;
  bool operator==(const ActivateNode&) const = default;
};
// Without `force`, only a DOWN worker can be removed.
struct RemoveNode {
  NodeId node;
  bool force = false;
  bool operator==(const RemoveNode&) const = default;
};
struct CreateSecret {
  std::string name;
  std::string data;
  bool operator==(const CreateSecret&) const = default;
};
struct RemoveSecret {
  SecretId secret;
  bool operator==(const RemoveSecret&) const = default;
};
struct CreateConfig {
  std::string name;
  std::string data;
  bool operator==(const CreateConfig&) const = default;
};
struct RemoveConfig {
  ConfigId config;
  bool operator==(const RemoveConfig&) const = default;
};

using ControlOperation =
    std::variant<CreateService, UpdateService, ScaleService, RemoveService, PromoteNode, DemoteNode,
                 DrainNode, PauseNode, ActivateNode, RemoveNode, CreateSecret, RemoveSecret,
                 CreateConfig, RemoveConfig>;

struct Control {
  RequestId request = 0;
  ControlOperation operation;

  bool operator==(const Control&) const = default;
};

// The managers every session message names changed (a node was promoted or demoted, or a
// manager moved): the shell, which knows where each manager serves, gives the whole new list,
// this manager first. Every open session gets a session message carrying it; nothing is
// persisted (the list is the shell's to keep). A node that registers for the first time while
// named in the list joins as a manager (the cluster's first node, a node joined with the manager
// token).
struct ManagersChanged {
  std::vector<Peer> managers;

  bool operator==(const ManagersChanged&) const = default;
};

using Input = std::variant<Start, Tick, SessionRequested, HeartbeatReceived, StatusesReceived,
                           ResyncRequested, SessionClosed, Control, ManagersChanged>;

}  // namespace swarmlet::manager
