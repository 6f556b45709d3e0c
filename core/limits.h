// Every bound, timeout, retry and backoff constant of the core, in one place. Values follow
// SwarmKit where it has one (see docs/decisions.md for where we depart); relations between
// constants are checked at compile time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/time.h"

namespace swarmlet::limits {

// --- Session (agent/agent.go, agent/session.go) ------------------------------------------------

// The first backoff after a failure; each further failure gives min(initial + 2 * b, max).
inline constexpr Duration SESSION_BACKOFF_INITIAL = Duration::milliseconds(100);
inline constexpr Duration SESSION_BACKOFF_MAX = Duration::seconds(8);
// How long opening a session (the Session call and its first message) may take.
inline constexpr Duration SESSION_START_TIMEOUT = Duration::seconds(5);
// How long one heartbeat call may take before the session counts as failed.
inline constexpr Duration HEARTBEAT_TIMEOUT = Duration::seconds(5);
// Heartbeat periods a manager may ask for; the codec rejects anything outside.
inline constexpr Duration HEARTBEAT_PERIOD_MIN = Duration::milliseconds(10);
inline constexpr Duration HEARTBEAT_PERIOD_MAX = Duration::hours(1);
// How often the agent asks the executor for a fresh node description.
inline constexpr Duration NODE_DESCRIPTION_REFRESH_PERIOD = Duration::seconds(20);

static_assert(SESSION_BACKOFF_INITIAL < SESSION_BACKOFF_MAX);
static_assert(HEARTBEAT_PERIOD_MIN < HEARTBEAT_PERIOD_MAX);

// --- Remotes (remotes/remotes.go) ---------------------------------------------------------------

// Weights are clipped to [-REMOTE_WEIGHT_MAX, REMOTE_WEIGHT_MAX].
inline constexpr int64_t REMOTE_WEIGHT_MAX = 256;
// The weight a manager list (and a success) observes; failures observe its negative.
inline constexpr int64_t REMOTE_WEIGHT_DEFAULT = 10;
// Added to every candidate's weight when selecting, so a peer at weight 0 can still be chosen.
inline constexpr double REMOTE_SELECTION_BIAS = 0.001;
// The most managers an agent remembers; a longer list in a session message is truncated by the
// codec.
inline constexpr size_t MANAGERS_MAX = 64;

static_assert(REMOTE_WEIGHT_DEFAULT <= REMOTE_WEIGHT_MAX);

// --- Session messages ---------------------------------------------------------------------------

inline constexpr size_t NETWORK_KEYS_MAX = 16;
inline constexpr size_t ID_LENGTH_MAX = 128;
inline constexpr size_t ADDRESS_LENGTH_MAX = 256;
inline constexpr size_t HOSTNAME_LENGTH_MAX = 255;
inline constexpr size_t ERROR_MESSAGE_LENGTH_MAX = 1024;

// --- Worker (agent/worker.go, agent/task.go, agent/reporter.go) ----------------------------------

// The first retry of a failed executor step waits this long (SwarmKit's fixed retry delay);
// each further failure in a row doubles it, up to TASK_RETRY_MAX (SwarmKit retries some
// failures without any delay and spins; see docs/agent-work-half.md).
inline constexpr Duration TASK_RETRY_INITIAL = Duration::seconds(1);
inline constexpr Duration TASK_RETRY_MAX = Duration::seconds(32);
// The most tasks one node holds (assigned plus being removed). The manager never assigns more;
// an assignment that would exceed it is a caller bug.
inline constexpr size_t TASKS_MAX = 100'000;
inline constexpr size_t SECRETS_MAX = 10'000;
inline constexpr size_t CONFIGS_MAX = 10'000;
// The most changes in one assignments message (a COMPLETE lists everything); the codec refuses
// longer messages.
inline constexpr size_t ASSIGNMENT_CHANGES_MAX = TASKS_MAX + SECRETS_MAX + CONFIGS_MAX;
// Status updates in one SendStatuses. One batch is in flight at a time, so a task's statuses
// reach the manager in order.
inline constexpr size_t STATUS_BATCH_MAX = 100;
// The reporter keeps one pending status per known task, so its map is bounded by the tasks.
inline constexpr size_t STATUSES_PENDING_MAX = TASKS_MAX;

static_assert(TASK_RETRY_INITIAL > Duration());
static_assert(TASK_RETRY_INITIAL <= TASK_RETRY_MAX);
// The doubling reaches the bound within a few dozen failures; retryDelay relies on it.
static_assert(TASK_RETRY_MAX <= TASK_RETRY_INITIAL * (int64_t{1} << 30));
static_assert(STATUS_BATCH_MAX >= 1 && STATUS_BATCH_MAX <= STATUSES_PENDING_MAX);
static_assert(ASSIGNMENT_CHANGES_MAX >= TASKS_MAX);

}  // namespace swarmlet::limits
