// The `ls` tables of the contract, one function per kind, with the header rows exactly as the
// contract writes them. Pure functions; the rows keep the order of the views given (views.h
// sorts them).
#pragma once

#include <vector>

#include "io/codec-control.h"
#include "node/swarmctl/table.h"
#include "node/swarmctl/views.h"

namespace swarmlet::swarmctl {

// ID  HOSTNAME  STATUS  AVAILABILITY  MANAGER STATUS
Table nodeTable(const std::vector<NodeView>& nodes);
// ID  NAME  MODE  REPLICAS  COMMAND   (REPLICAS "running/desired")
Table serviceTable(const std::vector<ServiceView>& services);
// ID  NAME  NODE  DESIRED STATE  CURRENT STATE  MESSAGE
Table taskTable(const std::vector<TaskView>& tasks);
// ID  NAME  SIZE   (SIZE in bytes)
Table secretTable(const std::vector<io::SecretInfo>& secrets);
Table configTable(const std::vector<io::ConfigInfo>& configs);

// The command line a service runs: the command and its arguments, separated by spaces.
std::string commandLine(const TaskSpec& spec);
// A task's message column: its status message, and its error after ": " when there is one.
std::string taskMessage(const TaskStatus& status);

}  // namespace swarmlet::swarmctl
