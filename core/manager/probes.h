// The manager core's probes (core/probes.h): the rare paths of the dispatcher, assignment
// streams, orchestrator and control API, each counted when taken. Manager::probes() reads them.
#pragma once

#include <array>
#include <string_view>

#include "core/probes.h"

namespace swarmlet::manager {

enum class ManagerProbe : uint8_t {
  REGISTRATION_RATE_LIMITED,   // a registration refused by the rate limit
  REGISTRATION_SUPERSEDED,     // a registration answered ABORTED: a newer one came in its batch
  SESSION_RESUMED,             // a session request that resumed the node's current session
  RESUME_AFTER_SESSION_ENDED,  // a resume whose session ended while it waited for the flush
  SESSION_REPLACED,            // a registration that ended the node's open session
  STALE_SESSION_REFUSED,       // a heartbeat or status call on a session that is not current
  FOREIGN_STATUS_REFUSED,      // a status call naming another node's task, refused whole
  STATUS_FOR_UNKNOWN_TASK,     // a status update for a task the manager does not know
  STATUS_NOT_NEWER_IGNORED,    // a status update that would move a task backwards, or repeats
  RESYNC_SERVED,               // an agent's resync request answered with a COMPLETE set
  NODE_EXPIRED,                // a node's heartbeat lapsed: marked DOWN
  TASKS_ORPHANED,              // a node DOWN long enough for its tasks to become ORPHANED
  INCREMENTAL_OVER_CAP,        // a stream's changes reached the INCREMENTAL cap
  RESTART_DELAYED,             // a finished task's unit waits out the restart delay
  RESTART_CONDITION_DECLINED,  // a finished task not restarted: the policy's condition says no
  RESTART_LIMIT_REACHED,       // a finished task not restarted: max attempts in the window
  ROLLING_UPDATE_BATCH,        // a rolling update replaced a batch of tasks
  SERVICE_SCALED_DOWN,         // a live task stopped because its slot is beyond the replicas
  NODE_LEFT_WITH_LIVE_TASKS,   // a node that stopped keeping tasks had live ones to replace
  NODE_REMOVED,                // a node removed from the cluster
  DEPENDENCY_REMOVAL_REFUSED,  // a secret or config removal refused: a service uses it
  MANAGERS_CHANGED,            // the managers list changed
  COUNT,
};

inline constexpr std::array<std::string_view, static_cast<size_t>(ManagerProbe::COUNT)>
    MANAGER_PROBE_NAMES = {
        "manager.registration-rate-limited",
        "manager.registration-superseded",
        "manager.session-resumed",
        "manager.resume-after-session-ended",
        "manager.session-replaced",
        "manager.stale-session-refused",
        "manager.foreign-status-refused",
        "manager.status-for-unknown-task",
        "manager.status-not-newer-ignored",
        "manager.resync-served",
        "manager.node-expired",
        "manager.tasks-orphaned",
        "manager.incremental-over-cap",
        "manager.restart-delayed",
        "manager.restart-condition-declined",
        "manager.restart-limit-reached",
        "manager.rolling-update-batch",
        "manager.service-scaled-down",
        "manager.node-left-with-live-tasks",
        "manager.node-removed",
        "manager.dependency-removal-refused",
        "manager.managers-changed",
};

inline std::string_view probeName(ManagerProbe probe) {
  return MANAGER_PROBE_NAMES[static_cast<size_t>(probe)];
}

using ManagerProbes = ProbeCounts<ManagerProbe>;

}  // namespace swarmlet::manager
