// The world's own rules (sim/rules.h, WORLD_* and LIVENESS_*): those no single core's checker can
// state, because they need what only the world knows: what an agent's executor has installed,
// how an agent stopped, every agent at once. Pure functions of what the world hands them, so that
// a test can hand them a broken cluster.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/agent/state.h"
#include "core/manager/effect.h"
#include "core/manager/state.h"
#include "core/shell/messages.h"
#include "sim/rules.h"

namespace swarmlet::sim {

// An agent that is still part of the cluster (not stopped, not removed).
struct LiveAgent {
  const NodeId* node;
  const agent::AgentState* state;
};

struct Broken {
  Rule rule;
  std::string detail;

  bool operator==(const Broken&) const = default;
};

// A task about to be prepared on `node` references a secret or config its executor lacks.
std::optional<Broken> preparedTooEarly(const NodeId& node, const Task& task,
                                       const std::set<SecretId>& secrets,
                                       const std::set<ConfigId>& configs);

// The agent on `node` stopped; `error` is its agent-stopped effect's (empty: a clean stop).
std::optional<Broken> stoppedWithError(const NodeId& node, const std::string& error);

// --- The inputs of sim/input-mix.h ----------------------------------------------------------

// What the control API may change: compared before and after a request it must refuse. Task
// records are left out (the step's own reconciliation may move them).
struct ControlledRecords {
  std::map<ServiceId, manager::ServiceRecord> services;
  std::map<SecretId, Secret> secrets;
  std::map<ConfigId, Config> configs;
  std::map<NodeId, std::tuple<NodeAvailability, NodeRole, NodeRole>> nodes;

  bool operator==(const ControlledRecords&) const = default;
};
ControlledRecords controlledRecords(const manager::ClusterState& cluster);

// The step of `request`, which the API must refuse, changed the controlled records.
std::optional<Broken> refusedButChanged(const ControlledRecords& before,
                                        const ControlledRecords& after, const std::string& request);

// `request`, which the API must refuse with `expected`, was answered `error` (nullopt: done).
std::optional<Broken> refusalAnswered(manager::ControlErrorCode expected,
                                      const std::optional<manager::ControlError>& error,
                                      const std::string& request);

// A forged status names its forger in its message, which no agent's own status ever does.
inline constexpr std::string_view FORGED_STATUS_PREFIX = "forged by ";

// A status call reporting `task`, which is another node's, was answered `answer`: it must be
// refused whole, as permission denied.
std::optional<Broken> forgedReportAnswered(const TaskId& task, const shell::ManagerMessage& answer);

// One of the `forged` tasks holds a forged status in the manager's `tasks`.
std::optional<Broken> forgedStatusHeld(const std::map<TaskId, Task>& tasks,
                                       const std::set<TaskId>& forged);

// The agent on `node`, refused as unauthenticated before any session, stopped with `error`: it
// must stop, saying that its credentials are why.
std::optional<Broken> credentialsStopped(const NodeId& node, const std::string& error);

// The agent on `node` dialled `manager`.
std::optional<Broken> dialled(const NodeId& node, const Peer& manager);

// The liveness rules, checked once after the heal phase: with every fault over and time to
// recover, the cluster must have converged.
// The first liveness rule the cluster breaks (rules LIVENESS_*, in the order of sim/rules.h),
// or nullopt. `leader` is null when no manager leads.
std::optional<Broken> firstBrokenLiveness(const manager::ManagerState* leader,
                                          const std::vector<LiveAgent>& agents);

}  // namespace swarmlet::sim
