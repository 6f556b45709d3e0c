// What `inspect` prints without -o json: one "Key: value" line per field, lists indented below
// their key. `cluster inspect` follows the contract's lines exactly (ID, Leader, Managers, the
// two tokens); the other kinds show the same fields as their JSON. Pure functions; every result
// ends in '\n'.
#pragma once

#include <string>

#include "node/swarmctl/cluster-info.h"
#include "node/swarmctl/views.h"

namespace swarmlet::swarmctl {

// ID: <id>
// Leader: <node id>
// Managers:
//   <node id> <address>
// Worker token: SWMTKN-1-...
// Manager token: SWMTKN-1-...
std::string clusterText(const ClusterInfo& cluster);
std::string nodeText(const NodeView& view);
std::string serviceText(const ServiceView& view);
std::string taskText(const TaskView& view);

}  // namespace swarmlet::swarmctl
