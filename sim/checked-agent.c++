#include "sim/checked-agent.h"

namespace swarmlet::sim {

std::vector<agent::Effect> CheckedAgent::step(Instant now, const agent::Input& input) {
  agent_.step(now, input);
  kj::Vector<agent::Effect> taken = agent_.takeEffects();
  std::vector<agent::Effect> effects(std::make_move_iterator(taken.begin()),
                                     std::make_move_iterator(taken.end()));
  checker_.observe(now, input, effects, agent_.state(), nextDeadline());
  return effects;
}

std::optional<Instant> CheckedAgent::nextDeadline() const {
  KJ_IF_MAYBE (deadline, agent_.nextDeadline()) {
    return *deadline;
  }
  return std::nullopt;
}

}  // namespace swarmlet::sim
