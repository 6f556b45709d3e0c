#include "node/swarmctl/references.h"

#include "node/swarmctl/failure.h"
#include "node/swarmctl/views.h"

namespace swarmlet::swarmctl {

std::string resolveOrFail(const std::vector<Candidate>& candidates, const std::string& ref,
                          const RecordKind& kind) {
  auto resolved = resolve(candidates, ref);
  if (auto* unresolved = std::get_if<Unresolved>(&resolved)) {
    fail(ExitCode::REFUSED, describe(*unresolved, kind, ref));
  }
  return std::get<std::string>(resolved);
}

NodeId resolveNode(Connection& control, const std::string& ref) {
  return NodeId{resolveOrFail(nodeCandidates(control.listNodes()), ref, NODE_KIND)};
}

ServiceId resolveService(Connection& control, const std::string& ref) {
  return ServiceId{resolveOrFail(serviceCandidates(control.listServices()), ref, SERVICE_KIND)};
}

TaskId resolveTask(Connection& control, const std::string& ref) {
  std::vector<Task> tasks = control.listTasks({});
  auto candidates = taskCandidates(tasks, control.listServices());
  return TaskId{resolveOrFail(candidates, ref, TASK_KIND)};
}

}  // namespace swarmlet::swarmctl
