// The codec's own bounds: sizes of values that the core does not bound itself (it never needs
// to) but that a peer or a damaged store could make arbitrarily large, and the limits of a
// Cap'n Proto reader of untrusted bytes. The core's bounds (core/limits.h) apply as well; the
// full list, and where each bound comes from, is docs/codec.md. Constants only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/limits.h"

namespace swarmlet::io::limits {

using namespace swarmlet::limits;

// --- Strings the core leaves unbounded --------------------------------------------------------

// A node's platform ("linux/amd64"): SwarmKit's OS and architecture strings are short.
inline constexpr size_t PLATFORM_LENGTH_MAX = 256;
// Labels of one node, and the length of one label's key or value.
inline constexpr size_t NODE_LABELS_MAX = 256;
inline constexpr size_t LABEL_LENGTH_MAX = 1024;
// Arguments and environment entries of one task; an argument, or an environment entry's name or
// value, is at most as long as a command.
inline constexpr size_t TASK_ARGS_MAX = 1024;
inline constexpr size_t TASK_ENV_MAX = 1024;
inline constexpr size_t ARGUMENT_LENGTH_MAX = COMMAND_LENGTH_MAX;
// One network encryption key (SwarmKit's are 16 bytes); its subsystem is a name.
inline constexpr size_t ENCRYPTION_KEY_BYTES_MAX = 1024;
// A control query's `ref`: an id, a name or a node's hostname.
inline constexpr size_t REF_LENGTH_MAX = HOSTNAME_LENGTH_MAX;
// Records one control query returns (a whole cluster's tasks, history included).
inline constexpr size_t QUERY_RESULTS_MAX = 4 * TASKS_MAX;

static_assert(REF_LENGTH_MAX >= ID_LENGTH_MAX && REF_LENGTH_MAX >= NAME_LENGTH_MAX);
static_assert(ARGUMENT_LENGTH_MAX >= 1 && ENCRYPTION_KEY_BYTES_MAX >= 16);

// --- Readers of untrusted bytes (io/codec.h, readUntrusted) -----------------------------------

// Words a reader may traverse in one message before it gives up: bounds the work a hostile
// message can cause (Cap'n Proto counts every word it visits, so a message whose pointers
// overlap cannot amplify). 64 MiB, Cap'n Proto's default, holds a record many times over; a
// whole COMPLETE assignment set travels through the RPC system's own reader options instead
// (io drivers), which must be at least MESSAGE_TRAVERSAL_LIMIT_WORDS.
inline constexpr uint64_t RECORD_TRAVERSAL_LIMIT_WORDS = uint64_t{8} << 20;
// For one RPC message: a COMPLETE set of ASSIGNMENT_CHANGES_MAX modest tasks (about 60 words
// each) with room to spare. 512 MiB.
inline constexpr uint64_t MESSAGE_TRAVERSAL_LIMIT_WORDS = uint64_t{64} << 20;
// Pointer nesting a reader follows. Our deepest value (an assignment change's task's
// environment entry inside an RPC call) nests about a dozen levels.
inline constexpr int NESTING_LIMIT = 32;

static_assert(RECORD_TRAVERSAL_LIMIT_WORDS <= MESSAGE_TRAVERSAL_LIMIT_WORDS);

}  // namespace swarmlet::io::limits
