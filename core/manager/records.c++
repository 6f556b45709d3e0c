// The choke point of every record change: the cluster maps, their indexes, the set of writes the
// next commit persists, and the assignment streams that must learn of the change all move
// together here, so no change can reach an agent without being persisted first.
#include <kj/debug.h>

#include <algorithm>

#include "core/manager/manager.h"

namespace swarmlet::manager {
namespace {

// Deterministic order: the writes of one commit go out by kind, then by id.
template <typename Id, typename Map, typename Make>
void materialize(std::set<Id>& dirty, const Map& records, RecordKind kind, Make make,
                 std::vector<Write>& writes) {
  // Both are sorted by id: walk them together when the batch is a large part of the records,
  // look each up otherwise.
  bool walk = dirty.size() * 8 >= records.size();
  auto cursor = records.begin();
  for (const Id& id : dirty) {
    auto it = records.end();
    if (walk) {
      while (cursor != records.end() && cursor->first < id)
        ++cursor;
      if (cursor != records.end() && cursor->first == id) it = cursor;
    } else {
      it = records.find(id);
    }
    if (it == records.end()) {
      writes.emplace_back(Delete{kind, id.value});
    } else {
      writes.emplace_back(Put{make(it->second)});
    }
  }
  dirty.clear();
}

bool waitsForScheduler(const Task& task) {
  return task.status.state == TaskState::PENDING && isLive(task);
}

}  // namespace

void Manager::putNode(NodeRecord node) {
  KJ_REQUIRE(!node.id.empty());
  auto& nodes = state_.cluster.nodes;
  auto it = nodes.find(node.id);
  bool agentVisible = it == nodes.end() || nodeInfo(it->second) != nodeInfo(node);
  if (agentVisible) nodeInfoChanged_.insert(node.id);
  node.version = nextVersion();
  dirtyNodes_.insert(node.id);
  candidates_.setEligible(node.id, schedulable(node));
  nodes[node.id] = std::move(node);
}

void Manager::putService(ServiceRecord service) {
  KJ_REQUIRE(!service.id.empty());
  dirtyServiceRecords_.insert(service.id);
  servicesToReconcile_.insert(service.id);
  state_.cluster.services[service.id] = std::move(service);
}

Task* Manager::findTask(const TaskId& id) {
  auto it = taskIndex_.find(id);
  return it == taskIndex_.end() ? nullptr : it->second;
}

void Manager::putTask(Task task) {
  KJ_REQUIRE(!task.id.empty());
  Task* before = findTask(task.id);
  if (before != nullptr) {
    KJ_ASSERT(task.status.state >= before->status.state, "a task status moved backwards",
              task.id.value);
    KJ_ASSERT(task.desiredState >= before->desiredState, "a desired state moved backwards",
              task.id.value);
    KJ_ASSERT(task.serviceId == before->serviceId && task.slot == before->slot);
    KJ_ASSERT(before->nodeId.empty() || task.nodeId == before->nodeId, "a task changed node");
  }
  indexTask(before, task);
  if (!task.nodeId.empty()) noteTaskChange(task.nodeId, task.id, before, &task);
  if (before != nullptr) {
    *before = std::move(task);
    dirtyTasks_.emplace_back(before->id, before);
  } else {
    TaskId id = task.id;
    auto [it, inserted] = state_.cluster.tasks.emplace(id, std::move(task));
    KJ_ASSERT(inserted);
    dirtyTasks_.emplace_back(id, &it->second);
    tasksByService_[it->second.serviceId].emplace(id, &it->second);
    taskIndex_.emplace(std::move(id), &it->second);
  }
}

// The agent-reported status of an assigned task: no index or stream changes (the agent does not
// get its own status back), so the record is updated in place.
const Task& Manager::setTaskStatus(Task& task, const TaskStatus& status) {
  KJ_REQUIRE(task.status.state >= TaskState::ASSIGNED, task.id.value);
  KJ_ASSERT(status.state >= task.status.state, "a task status moved backwards", task.id.value);
  // Statuses only move forward, so a status can end a task's load but never start it.
  bool occupied = occupies(task);
  if (occupied && isTerminal(status.state)) countLoad(task, -1);
  task.status = status;
  KJ_DASSERT(occupied || !occupies(task), "a status made a task occupy its node again");
  dirtyTasks_.emplace_back(task.id, &task);
  return task;
}

void Manager::indexTask(const Task* before, const Task& after) {
  if (before == nullptr || before->nodeId != after.nodeId) {
    if (before != nullptr && !before->nodeId.empty()) tasksByNode_[before->nodeId].erase(after.id);
    if (!after.nodeId.empty()) tasksByNode_[after.nodeId].insert(after.id);
  }
  bool counted = before != nullptr && !before->nodeId.empty() && occupies(*before);
  bool counts = !after.nodeId.empty() && occupies(after);
  if (counted != counts || (counted && before->nodeId != after.nodeId)) {
    if (before != nullptr) countLoad(*before, -1);
    countLoad(after, 1);
  }
  if (waitsForScheduler(after)) {
    pendingTasks_.insert(after.id);
  } else if (before != nullptr && waitsForScheduler(*before)) {
    pendingTasks_.erase(after.id);
  }
}

void Manager::countLoad(const Task& task, int64_t delta) {
  if (task.nodeId.empty() || !occupies(task)) return;
  candidates_.count(task.nodeId, task.serviceId, delta);
}

void Manager::putSecret(Secret secret) {
  dirtySecrets_.insert(secret.id);
  state_.cluster.secrets[secret.id] = std::move(secret);
}

void Manager::putConfig(Config config) {
  dirtyConfigs_.insert(config.id);
  state_.cluster.configs[config.id] = std::move(config);
}

void Manager::deleteNode(const NodeId& id) {
  KJ_REQUIRE(state_.cluster.nodes.count(id) == 1, id.value);
  KJ_ASSERT(tasksByNode_[id].empty(), "delete the node's tasks first", id.value);
  tasksByNode_.erase(id);
  candidates_.setEligible(id, false);
  state_.cluster.nodes.erase(id);
  dirtyNodes_.insert(id);
  nodeInfoChanged_.erase(id);
}

void Manager::deleteService(const ServiceId& id) {
  KJ_REQUIRE(state_.cluster.services.erase(id) == 1, id.value);
  dirtyServiceRecords_.insert(id);
}

void Manager::deleteTask(const TaskId& id) {
  auto& tasks = state_.cluster.tasks;
  auto it = tasks.find(id);
  KJ_REQUIRE(it != tasks.end(), id.value);
  const Task& task = it->second;
  if (!task.nodeId.empty()) {
    tasksByNode_[task.nodeId].erase(id);
    noteTaskChange(task.nodeId, id, &task, nullptr);
  }
  auto byService = tasksByService_.find(task.serviceId);
  byService->second.erase(id);
  if (byService->second.empty()) tasksByService_.erase(byService);
  countLoad(task, -1);
  pendingTasks_.erase(id);
  if (!batchTasks_.empty()) batchTasksStale_ = true;
  taskIndex_.erase(id);
  tasks.erase(it);
  dirtyTasks_.emplace_back(id, nullptr);
}

void Manager::deleteSecret(const SecretId& id) {
  KJ_REQUIRE(state_.cluster.secrets.erase(id) == 1, id.value);
  dirtySecrets_.insert(id);
}

void Manager::deleteConfig(const ConfigId& id) {
  KJ_REQUIRE(state_.cluster.configs.erase(id) == 1, id.value);
  dirtyConfigs_.insert(id);
}

// Nodes first, so a checker (or a reader of the store) sees a task's node before the task.
std::vector<Write> Manager::takeWrites() {
  const ClusterState& cluster = state_.cluster;
  std::vector<Write> writes;
  writes.reserve(dirtyNodes_.size() + dirtyServiceRecords_.size() + dirtyTasks_.size() +
                 dirtySecrets_.size() + dirtyConfigs_.size());
  auto copy = [](const auto& record) { return Record(record); };
  materialize(dirtyNodes_, cluster.nodes, RecordKind::NODE, copy, writes);
  materialize(dirtySecrets_, cluster.secrets, RecordKind::SECRET, copy, writes);
  materialize(dirtyConfigs_, cluster.configs, RecordKind::CONFIG, copy, writes);
  materialize(dirtyServiceRecords_, cluster.services, RecordKind::SERVICE, copy, writes);
  // A batch of statuses arrives in id order already; otherwise sort, keeping each id's entries
  // in the order they were made.
  auto byId = [](const auto& a, const auto& b) { return a.first < b.first; };
  if (!std::is_sorted(dirtyTasks_.begin(), dirtyTasks_.end(), byId)) {
    std::stable_sort(dirtyTasks_.begin(), dirtyTasks_.end(), byId);
  }
  for (size_t i = 0; i < dirtyTasks_.size(); ++i) {
    const auto& [id, task] = dirtyTasks_[i];
    if (i + 1 < dirtyTasks_.size() && dirtyTasks_[i + 1].first == id) continue;  // not the latest
    KJ_ASSERT(task == nullptr || task->id == id, id.value);
    if (task == nullptr) {
      writes.emplace_back(Delete{RecordKind::TASK, id.value});
    } else {
      writes.emplace_back(Put{*task});
    }
  }
  dirtyTasks_.clear();
  return writes;
}

std::vector<Task*> Manager::tasksOf(const ServiceId& service) const {
  std::vector<Task*> tasks;
  auto it = tasksByService_.find(service);
  if (it == tasksByService_.end()) return tasks;
  tasks.reserve(it->second.size());
  for (const auto& [id, task] : it->second)
    tasks.push_back(task);
  return tasks;
}

}  // namespace swarmlet::manager
