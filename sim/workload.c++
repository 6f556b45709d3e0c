#include "sim/workload.h"

#include "core/prng.h"

namespace swarmlet::sim {
namespace {

// Its own stream: the mix leaves the profile, faults and every other draw of the run as they were.
constexpr uint64_t WORKLOAD_MIX_STREAM = 6;

}  // namespace

WorkloadMix drawWorkloadMix(uint64_t seed) {
  Prng prng(Prng::deriveSeed(seed, WORKLOAD_MIX_STREAM));
  WorkloadMix mix;
  // Every draw happens in the same order whatever came before, so one feature's coin does not
  // depend on another's.
  mix.restartPolicies = prng.uniform(2) == 1;
  mix.globalService = prng.uniform(2) == 1;
  mix.nodeAvailability = prng.uniform(2) == 1;
  mix.nodeRemoval = prng.uniform(2) == 1;
  mix.dependencies = prng.uniform(2) == 1;
  mix.serviceChurn = prng.uniform(2) == 1;
  return mix;
}

std::string format(const WorkloadMix& mix) {
  std::string text;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!text.empty()) text += ' ';
    text += name;
  };
  add(mix.restartPolicies, "restart-policies");
  add(mix.globalService, "global-service");
  add(mix.nodeAvailability, "node-availability");
  add(mix.nodeRemoval, "node-removal");
  add(mix.dependencies, "dependencies");
  add(mix.serviceChurn, "service-churn");
  return text.empty() ? "basic" : text;
}

}  // namespace swarmlet::sim
