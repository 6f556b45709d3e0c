// The faults of one run, drawn up front from the faults stream: a list of timed events (a
// partition from t to t+d, an agent crash and its restart, a leader change, ...). Per-message
// faults (drop, duplicate, delay, reorder) live in the network instead. Because the schedule is
// a plain list, shrinking a failing run is removing entries from it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.h"
#include "sim/profile.h"

namespace swarmlet::sim {

enum class FaultKind : uint8_t {
  SESSION_DROP,    // the agent's session stream ends (connection reset)
  ISOLATE_AGENT,   // the agent is cut from every manager, both ways
  ISOLATE_LEADER,  // the leader is cut from everyone
  SPLIT_MANAGERS,  // managers cannot reach one another
  ONE_WAY,         // agent -> managers cut, managers -> agent still flows
  AGENT_CRASH,     // killed, restarted after `length`
  MANAGER_CRASH,   // killed, restarted after `length`
  LEADER_CHANGE,   // leadership moves (after an election delay of `length`)
  PROMOTE,         // the node is asked to become a manager (role notification only)
  DEMOTE,
  LEAVE,          // the node leaves the cluster
  EXECUTOR_HANG,  // the task's process stops answering (WAIT never ends, SHUTDOWN slow)
  // Armed at its time, fired at the leader's next commit of reported statuses that writes a
  // task at a settled state (running, or an end state): the leader crashes right after it
  // answered them and before any follower has the writes (the window in which acknowledged
  // statuses are lost), restarted after `length`. A uniformly timed crash almost never lands in
  // that window; this one always does, and loses a status the agent will not soon replace.
  LEADER_CRASH_AFTER_COMMIT,
};

struct Fault {
  Instant at;
  FaultKind kind = FaultKind::SESSION_DROP;
  // The agent or manager index the fault targets (where it targets one).
  uint32_t target = 0;
  Duration length;

  bool operator==(const Fault&) const = default;
};

std::string format(FaultKind kind);
std::string format(const Fault& fault);

// Draws the schedule for a run of `duration` over `agents` agents and `managers` managers.
std::vector<Fault> drawFaultSchedule(uint64_t seed, const Profile& profile, Duration duration,
                                     uint32_t agents, uint32_t managers);

}  // namespace swarmlet::sim
