// Safety invariants of one agent's session half (spec section 9.5, items 1-7), checked after
// every step from the outside: the input, the effects it produced and the resulting state. The
// same checker runs after every transcript stanza's steps and after every simulator event.
//
// Value-free of resources; not thread-safe; one checker per agent.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/agent/effect.h"
#include "core/agent/input.h"
#include "core/agent/state.h"
#include "sim/rules.h"

namespace swarmlet::sim {

class AgentChecker {
 public:
  // Call after each Agent::step with what went in, what came out and the state afterwards.
  // `deadline` is Agent::nextDeadline() after the step (nullopt when none).
  void observe(Instant now, const agent::Input& input, const std::vector<agent::Effect>& effects,
               const agent::AgentState& state, std::optional<Instant> deadline);

  // Every violation so far, one line each (its rule's name first, sim/rules.h), oldest first.
  const std::vector<std::string>& violations() const { return violations_; }

 private:
  void checkEffect(Instant now, const agent::Effect& effect, const agent::AgentState& state);
  void checkState(Instant now, const agent::AgentState& state, std::optional<Instant> deadline);
  void fail(Rule rule, const std::string& detail);

  std::vector<std::string> violations_;
  bool started_ = false;
  bool readySeen_ = false;
  bool stoppedSeen_ = false;
  Generation lastGeneration_ = 0;
  Generation lastOpened_ = 0;
  std::set<Generation> openSessions_;
  // Generations with a heartbeat sent and not yet answered.
  std::set<Generation> heartbeatsOutstanding_;
  // The generation of the last heartbeat answered, and when its period ends.
  std::optional<std::pair<Generation, Instant>> nextHeartbeatAt_;
  Duration lastBackoff_;
  agent::SessionPhase lastPhase_ = agent::SessionPhase::DELAYING;
};

}  // namespace swarmlet::sim
