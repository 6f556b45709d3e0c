// The manager's durable store on LevelDB: one key per record, `v1/manager/<kind>/<id>` with kind
// one of node, service, task, secret, config (docs/store.md). The shell commits the Writes of
// every Persist of one loop turn here as one synced batch (group commit) before it executes the
// effects after them, and restores the whole store once, into manager::Start.
//
// Ownership: a ManagerStore borrows its LevelDbStore, which must outlive it. Thread-safety: none;
// the manager's event loop uses it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/manager/store.h"
#include "io/leveldb-store.h"

namespace swarmlet::io {

class ManagerStore {
 public:
  explicit ManagerStore(LevelDbStore& db);
  KJ_DISALLOW_COPY(ManagerStore);

  // Reads the whole store; each kind's records in id order. Refuses (CORRUPT, naming the key) a
  // record that does not decode, one of another kind or id than its key says, and a key of an
  // unknown kind.
  StoreResult<manager::StoreSnapshot> restore();

  // Applies `writes` in order as one synced batch: a Put replaces the record of its kind and id,
  // a Delete removes it (nothing when absent).
  [[nodiscard]] std::optional<StoreError> commit(const std::vector<manager::Write>& writes);

 private:
  LevelDbStore& db_;
};

inline constexpr std::string_view MANAGER_PREFIX = "v1/manager/";
// The key of a record of `kind` with id `id`.
std::string managerRecordKey(manager::RecordKind kind, std::string_view id);

}  // namespace swarmlet::io
