// The self-contained HTML report of one run: a per-node timeline of sessions, downtime,
// leadership and faults, the distributions of heartbeat round trips and status-report latency,
// and the run's numbers. No scripts or external files: inline SVG and CSS only.
#pragma once

#include <string>

#include "sim/world.h"

namespace swarmlet::sim {

std::string renderReport(const WorldConfig& config, const RunResult& result,
                         const std::string& replay);

}  // namespace swarmlet::sim
