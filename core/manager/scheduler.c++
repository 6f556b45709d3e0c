// The scheduler: places PENDING tasks on READY, ACTIVE nodes, spreading each service over the
// nodes with the fewest of its tasks, then the fewest tasks overall, then by node id. A global
// task waits for its own node. Nothing is placed on a node whose heartbeat lapsed: such a node is
// DOWN before the scheduler runs in the same step.
#include <kj/debug.h>

#include <algorithm>

#include "core/manager/manager.h"

namespace swarmlet::manager {
namespace {

constexpr const char* NO_NODE_MESSAGE = "no suitable node";

}  // namespace

// The candidate order is candidates_, kept up to date by every load and node change (records.c++),
// so each placement is a lookup: the node with the fewest tasks of the service, then the fewest
// tasks, then the smallest id, counting the placements made so far in this pass.
void Manager::schedule() {
  if (pendingTasks_.empty()) return;
  ClusterState& cluster = state_.cluster;
  std::map<ServiceId, std::vector<std::pair<uint64_t, TaskId>>> byService;
  for (const TaskId& id : pendingTasks_) {
    const Task& task = cluster.tasks.at(id);
    byService[task.serviceId].emplace_back(task.slot, id);
  }
  auto assign = [&](const TaskId& id, const NodeId& node) {
    Task task = cluster.tasks.at(id);
    KJ_ASSERT(candidates_.eligible(node), "placing on a node that is not READY and ACTIVE");
    task.nodeId = node;
    task.status = TaskStatus{TaskState::ASSIGNED, now_, "scheduler assigned task to node", "", {}};
    putTask(std::move(task));  // counts the task towards the node's load
  };
  auto unplaced = [&](const TaskId& id) {
    Task task = cluster.tasks.at(id);
    if (task.status.message == NO_NODE_MESSAGE) return;
    task.status.message = NO_NODE_MESSAGE;
    task.status.timestamp = now_;
    putTask(std::move(task));
  };
  for (auto& [serviceId, pending] : byService) {
    std::sort(pending.begin(), pending.end());
    for (const auto& [slot, id] : pending) {
      const NodeId& fixed = cluster.tasks.at(id).nodeId;
      if (!fixed.empty()) {
        if (candidates_.eligible(fixed)) {
          assign(id, NodeId(fixed));
        } else {
          unplaced(id);
        }
        continue;
      }
      const NodeId* best = candidates_.best(serviceId);
      if (best == nullptr) {
        unplaced(id);
        continue;
      }
      assign(id, NodeId(*best));  // a copy: the placement re-keys the index
    }
  }
}

}  // namespace swarmlet::manager
