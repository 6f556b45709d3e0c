// The on-disk records of the agent's and the manager's stores (schemas/storage.capnp): each record
// is one Cap'n Proto message in flat-array form. Encoding a core value cannot fail; decoding
// validates everything (ids, enum values, sizes against core/limits.h) because a store directory
// may have been written by another version or damaged. The store (io/*-store.h) maps records to
// keys; this file only says what one record's bytes are.
#pragma once

#include <capnp/common.h>
#include <kj/array.h>

#include <vector>

#include "core/agent/store.h"
#include "core/manager/store.h"
#include "core/types.h"
#include "io/decoded.h"

namespace swarmlet::io {

kj::Array<capnp::word> encodeStoredTask(const agent::StoredTask& record);
Decoded<agent::StoredTask> decodeStoredTask(kj::ArrayPtr<const capnp::word> words);

// The agent's saved manager list (PersistManagers), read back at start to seed Start::managers.
kj::Array<capnp::word> encodePeers(const std::vector<Peer>& peers);
Decoded<std::vector<Peer>> decodePeers(kj::ArrayPtr<const capnp::word> words);

kj::Array<capnp::word> encodeManagerRecord(const manager::Record& record);
Decoded<manager::Record> decodeManagerRecord(kj::ArrayPtr<const capnp::word> words);

}  // namespace swarmlet::io
