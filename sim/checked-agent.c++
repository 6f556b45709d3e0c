#include "sim/checked-agent.h"

namespace swarmlet::sim {

CheckedAgent::CheckedAgent(const agent::AgentConfig& config, uint32_t fullCheckEvery)
    : agent_(std::make_unique<agent::Agent>(config)), worker_(fullCheckEvery) {}

void CheckedAgent::checkAll() {
  size_t before = worker_.violations().size();
  worker_.checkAll(agent_->state());
  for (size_t i = before; i < worker_.violations().size(); ++i) {
    violations_.push_back(worker_.violations()[i]);
  }
}

std::vector<agent::Effect> CheckedAgent::step(Instant now, const agent::Input& input) {
  // The core gets its own copy, moved in as the production shells move theirs (the checkers
  // still need the input): the simulator runs the step production runs.
  agent_->step(now, agent::Input(input));
  kj::Vector<agent::Effect> taken = agent_->takeEffects();
  std::vector<agent::Effect> effects(std::make_move_iterator(taken.begin()),
                                     std::make_move_iterator(taken.end()));
  size_t sessionBefore = session_.violations().size();
  size_t workerBefore = worker_.violations().size();
  session_.observe(now, input, effects, agent_->state(), nextDeadline());
  worker_.observe(now, input, effects, agent_->state());
  for (size_t i = sessionBefore; i < session_.violations().size(); ++i) {
    violations_.push_back(session_.violations()[i]);
  }
  for (size_t i = workerBefore; i < worker_.violations().size(); ++i) {
    violations_.push_back(worker_.violations()[i]);
  }
  return effects;
}

void CheckedAgent::crash(const agent::AgentConfig& config) {
  checkAll();
  crashedProbes_.add(agent_->probes());
  agent_ = std::make_unique<agent::Agent>(config);
  // A new process: readiness, generations and heartbeats start over.
  session_ = AgentChecker{};
  worker_.restarted();
}

void CheckedAgent::crash(const agent::AgentConfig& config, const agent::StoreSnapshot& survivor) {
  checkAll();
  crashedProbes_.add(agent_->probes());
  agent_ = std::make_unique<agent::Agent>(config);
  session_ = AgentChecker{};
  worker_.restarted(survivor);
}

agent::AgentProbes CheckedAgent::probes() const {
  agent::AgentProbes all = crashedProbes_;
  all.add(agent_->probes());
  return all;
}

std::optional<Instant> CheckedAgent::nextDeadline() const {
  KJ_IF_MAYBE (deadline, agent_->nextDeadline()) {
    return *deadline;
  }
  return std::nullopt;
}

}  // namespace swarmlet::sim
