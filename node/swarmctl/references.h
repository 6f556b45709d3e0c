// The references of the command line resolved against the cluster as it is now: each function
// lists the records of its kind, resolves `ref` among them (resolve.h: exact id, name, unique id
// prefix) and fails REFUSED, with describe()'s line, when nothing or several match. Secrets and
// configs go through resolveOrFail with their candidates (views.h), which their commands list
// anyway. Thread-safety: that of the Connection.
#pragma once

#include <string>
#include <vector>

#include "core/task.h"
#include "node/swarmctl/connection.h"
#include "node/swarmctl/resolve.h"

namespace swarmlet::swarmctl {

// The id `ref` names among `candidates`, or the Failure.
std::string resolveOrFail(const std::vector<Candidate>& candidates, const std::string& ref,
                          const RecordKind& kind);

NodeId resolveNode(Connection& control, const std::string& ref);
ServiceId resolveService(Connection& control, const std::string& ref);
TaskId resolveTask(Connection& control, const std::string& ref);

}  // namespace swarmlet::swarmctl
