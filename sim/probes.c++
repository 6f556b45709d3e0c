#include "sim/probes.h"

namespace swarmlet::sim {
namespace {

template <typename Probe, size_t N>
void addCounts(ProbeTally& tally, const ProbeCounts<Probe>& probes,
               const std::array<std::string_view, N>& names) {
  static_assert(N == ProbeCounts<Probe>::SIZE, "a probe without a name");
  for (size_t i = 0; i < N; ++i) {
    tally[std::string(names[i])] += probes.count(static_cast<Probe>(i));
  }
}

}  // namespace

ProbeTally emptyTally() {
  ProbeTally tally;
  addTo(tally, agent::AgentProbes{});
  addTo(tally, manager::ManagerProbes{});
  addTo(tally, WorldProbes{});
  return tally;
}

void addTo(ProbeTally& tally, const agent::AgentProbes& probes) {
  addCounts(tally, probes, agent::AGENT_PROBE_NAMES);
}

void addTo(ProbeTally& tally, const manager::ManagerProbes& probes) {
  addCounts(tally, probes, manager::MANAGER_PROBE_NAMES);
}

void addTo(ProbeTally& tally, const WorldProbes& probes) {
  addCounts(tally, probes, WORLD_PROBE_NAMES);
}

void addTo(ProbeTally& tally, const ProbeTally& other) {
  for (const auto& [name, count] : other)
    tally[name] += count;
}

std::vector<std::string> neverHit(const ProbeTally& tally) {
  std::vector<std::string> names;
  for (const auto& [name, count] : tally) {
    if (count == 0) names.push_back(name);
  }
  return names;
}

}  // namespace swarmlet::sim
