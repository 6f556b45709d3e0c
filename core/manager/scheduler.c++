// The scheduler: places PENDING tasks on READY, ACTIVE nodes, spreading each service over the
// nodes with the fewest of its tasks, then the fewest tasks overall, then by node id. A global
// task waits for its own node. Nothing is placed on a node whose heartbeat lapsed: such a node is
// DOWN before the scheduler runs in the same step.
#include <kj/debug.h>

#include <algorithm>
#include <tuple>

#include "core/manager/manager.h"

namespace swarmlet::manager {
namespace {

constexpr const char* NO_NODE_MESSAGE = "no suitable node";

}  // namespace

void Manager::schedule() {
  if (pendingTasks_.empty()) return;
  ClusterState& cluster = state_.cluster;
  std::map<NodeId, size_t> load;  // candidate nodes and their live tasks
  for (const auto& [id, node] : cluster.nodes) {
    if (node.status != NodeStatus::READY || node.availability != NodeAvailability::ACTIVE) continue;
    auto counted = nodeLoad_.find(id);
    load.emplace(id, counted == nodeLoad_.end() ? 0 : counted->second);
  }
  std::map<ServiceId, std::vector<std::pair<uint64_t, TaskId>>> byService;
  for (const TaskId& id : pendingTasks_) {
    const Task& task = cluster.tasks.at(id);
    byService[task.serviceId].emplace_back(task.slot, id);
  }
  auto assign = [&](const TaskId& id, const NodeId& node) {
    Task task = cluster.tasks.at(id);
    KJ_ASSERT(load.count(node) == 1, "placing on a node that is not READY and ACTIVE");
    task.nodeId = node;
    task.status = TaskStatus{TaskState::ASSIGNED, now_, "scheduler assigned task to node", "", {}};
    putTask(std::move(task));
    ++load[node];
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
    // (tasks of this service on the node, tasks on the node, node)
    std::set<std::tuple<size_t, size_t, NodeId>> candidates;
    auto serviceLoad = serviceNodeLoad_.find(serviceId);
    for (const auto& [node, count] : load) {
      size_t ofService = 0;
      if (serviceLoad != serviceNodeLoad_.end()) {
        auto counted = serviceLoad->second.find(node);
        if (counted != serviceLoad->second.end()) ofService = counted->second;
      }
      candidates.emplace(ofService, count, node);
    }
    for (const auto& [slot, id] : pending) {
      const NodeId& fixed = cluster.tasks.at(id).nodeId;
      if (!fixed.empty()) {
        if (load.count(fixed)) {
          assign(id, fixed);
        } else {
          unplaced(id);
        }
        continue;
      }
      if (candidates.empty()) {
        unplaced(id);
        continue;
      }
      auto [ofService, total, node] = *candidates.begin();
      candidates.erase(candidates.begin());
      assign(id, node);
      candidates.emplace(ofService + 1, total + 1, node);
    }
  }
}

}  // namespace swarmlet::manager
