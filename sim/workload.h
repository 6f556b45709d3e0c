// What a run's workload does besides creating, scaling and rolling replicated services, drawn per
// seed like the faults (swarm testing): each feature is on in about half the seeds, so that a
// seed can stress one feature hard and the sweep covers them all.
#pragma once

#include <cstdint>
#include <string>

namespace swarmlet::sim {

struct WorkloadMix {
  bool restartPolicies = false;   // services change restart policy: condition, delay, attempts
  bool globalService = false;     // a global service beside the replicated ones
  bool nodeAvailability = false;  // nodes drained, paused and activated
  bool nodeRemoval = false;       // nodes removed from the cluster (down ones, or forced)
  bool dependencies = false;      // configs referenced, secrets swapped, removals refused
  bool serviceChurn = false;      // services removed and created again

  bool operator==(const WorkloadMix&) const = default;
};

WorkloadMix drawWorkloadMix(uint64_t seed);

// "restart-policies global-service ..." (the features on), or "basic".
std::string format(const WorkloadMix& mix);

}  // namespace swarmlet::sim
