// A fault schedule as one command-line argument, so that a shrunk run can be replayed exactly:
// "2.5s:agent-crash:1:4s,10s:leader-change:0:0s" (time, kind, target, length).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/fault-schedule.h"

namespace swarmlet::sim {

std::string formatSchedule(const std::vector<Fault>& schedule);
std::optional<std::vector<Fault>> parseSchedule(const std::string& text, std::string& error);
// "10m", "90s", "1.5s", "250ms"; nullopt when malformed.
std::optional<Duration> parseDurationText(const std::string& text);

}  // namespace swarmlet::sim
