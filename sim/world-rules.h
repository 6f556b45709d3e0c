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
#include "core/manager/state.h"
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

// The liveness rules, checked once after the heal phase: with every fault over and time to
// recover, the cluster must have converged.
// The first liveness rule the cluster breaks (rules LIVENESS_*, in the order of sim/rules.h),
// or nullopt. `leader` is null when no manager leads.
std::optional<Broken> firstBrokenLiveness(const manager::ManagerState* leader,
                                          const std::vector<LiveAgent>& agents);

}  // namespace swarmlet::sim
