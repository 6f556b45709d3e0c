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

}  // namespace swarmlet::limits
