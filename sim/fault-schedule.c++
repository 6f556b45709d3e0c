#include "sim/fault-schedule.h"

#include <algorithm>
#include <cmath>

#include "core/prng.h"

namespace swarmlet::sim {
namespace {

constexpr uint64_t FAULTS_STREAM = 0x6661756c;  // "faul"

struct Draw {
  FaultFamily family;
  FaultKind kind;
  bool targetsManager;
};

// Which fault kinds each event family produces, in a fixed order.
const Draw DRAWS[] = {
    {FaultFamily::SESSION, FaultKind::SESSION_DROP, false},
    {FaultFamily::PARTITION, FaultKind::ISOLATE_AGENT, false},
    {FaultFamily::PARTITION, FaultKind::ISOLATE_LEADER, true},
    {FaultFamily::PARTITION, FaultKind::SPLIT_MANAGERS, true},
    {FaultFamily::PARTITION, FaultKind::ONE_WAY, false},
    {FaultFamily::AGENT_CRASH, FaultKind::AGENT_CRASH, false},
    {FaultFamily::MANAGER_CRASH, FaultKind::MANAGER_CRASH, true},
    {FaultFamily::LEADER, FaultKind::LEADER_CHANGE, true},
    {FaultFamily::ROLE, FaultKind::PROMOTE, false},
    {FaultFamily::ROLE, FaultKind::DEMOTE, false},
    {FaultFamily::LEAVE, FaultKind::LEAVE, false},
    {FaultFamily::EXECUTOR, FaultKind::EXECUTOR_HANG, false},
    // Last, so that adding it left every earlier family's draws where they were.
    {FaultFamily::LEADER, FaultKind::LEADER_CRASH_AFTER_COMMIT, true},
};

}  // namespace

std::string format(FaultKind kind) {
  switch (kind) {
    case FaultKind::SESSION_DROP:
      return "session-drop";
    case FaultKind::ISOLATE_AGENT:
      return "isolate-agent";
    case FaultKind::ISOLATE_LEADER:
      return "isolate-leader";
    case FaultKind::SPLIT_MANAGERS:
      return "split-managers";
    case FaultKind::ONE_WAY:
      return "one-way";
    case FaultKind::AGENT_CRASH:
      return "agent-crash";
    case FaultKind::MANAGER_CRASH:
      return "manager-crash";
    case FaultKind::LEADER_CHANGE:
      return "leader-change";
    case FaultKind::PROMOTE:
      return "promote";
    case FaultKind::DEMOTE:
      return "demote";
    case FaultKind::LEAVE:
      return "leave";
    case FaultKind::EXECUTOR_HANG:
      return "executor-hang";
    case FaultKind::LEADER_CRASH_AFTER_COMMIT:
      return "leader-crash-after-commit";
  }
  return "?";
}

std::string format(const Fault& fault) {
  std::string text = formatInstant(fault.at) + " " + format(fault.kind) +
                     " target=" + std::to_string(fault.target);
  if (fault.length > Duration()) text += " for " + formatDuration(fault.length);
  return text;
}

std::vector<Fault> drawFaultSchedule(uint64_t seed, const Profile& profile, Duration duration,
                                     uint32_t agents, uint32_t managers) {
  Prng prng(Prng::deriveSeed(seed, FAULTS_STREAM));
  std::vector<Fault> faults;
  double minutes = duration.toSeconds() / 60;
  for (const Draw& draw : DRAWS) {
    const FamilySettings& settings = profile[draw.family];
    // Every family draws its count even when disabled, so the schedule of one family does not
    // shift when another is switched.
    double expected = settings.rate * minutes;
    uint64_t count = static_cast<uint64_t>(std::floor(expected + prng.uniformUnit()));
    for (uint64_t i = 0; i < count; ++i) {
      Fault fault;
      fault.at = Instant::origin() + prng.uniformDuration(duration);
      fault.kind = draw.kind;
      uint32_t population = draw.targetsManager ? managers : agents;
      fault.target = static_cast<uint32_t>(prng.uniform(population == 0 ? 1 : population));
      Duration base = settings.length > Duration() ? settings.length : Duration::seconds(5);
      fault.length = base / 2 + prng.uniformDuration(base);
      // Whole milliseconds, so that a schedule printed for a replay reads back exactly.
      fault.at = Instant::origin() +
                 Duration::milliseconds((fault.at - Instant::origin()).count() / 1'000'000);
      fault.length = Duration::milliseconds(fault.length.count() / 1'000'000);
      if (settings.enabled) faults.push_back(fault);
    }
  }
  std::stable_sort(faults.begin(), faults.end(),
                   [](const Fault& a, const Fault& b) { return a.at < b.at; });
  return faults;
}

}  // namespace swarmlet::sim
