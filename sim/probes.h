// A run's probes by name: the agent cores', the manager cores' (core/*/probes.h) and the world's
// own, summed over every incarnation of every host. Every probe is present, hit or not, so a
// sweep can name the ones it never reached.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/agent/probes.h"
#include "core/manager/probes.h"

namespace swarmlet::sim {

// What only the world sees: faults that reached a state worth exercising.
enum class WorldProbe : uint8_t {
  UNREPLICATED_WRITES_LOST,  // a leader lost with writes its followers never got
  AGENT_LOST_UNSYNCED,       // an agent crashed with store writes not yet synced
  INVALID_CONTROL_REFUSED,   // a control request invalid against the records was answered
  FOREIGN_STATUS_FORGED,     // an agent reported another node's task
  STATUS_BACKWARDS_FORGED,   // an agent reported its own task moving backwards
  BAD_CREDENTIALS_STOPPED,   // an agent refused its credentials stopped, and was started again
  UNKNOWN_MANAGER_DIALLED,   // an agent dialled an address no manager serves
  BAD_JOIN_FIXED,            // an agent that knew no manager it could dial was given one
  AGENT_RESTARTED,           // an agent stopped cleanly by its operator, and started again
  PUSHES_OVERTOOK_ANSWER,    // a session's first pushes were sent before its open's answer
  COUNT,
};

inline constexpr std::array<std::string_view, static_cast<size_t>(WorldProbe::COUNT)>
    WORLD_PROBE_NAMES = {
        "world.unreplicated-writes-lost", "world.agent-lost-unsynced-writes",
        "world.invalid-control-refused",  "world.foreign-status-forged",
        "world.status-backwards-forged",  "world.bad-credentials-stopped",
        "world.unknown-manager-dialled",  "world.bad-join-fixed",
        "world.agent-restarted",          "world.pushes-overtook-answer",
};

using WorldProbes = ProbeCounts<WorldProbe>;

// Probe name -> times hit.
using ProbeTally = std::map<std::string, uint64_t>;

// Every probe, at zero.
ProbeTally emptyTally();

void addTo(ProbeTally& tally, const agent::AgentProbes& probes);
void addTo(ProbeTally& tally, const manager::ManagerProbes& probes);
void addTo(ProbeTally& tally, const WorldProbes& probes);
void addTo(ProbeTally& tally, const ProbeTally& other);

// The probes of `tally` never hit, in name order.
std::vector<std::string> neverHit(const ProbeTally& tally);

}  // namespace swarmlet::sim
