// Swarm testing: each seed switches fault families on or off and draws their rates, so a sweep
// of seeds explores many different mixes of faults instead of one fixed blend. The profile is a
// value, drawn from its own PRNG stream (changing the workload leaves it alone), and printed at
// the start of every run.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"

namespace swarmlet::sim {

enum class FaultFamily : uint8_t {
  SESSION,        // session streams end, RPCs time out
  DELAY,          // long extra delays on messages
  DROP,           // messages lost
  DUPLICATE,      // messages delivered twice
  REORDER,        // messages overtaking each other
  PARTITION,      // isolate an agent, isolate the leader, split managers, one-way cuts
  AGENT_CRASH,    // agent processes killed (unsynced writes lost) and restarted
  MANAGER_CRASH,  // manager processes killed and restarted
  LEADER,         // leadership moves to another manager
  ROLE,           // nodes promoted and demoted
  LEAVE,          // nodes leave the cluster
  EXECUTOR,       // start failures, non-zero exits, hangs, slow stops
  CLOCK,          // per-agent clocks off true time: rate (the drawn fraction), offset, steps
};

inline constexpr size_t FAULT_FAMILY_COUNT = 13;

std::string format(FaultFamily family);
std::optional<FaultFamily> parseFaultFamily(const std::string& text);

// How faults are chosen: a named intensity, or an explicit list of families (each drawn at the
// default intensity, or at the intensity the list names).
struct FaultSelection {
  enum class Mode : uint8_t { NONE, LIGHT, DEFAULT, HEAVY, LIST } mode = Mode::DEFAULT;
  std::vector<FaultFamily> families;  // for LIST
  // For LIST: the rates' intensity (LIGHT, DEFAULT or HEAVY); every listed family is on.
  Mode intensity = Mode::DEFAULT;
};

// Parses "none", "light", "default", "heavy" or a comma-separated list of families, optionally
// after an intensity ("heavy:duplicate,reorder": only those families, at heavy rates).
std::optional<FaultSelection> parseFaultSelection(const std::string& text, std::string& error);

struct FamilySettings {
  bool enabled = false;
  // Events per simulated minute (for the whole cluster), or a probability per message for the
  // per-message families (DELAY, DROP, DUPLICATE, REORDER) and per operation for EXECUTOR.
  double rate = 0;
  // How long the fault lasts where that means something (partition, downtime, extra delay).
  Duration length;

  bool operator==(const FamilySettings&) const = default;
};

struct Profile {
  std::array<FamilySettings, FAULT_FAMILY_COUNT> families;
  // Every message's base one-way latency is drawn in [latencyMin, latencyMax].
  Duration latencyMin;
  Duration latencyMax;
  // How long a leader's committed write may wait before a quorum of followers has it (a leader
  // lost before then loses it): each write's lag is drawn in [1ms, 1ms + replicationLagMax].
  // Slow followers make the window wide, and with it the statuses a failover can lose.
  Duration replicationLagMax;

  const FamilySettings& operator[](FaultFamily f) const { return families[static_cast<size_t>(f)]; }
  FamilySettings& operator[](FaultFamily f) { return families[static_cast<size_t>(f)]; }
  bool operator==(const Profile&) const = default;
};

Profile drawProfile(uint64_t seed, const FaultSelection& selection);

// "latency=[1ms,4ms] session=0.8/min drop=2% partition=0.3/min(7s) ..." — enabled families only.
std::string format(const Profile& profile);

}  // namespace swarmlet::sim
