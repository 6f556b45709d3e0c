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
// How long one status batch may wait for its answer before the session counts as failed. A
// manager that heartbeats but never answers a batch would otherwise hold every later status for
// ever (SwarmKit sets no deadline); twice the heartbeat timeout, so that a merely slow manager
// (a large batch behind a slow commit) is not left sooner than a dead one (docs/decisions.md).
inline constexpr Duration STATUS_SEND_TIMEOUT = Duration::seconds(10);
// Heartbeat periods a manager may ask for; the codec rejects anything outside.
inline constexpr Duration HEARTBEAT_PERIOD_MIN = Duration::milliseconds(10);
inline constexpr Duration HEARTBEAT_PERIOD_MAX = Duration::hours(1);
// How often the agent asks the executor for a fresh node description.
inline constexpr Duration NODE_DESCRIPTION_REFRESH_PERIOD = Duration::seconds(20);

static_assert(SESSION_BACKOFF_INITIAL < SESSION_BACKOFF_MAX);
static_assert(HEARTBEAT_PERIOD_MIN < HEARTBEAT_PERIOD_MAX);
static_assert(STATUS_SEND_TIMEOUT >= HEARTBEAT_TIMEOUT);

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

// --- Manager (manager/dispatcher/dispatcher.go, nodes.go; manager/orchestrator) ---------------

namespace swarmlet::limits {

// The cluster's default heartbeat period; each answer draws period + U[-epsilon, +epsilon).
inline constexpr Duration MANAGER_HEARTBEAT_PERIOD = Duration::seconds(5);
inline constexpr Duration MANAGER_HEARTBEAT_EPSILON = Duration::milliseconds(500);
// A node is DOWN after this many chosen periods without a heartbeat.
inline constexpr int64_t HEARTBEAT_GRACE_MULTIPLIER = 3;
// After a restart or leader change, nodes get this many periods to come back (UNKNOWN first).
inline constexpr int64_t HEARTBEAT_UNKNOWN_MULTIPLIER = 2 * HEARTBEAT_GRACE_MULTIPLIER;
// Registration throttling: at most REGISTRATION_RATE_COUNT in chains less than the period apart.
inline constexpr Duration REGISTRATION_RATE_PERIOD = Duration::seconds(8);
inline constexpr int64_t REGISTRATION_RATE_COUNT = 3;
// Status updates and node changes are written in one batch at least this often...
inline constexpr Duration UPDATE_BATCH_INTERVAL = Duration::milliseconds(100);
// ...or as soon as this many task statuses are queued.
inline constexpr size_t UPDATE_BATCH_ITEMS_MAX = 10000;
// The codec refuses status calls with more updates than this.
inline constexpr size_t STATUS_UPDATES_PER_CALL_MAX = 10000;
// An INCREMENTAL assignment is sent after this long without further changes...
inline constexpr Duration ASSIGNMENT_QUIET_PERIOD = Duration::milliseconds(100);
// ...or as soon as this many changes are pending; no INCREMENTAL carries more changes.
inline constexpr size_t INCREMENTAL_CHANGES_MAX = 100;
// Tasks of a node DOWN for this long that still claim to run become ORPHANED.
inline constexpr Duration NODE_ORPHAN_PERIOD = Duration::hours(24);
// Finished tasks kept per slot (replicated) or node (global) for `task ls`; older ones are
// deleted and their agents told to remove them.
inline constexpr size_t TASK_HISTORY_RETENTION = 5;
// Control API bounds.
inline constexpr int64_t SERVICE_REPLICAS_MAX = 100000;
inline constexpr size_t NAME_LENGTH_MAX = 64;
inline constexpr size_t SECRET_DATA_BYTES_MAX = 500 * 1024;
inline constexpr size_t COMMAND_LENGTH_MAX = 4096;
// Ids the manager draws: a kind letter and this many base-36 characters from its PRNG.
inline constexpr size_t MANAGER_ID_RANDOM_CHARS = 8;

static_assert(MANAGER_HEARTBEAT_EPSILON * 2 < MANAGER_HEARTBEAT_PERIOD);
static_assert(MANAGER_HEARTBEAT_PERIOD - MANAGER_HEARTBEAT_EPSILON >= HEARTBEAT_PERIOD_MIN);
static_assert(MANAGER_HEARTBEAT_PERIOD + MANAGER_HEARTBEAT_EPSILON <= HEARTBEAT_PERIOD_MAX);
static_assert(HEARTBEAT_UNKNOWN_MULTIPLIER > HEARTBEAT_GRACE_MULTIPLIER);
static_assert(REGISTRATION_RATE_COUNT >= 1);
// A registration waits for the next flush; it must come well before the agent gives up.
static_assert(UPDATE_BATCH_INTERVAL < SESSION_START_TIMEOUT);
static_assert(ASSIGNMENT_QUIET_PERIOD < MANAGER_HEARTBEAT_PERIOD);
static_assert(STATUS_UPDATES_PER_CALL_MAX <= UPDATE_BATCH_ITEMS_MAX);
static_assert(INCREMENTAL_CHANGES_MAX >= 1 && TASK_HISTORY_RETENTION >= 1);
static_assert(NAME_LENGTH_MAX <= ID_LENGTH_MAX);

}  // namespace swarmlet::limits
