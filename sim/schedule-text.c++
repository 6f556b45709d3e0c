#include "sim/schedule-text.h"

#include <cmath>
#include <sstream>

namespace swarmlet::sim {
namespace {

const FaultKind ALL_KINDS[] = {FaultKind::SESSION_DROP,
                               FaultKind::ISOLATE_AGENT,
                               FaultKind::ISOLATE_LEADER,
                               FaultKind::SPLIT_MANAGERS,
                               FaultKind::ONE_WAY,
                               FaultKind::AGENT_CRASH,
                               FaultKind::MANAGER_CRASH,
                               FaultKind::LEADER_CHANGE,
                               FaultKind::PROMOTE,
                               FaultKind::DEMOTE,
                               FaultKind::LEAVE,
                               FaultKind::EXECUTOR_HANG,
                               FaultKind::LEADER_CRASH_AFTER_COMMIT};

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);)
    parts.push_back(part);
  return parts;
}

}  // namespace

std::optional<Duration> parseDurationText(const std::string& text) {
  size_t unit = text.find_first_not_of("0123456789.");
  if (unit == 0 || unit == std::string::npos) return std::nullopt;
  double value = 0;
  try {
    value = std::stod(text.substr(0, unit));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::string suffix = text.substr(unit);
  double scale = suffix == "ms"  ? 1e6
                 : suffix == "s" ? 1e9
                 : suffix == "m" ? 60e9
                 : suffix == "h" ? 3600e9
                                 : -1;
  if (scale < 0 || value < 0) return std::nullopt;
  return Duration::nanoseconds(std::llround(value * scale));
}

std::string formatSchedule(const std::vector<Fault>& schedule) {
  std::string text;
  for (const Fault& fault : schedule) {
    if (!text.empty()) text += ",";
    text += formatDuration(fault.at - Instant::origin()) + ":" + format(fault.kind) + ":" +
            std::to_string(fault.target) + ":" + formatDuration(fault.length);
  }
  return text.empty() ? "none" : text;
}

std::optional<std::vector<Fault>> parseSchedule(const std::string& text, std::string& error) {
  std::vector<Fault> schedule;
  if (text == "none") return schedule;
  for (const std::string& item : split(text, ',')) {
    std::vector<std::string> fields = split(item, ':');
    std::optional<Duration> at = fields.size() == 4 ? parseDurationText(fields[0]) : std::nullopt;
    std::optional<Duration> length =
        fields.size() == 4 ? parseDurationText(fields[3]) : std::nullopt;
    std::optional<FaultKind> kind;
    for (FaultKind k : ALL_KINDS) {
      if (fields.size() == 4 && format(k) == fields[1]) kind = k;
    }
    if (!at || !length || !kind || fields[2].empty() ||
        fields[2].find_first_not_of("0123456789") != std::string::npos) {
      error = "bad schedule entry '" + item +
              "': expected TIME:KIND:TARGET:LENGTH, e.g. 2.5s:agent-crash:1:4s";
      return std::nullopt;
    }
    schedule.push_back(Fault{Instant::origin() + *at, *kind,
                             static_cast<uint32_t>(std::stoul(fields[2])), *length});
  }
  return schedule;
}

}  // namespace swarmlet::sim
