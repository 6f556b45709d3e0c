// An agent core together with its invariant checker: every step is followed by the check, so
// every driver (the simulator, the transcript harness, the demo, random tests) checks the same
// invariants the same way. Owns both; not thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "core/agent/agent.h"
#include "sim/agent-checker.h"

namespace swarmlet::sim {

class CheckedAgent {
 public:
  explicit CheckedAgent(const agent::AgentConfig& config) : agent_(config) {}

  // Steps the agent, takes its effects and checks the invariants. A failed check is recorded in
  // violations(), not thrown, so the caller decides how to report it.
  std::vector<agent::Effect> step(Instant now, const agent::Input& input);

  std::optional<Instant> nextDeadline() const;
  const agent::AgentState& state() const { return agent_.state(); }
  const std::vector<std::string>& violations() const { return checker_.violations(); }

 private:
  agent::Agent agent_;
  AgentChecker checker_;
};

}  // namespace swarmlet::sim
