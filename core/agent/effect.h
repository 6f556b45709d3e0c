// Everything an agent asks its shell to do, as values returned by Agent::takeEffects().
//
// Ordering contract: the shell executes effects in the order emitted. (The session half emits
// no Persist-before-send pairs; the work half's store effects must be durable before any later
// effect that reveals them, see docs/core-contract.md.) Every effect can be executed without
// asking the core anything; every request carries the id its completion must name.
#pragma once

#include <optional>
#include <variant>
#include <vector>

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

using Effect = std::variant<OpenSession, CloseSession, SendHeartbeat, DescribeNode, PersistManagers,
                            NotifyNodeChange, NotifyRoleChange, SetNetworkKeys, SignalReady,
                            SignalLeft, AgentStopped>;

}  // namespace swarmlet::agent
