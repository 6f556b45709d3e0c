// The agent core's probes (core/probes.h): the rare paths of the session, worker, task runner
// and reporter, each counted when taken. Agent::probes() reads them.
#pragma once

#include <array>
#include <string_view>

#include "core/probes.h"

namespace swarmlet::agent {

enum class AgentProbe : uint8_t {
  STALE_SESSION_COMPLETION,       // a completion of a superseded session generation ignored
  OPEN_TIMED_OUT,                 // a session open outlived SESSION_START_TIMEOUT
  HEARTBEAT_TIMED_OUT,            // a heartbeat went unanswered past its timeout
  STATUS_REPORT_TIMED_OUT,        // a status batch went unanswered past STATUS_SEND_TIMEOUT
  BACKOFF_AT_MAX,                 // a session failure with the backoff already at its maximum
  CREDENTIALS_REFUSED,            // stopped: the first session was refused as unauthenticated
  ASSIGNMENT_GAP_RESYNCED,        // an INCREMENTAL that does not chain: the stream reopened
  INCREMENTAL_IGNORED_AFTER_GAP,  // a further INCREMENTAL while a resync is outstanding
  ASSIGNMENTS_WHILE_LEAVING,      // assignments ignored because the node is leaving
  TASK_UNASSIGNED,                // a task left the assignment set and is being shut down
  STALE_EXECUTOR_COMPLETION,      // an executor completion for a canceled or forgotten operation
  EXECUTOR_CALL_RETRIED,          // an executor failure that is retried after a delay
  TASKS_RESTORED,                 // a start that restored tasks from the store
  LEFT_WITH_TASKS,                // a leave that began with tasks still held
  STATUSES_UNKNOWN_TO_MANAGER,    // a status batch refused with NOT_FOUND, counted as delivered
  MANAGERS_LIST_CHANGED,          // a session message changed the remotes
  ROLE_CHANGED,                   // a session message changed the node's desired role
  STALE_NODE_DESCRIPTION,         // a node description answered after a newer request
  COUNT,
};

inline constexpr std::array<std::string_view, static_cast<size_t>(AgentProbe::COUNT)>
    AGENT_PROBE_NAMES = {
        "agent.stale-session-completion",
        "agent.open-timed-out",
        "agent.heartbeat-timed-out",
        "agent.status-report-timed-out",
        "agent.backoff-at-max",
        "agent.credentials-refused",
        "agent.assignment-gap-resynced",
        "agent.incremental-ignored-after-gap",
        "agent.assignments-while-leaving",
        "agent.task-unassigned",
        "agent.stale-executor-completion",
        "agent.executor-call-retried",
        "agent.tasks-restored",
        "agent.left-with-tasks",
        "agent.statuses-unknown-to-manager",
        "agent.managers-list-changed",
        "agent.role-changed",
        "agent.stale-node-description",
};

inline std::string_view probeName(AgentProbe probe) {
  return AGENT_PROBE_NAMES[static_cast<size_t>(probe)];
}

using AgentProbes = ProbeCounts<AgentProbe>;

}  // namespace swarmlet::agent
