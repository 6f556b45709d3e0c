// What reaches the cores besides the operator's workload (sim/workload.h) and the faults: inputs
// the core contract allows that a well-behaved cluster seldom sends. Drawn per seed like the
// workload mix (swarm testing), each family on in about half the seeds, so that a seed can stress
// one of them hard and a sweep covers them all.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/limits.h"
#include "core/time.h"
#include "sim/profile.h"

namespace swarmlet::sim {

struct InputMix {
  bool invalidControls = false;   // control requests the API must refuse, changing nothing
  bool nodeRoles = false;         // nodes promoted and demoted; the last manager's demotion refused
  bool managerLists = false;      // the managers list changes, shrinks, carries unusable entries
  bool hostileAgents = false;     // agents report other nodes' tasks and statuses that go backwards
  bool descriptions = false;      // node descriptions change, and describing sometimes fails
  bool badCredentials = false;    // one node first starts with credentials the managers refuse
  bool badJoin = false;           // one node first starts knowing no manager it can dial
  bool restarts = false;          // operators stop nodes' agents cleanly and start them again
  bool overtakingPushes = false;  // a session's first pushes sent before its open's answer
  // The heartbeat period the managers give the agents: the default, or in half the seeds drawn
  // log-uniform in [0.6 s, 9.6 s): above the jitter the managers add (0.5 s), and short enough
  // that failures are detected within the heal phase.
  Duration heartbeatPeriod = limits::MANAGER_HEARTBEAT_PERIOD;

  bool operator==(const InputMix&) const = default;
};

// The seed's mix; none at all when `quiet`.
InputMix drawInputMix(uint64_t seed, bool quiet);

// Only the default and heavy profiles send these inputs: a run without faults or with light ones
// (the benchmarks' size runs) sends none, nor one with a named list of families, which runs
// exactly what it names.
bool quietInputs(const FaultSelection& faults);

// The families by name, as --disable takes them: "heartbeat-period" gives back the default
// period.
inline constexpr std::array<std::string_view, 10> INPUT_FAMILY_NAMES = {
    "invalid-controls", "node-roles", "manager-lists", "hostile-agents",    "descriptions",
    "bad-credentials",  "bad-join",   "restarts",      "overtaking-pushes", "heartbeat-period",
};

// Switches the named family off in `mix`; false when no family has that name.
bool disableInput(InputMix& mix, std::string_view name);

// The names of the families `mix` has on (what --shrink tries switching off).
std::vector<std::string> inputFamiliesOn(const InputMix& mix);

// "invalid-controls node-roles ... heartbeat=1.2s" (the families on, the period when drawn),
// or "plain".
std::string format(const InputMix& mix);

}  // namespace swarmlet::sim
