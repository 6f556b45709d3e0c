// The on-disk records of the agent's and the manager's stores (schemas/storage.capnp): each record
// is one Cap'n Proto message in flat-array form. Encoding a core value cannot fail; decoding
// validates everything (ids, enum values, sizes against core/limits.h) because a store directory
// may have been written by another version or damaged. The store (io/*-store.h) maps records to
// keys; this file only says what one record's bytes are.
//
// Decoding takes aligned words (io/codec.h, wordsFromBytes, turns a LevelDB value into them),
// never throws, and names the first bad field ("task.status.state: unknown value 901"); the
// store adds the key. Stateless functions; safe from any thread.
#pragma once

#include <capnp/common.h>
#include <kj/array.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/agent/store.h"
#include "core/manager/store.h"
#include "core/types.h"
#include "io/decoded.h"

namespace swarmlet::io {

kj::Array<capnp::word> encodeStoredTask(const agent::StoredTask& record);
Decoded<agent::StoredTask> decodeStoredTask(kj::ArrayPtr<const capnp::word> words);

// The agent's saved manager list (PersistManagers), read back at start to seed Start::managers.
// A list longer than MANAGERS_MAX is truncated to its first MANAGERS_MAX entries.
kj::Array<capnp::word> encodePeers(const std::vector<Peer>& peers);
Decoded<std::vector<Peer>> decodePeers(kj::ArrayPtr<const capnp::word> words);

// Besides the field checks, a service record's spec must be one the manager could have stored
// (a name and a command, replicas in [0, SERVICE_REPLICAS_MAX] and 0 for a global service,
// no negative policy value).
kj::Array<capnp::word> encodeManagerRecord(const manager::Record& record);
Decoded<manager::Record> decodeManagerRecord(kj::ArrayPtr<const capnp::word> words);

// --- the store's metadata (storage.capnp, StoreMeta) ------------------------------------------

// The layout version this binary writes and reads (storage.capnp, storeSchemaVersion).
inline constexpr uint32_t STORE_SCHEMA_VERSION = 1;

enum class StoreKind : uint8_t { AGENT, MANAGER };

// Kept under a store's metadata key, written when the store is created.
struct StoreMeta {
  uint32_t schemaVersion = STORE_SCHEMA_VERSION;
  StoreKind kind = StoreKind::AGENT;

  bool operator==(const StoreMeta&) const = default;
};

kj::Array<capnp::word> encodeStoreMeta(const StoreMeta& meta);
Decoded<StoreMeta> decodeStoreMeta(kj::ArrayPtr<const capnp::word> words);

// Whether this binary may open a store whose metadata is `meta` as a store of `expected` kind:
// nullopt if so, otherwise one line saying what is wrong and what to do (a newer layout, another
// kind of store).
std::optional<std::string> checkStoreMeta(const StoreMeta& meta, StoreKind expected);

}  // namespace swarmlet::io
