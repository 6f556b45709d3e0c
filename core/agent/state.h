// The agent's state as plain values: what Agent::state() exposes to checkers, transcripts and
// debugging. Nothing here owns a resource.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <kj/string.h>

#include "core/agent/remotes.h"
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

  bool operator==(const AgentState&) const = default;
};

}  // namespace swarmlet::agent
