// An agent core together with its invariant checkers (the session half's and the work half's):
// every step is followed by both checks, so every driver — the simulator, the transcript
// harness, the demo, random tests — checks the same invariants the same way. The work checker
// mirrors the task store from the Persist effects, so it is also the store an agent restarts
// from after a crash. Owns everything; not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/agent/agent.h"
#include "sim/agent-checker.h"
#include "sim/worker-checker.h"

namespace swarmlet::sim {

class CheckedAgent {
 public:
  // `fullCheckEvery` as for WorkerChecker: 1 compares the agent's whole memory with its store
  // after every step; more checks each step on what it touched and the whole on that schedule.
  explicit CheckedAgent(const agent::AgentConfig& config, uint32_t fullCheckEvery = 1);

  // Steps the agent, takes its effects and checks the invariants. A failed check is recorded in
  // violations(), not thrown, so the caller decides how to report it.
  std::vector<agent::Effect> step(Instant now, const agent::Input& input);

  // The whole-state checks, now (before a crash throws the memory away, and at the end of a run).
  // A failure is recorded in violations().
  void checkAll();

  // The agent's process died (checkAll() runs first, on the memory it loses): its memory, executor
  // operations and sends in flight are gone; the store survives. A new core is built with `config`;
  // the caller steps Start with store().
  void crash(const agent::AgentConfig& config);
  // The same, for a shell whose store lost the writes not yet synced: `survivor` is what is left.
  void crash(const agent::AgentConfig& config, const agent::StoreSnapshot& survivor);

  // The task store as the Persist effects left it.
  const agent::StoreSnapshot& store() const { return worker_.store(); }
  std::optional<Instant> nextDeadline() const;
  const agent::AgentState& state() const { return agent_->state(); }
  const std::vector<std::string>& violations() const { return violations_; }
  // The probes of every core this agent has had, crashed ones included.
  agent::AgentProbes probes() const;

 private:
  std::unique_ptr<agent::Agent> agent_;
  agent::AgentProbes crashedProbes_;
  AgentChecker session_;
  WorkerChecker worker_;
  std::vector<std::string> violations_;
};

}  // namespace swarmlet::sim
