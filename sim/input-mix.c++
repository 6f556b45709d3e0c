#include "sim/input-mix.h"

#include <cmath>

#include "core/prng.h"

namespace swarmlet::sim {
namespace {

// Its own stream: the mix leaves the profile, faults, workload and every other draw as they were.
constexpr uint64_t INPUT_MIX_STREAM = 7;

}  // namespace

bool quietInputs(const FaultSelection& faults) {
  return faults.mode != FaultSelection::Mode::DEFAULT && faults.mode != FaultSelection::Mode::HEAVY;
}

InputMix drawInputMix(uint64_t seed, bool quiet) {
  InputMix mix;
  if (quiet) return mix;
  Prng prng(Prng::deriveSeed(seed, INPUT_MIX_STREAM));
  // Every coin is drawn in the same order whatever came before.
  mix.invalidControls = prng.uniform(2) == 1;
  mix.nodeRoles = prng.uniform(2) == 1;
  mix.managerLists = prng.uniform(2) == 1;
  mix.hostileAgents = prng.uniform(2) == 1;
  mix.descriptions = prng.uniform(2) == 1;
  mix.badCredentials = prng.uniform(2) == 1;
  if (prng.uniform(2) == 1) {
    mix.heartbeatPeriod =
        Duration::microseconds(static_cast<int64_t>(600'000 * std::pow(16.0, prng.uniformUnit())));
  }
  mix.badJoin = prng.uniform(2) == 1;
  mix.restarts = prng.uniform(2) == 1;
  mix.overtakingPushes = prng.uniform(2) == 1;
  return mix;
}

bool disableInput(InputMix& mix, std::string_view name) {
  bool* families[] = {&mix.invalidControls, &mix.nodeRoles,    &mix.managerLists,
                      &mix.hostileAgents,   &mix.descriptions, &mix.badCredentials,
                      &mix.badJoin,         &mix.restarts,     &mix.overtakingPushes};
  for (size_t i = 0; i < std::size(families); ++i) {
    if (name != INPUT_FAMILY_NAMES[i]) continue;
    *families[i] = false;
    return true;
  }
  if (name != INPUT_FAMILY_NAMES.back()) return false;
  mix.heartbeatPeriod = limits::MANAGER_HEARTBEAT_PERIOD;
  return true;
}

std::vector<std::string> inputFamiliesOn(const InputMix& mix) {
  std::vector<std::string> on;
  for (std::string_view name : INPUT_FAMILY_NAMES) {
    InputMix off = mix;
    disableInput(off, name);
    if (!(off == mix)) on.emplace_back(name);
  }
  return on;
}

std::string format(const InputMix& mix) {
  std::string text;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!text.empty()) text += ' ';
    text += name;
  };
  add(mix.invalidControls, "invalid-controls");
  add(mix.nodeRoles, "node-roles");
  add(mix.managerLists, "manager-lists");
  add(mix.hostileAgents, "hostile-agents");
  add(mix.descriptions, "descriptions");
  add(mix.badCredentials, "bad-credentials");
  add(mix.badJoin, "bad-join");
  add(mix.restarts, "restarts");
  add(mix.overtakingPushes, "overtaking-pushes");
  std::string period = "heartbeat=" + formatDuration(mix.heartbeatPeriod);
  add(mix.heartbeatPeriod != limits::MANAGER_HEARTBEAT_PERIOD, period.c_str());
  return text.empty() ? "plain" : text;
}

}  // namespace swarmlet::sim
