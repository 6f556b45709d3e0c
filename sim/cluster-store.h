// The manager's store as the simulator keeps it: the records a series of Persist writes leaves,
// and the snapshot a (new) leader starts from. Plain values.
#pragma once

#include "core/manager/state.h"
#include "core/manager/store.h"

namespace swarmlet::sim {

void applyWrite(manager::ClusterState& store, const manager::Write& write);
manager::StoreSnapshot snapshotOf(const manager::ClusterState& store);

}  // namespace swarmlet::sim
