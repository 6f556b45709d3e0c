// The manager's state as plain values: what Manager::state() exposes to checkers, transcripts and
// debugging. `cluster` is exactly what the store holds once the pending Persist is durable;
// everything else is memory that a restart loses on purpose (docs/manager.md says what each
// loss costs).
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/manager/store.h"
#include "core/task.h"
#include "core/time.h"
#include "core/types.h"

namespace swarmlet::manager {

enum class ManagerPhase : uint8_t { NOT_STARTED, RUNNING };

// The records, keyed by id. Iteration order is id order: it reaches effects and transcripts.
struct ClusterState {
  std::map<NodeId, NodeRecord> nodes;
  std::map<ServiceId, ServiceRecord> services;
  std::map<TaskId, Task> tasks;
  std::map<SecretId, Secret> secrets;
  std::map<ConfigId, Config> configs;

  bool operator==(const ClusterState&) const = default;
};

// One node's assignment stream: what the agent was sent, and what changed since.
struct AssignmentStream {
  // Answered and not closed: messages may be sent.
  bool open = false;
  // A COMPLETE set is to be sent at the end of the step (new session or resync); until then
  // changes need no tracking.
  bool completeDue = false;
  // The resultsIn of the last message sent (0: none yet).
  uint64_t sequence = 0;
  // Each task as last sent; an update that changes only the agent-owned status is not re-sent.
  std::map<TaskId, Task> sentTasks;
  std::set<SecretId> sentSecrets;
  std::set<ConfigId> sentConfigs;
  // Tasks whose visible content may differ from what was sent.
  std::set<TaskId> dirty;
  // When the pending changes are sent if nothing else changes (the quiet period).
  std::optional<Instant> quietUntil;

  bool operator==(const AssignmentStream&) const = default;
};

// The dispatcher's record of a node it expects heartbeats from (SwarmKit's registeredNode).
// After a restart every node that was not DOWN has one with an empty session id: no old session
// is valid, and the node goes DOWN unless it registers before `expiresAt`.
struct RegisteredNode {
  SessionId sessionId;
  Instant expiresAt;
  AssignmentStream stream;
  // The node record as last sent on the session stream (role, availability).
  std::optional<NodeInfo> sentNodeInfo;

  bool operator==(const RegisteredNode&) const = default;
};

// Registration throttling per node: more than 3 within chains less than 8 s apart are refused.
struct RegistrationHistory {
  int64_t attempts = 0;
  Instant lastRegistered;

  bool operator==(const RegistrationHistory&) const = default;
};

// A registration waiting for the batch flush that records its node READY.
struct PendingRegistration {
  RequestId request = 0;
  NodeId node;
  // Non-empty when the node resumes this live session.
  SessionId resumedSessionId;
  NodeDescription description;

  bool operator==(const PendingRegistration&) const = default;
};

// Statuses and registrations queued for the next store write (SwarmKit's processUpdates).
struct UpdateBatch {
  // Every status received since the last flush, in arrival order; the flush keeps the highest
  // state per task (the latest among equals).
  std::vector<TaskStatusUpdate> statuses;
  std::vector<PendingRegistration> registrations;
  // Status calls to acknowledge once the batch is durable: (request, node).
  std::vector<std::pair<RequestId, NodeId>> statusCalls;
  // When the batch is written at the latest; nullopt while empty.
  std::optional<Instant> flushAt;

  bool operator==(const UpdateBatch&) const = default;
};

// A place a service keeps one task in: a slot of a replicated service, or a node of a global one.
struct UnitKey {
  ServiceId service;
  uint64_t slot = 0;
  NodeId node;

  auto operator<=>(const UnitKey&) const = default;
};

struct RollingUpdate {
  // A batch was started and not all of its new tasks are running yet.
  bool batchActive = false;
  // The next batch starts no earlier than this (the update delay after the last batch).
  Instant notBefore;

  bool operator==(const RollingUpdate&) const = default;
};

struct OrchestratorState {
  // Units whose task failed and will be replaced once the restart delay has passed.
  std::map<UnitKey, Instant> restartsDue;
  // When each unit was restarted, within the restart window (bounded by maxAttempts).
  std::map<UnitKey, std::vector<Instant>> restartHistory;
  // Units the restart policy gave up on (condition or max attempts); cleared by update/scale.
  std::set<UnitKey> deadUnits;
  std::map<ServiceId, RollingUpdate> updates;
  // Nodes DOWN since; their tasks become ORPHANED after limits::NODE_ORPHAN_PERIOD.
  std::map<NodeId, Instant> downSince;

  bool operator==(const OrchestratorState&) const = default;
};

struct ManagerState {
  ManagerPhase phase = ManagerPhase::NOT_STARTED;
  ClusterState cluster;
  // The highest version given to any record (SwarmKit's store index).
  uint64_t storeVersion = 0;
  std::map<NodeId, RegisteredNode> registry;
  std::map<NodeId, RegistrationHistory> registrations;
  UpdateBatch batch;
  OrchestratorState orchestrator;

  bool operator==(const ManagerState&) const = default;
};

}  // namespace swarmlet::manager
