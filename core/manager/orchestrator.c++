// The orchestrators (spec: SwarmKit manager/orchestrator): replicated services keep one live task
// per slot 1..replicas, global services one per eligible node; finished tasks go through the
// restart policy; tasks of DOWN or drained nodes are replaced; old finished tasks are reaped.
// A task is live while its desired state is at most RUNNING; stopping it raises the desired
// state to SHUTDOWN, so each unit has at most one live task at any time.
#include <kj/debug.h>

#include <algorithm>

#include "core/limits.h"
#include "core/manager/manager.h"

namespace swarmlet::manager {
namespace {

bool keepsTasks(const NodeRecord& node) {
  return node.status != NodeStatus::DOWN && node.availability != NodeAvailability::DRAIN;
}

bool acceptsTasks(const NodeRecord& node) {
  return node.status == NodeStatus::READY && node.availability == NodeAvailability::ACTIVE;
}

bool wantsRestart(RestartCondition condition, TaskState finalState) {
  switch (condition) {
    case RestartCondition::ANY:
      return true;
    case RestartCondition::ON_FAILURE:
      return finalState != TaskState::COMPLETE;
    case RestartCondition::NONE:
      return false;
  }
  KJ_UNREACHABLE;
}

// Erases the entries of `map` whose unit belongs to `service` and satisfies `drop`.
template <typename Map, typename Drop>
void eraseUnits(Map& map, const ServiceId& service, Drop drop) {
  for (auto it = map.lower_bound(UnitKey{service, 0, NodeId{}});
       it != map.end() && it->first.service == service;) {
    it = drop(it->first) ? map.erase(it) : std::next(it);
  }
}

}  // namespace

void Manager::reconcile() {
  if (globalsToReconcile_) {
    for (const auto& [id, service] : state_.cluster.services) {
      if (service.spec.mode == ServiceMode::GLOBAL) servicesToReconcile_.insert(id);
    }
    globalsToReconcile_ = false;
  }
  while (!servicesToReconcile_.empty()) {
    ServiceId id = *servicesToReconcile_.begin();
    servicesToReconcile_.erase(servicesToReconcile_.begin());
    auto it = state_.cluster.services.find(id);
    if (it == state_.cluster.services.end()) continue;
    // The passes below change tasks and orchestrator state, never service records.
    const ServiceRecord& service = it->second;
    if (service.spec.mode == ServiceMode::REPLICATED) {
      reconcileReplicated(service);
    } else {
      reconcileGlobal(service);
    }
    rollingUpdate(service, tasksOf(id));
    reapHistory(service);
  }
}

// Restarts whose delay has passed are consumed here; the rest keep their unit waiting.
std::set<UnitKey> Manager::takeWaitingRestarts(const ServiceId& service) {
  std::set<UnitKey> waiting;
  eraseUnits(state_.orchestrator.restartsDue, service, [&](const UnitKey& unit) {
    if (state_.orchestrator.restartsDue.at(unit) <= now_) return true;
    waiting.insert(unit);
    return false;
  });
  return waiting;
}

void Manager::reconcileReplicated(const ServiceRecord& service) {
  KJ_REQUIRE(service.spec.mode == ServiceMode::REPLICATED);
  uint64_t replicas = static_cast<uint64_t>(service.spec.replicas);
  std::set<UnitKey> waiting = takeWaitingRestarts(service.id);
  std::set<uint64_t> liveSlots;
  for (const Task* record : tasksOf(service.id)) {
    const Task& task = *record;
    if (!isLive(task)) continue;
    if (task.slot > replicas) {
      probes_.hit(ManagerProbe::SERVICE_SCALED_DOWN);
      TaskId id = task.id;  // a copy: the record may go
      stopTask(id);         // scaled down
      continue;
    }
    KJ_ASSERT(liveSlots.insert(task.slot).second, "two live tasks in one slot", task.id.value);
  }
  const OrchestratorState& orchestrator = state_.orchestrator;
  for (uint64_t slot = 1; slot <= replicas; ++slot) {
    UnitKey unit{service.id, slot, NodeId{}};
    if (liveSlots.count(slot) || waiting.count(unit) || orchestrator.deadUnits.count(unit)) {
      continue;
    }
    createTask(service, slot, NodeId{});
  }
  auto beyondScale = [&](const UnitKey& unit) { return unit.slot > replicas; };
  eraseUnits(state_.orchestrator.restartsDue, service.id, beyondScale);
  eraseUnits(state_.orchestrator.restartHistory, service.id, beyondScale);
  for (auto it = state_.orchestrator.deadUnits.lower_bound(UnitKey{service.id, 0, NodeId{}});
       it != state_.orchestrator.deadUnits.end() && it->service == service.id;) {
    it = it->slot > replicas ? state_.orchestrator.deadUnits.erase(it) : std::next(it);
  }
}

void Manager::reconcileGlobal(const ServiceRecord& service) {
  KJ_REQUIRE(service.spec.mode == ServiceMode::GLOBAL);
  std::set<UnitKey> waiting = takeWaitingRestarts(service.id);
  const auto& nodes = state_.cluster.nodes;
  std::set<NodeId> liveNodes;
  for (const Task* record : tasksOf(service.id)) {
    const Task& task = *record;
    if (!isLive(task)) continue;
    auto node = nodes.find(task.nodeId);
    if (node == nodes.end() || !keepsTasks(node->second)) {
      TaskId id = task.id;  // a copy: the record may go
      stopTask(id);         // the node is down, drained or gone
      continue;
    }
    KJ_ASSERT(liveNodes.insert(task.nodeId).second, "two live tasks on one node", task.id.value);
  }
  for (const auto& [id, node] : nodes) {
    UnitKey unit{service.id, 0, id};
    if (!acceptsTasks(node) || liveNodes.count(id) || waiting.count(unit) ||
        state_.orchestrator.deadUnits.count(unit)) {
      continue;
    }
    createTask(service, 0, id);
  }
}

// A task that finished while wanted running: stop it for good, then restart its unit after the
// delay unless the policy's condition or its attempts within the window say otherwise.
void Manager::onTaskFinished(const Task& finished) {
  KJ_REQUIRE(isLive(finished) && isTerminal(finished.status.state));
  Task task = finished;
  task.desiredState = TaskState::SHUTDOWN;
  task.version = nextVersion();
  putTask(task);
  auto service = state_.cluster.services.find(task.serviceId);
  KJ_ASSERT(service != state_.cluster.services.end());
  servicesToReconcile_.insert(task.serviceId);
  const RestartPolicy& policy = service->second.spec.restart;
  UnitKey unit = unitOf(task, service->second.spec.mode);
  OrchestratorState& orchestrator = state_.orchestrator;
  if (!wantsRestart(policy.condition, task.status.state)) {
    probes_.hit(ManagerProbe::RESTART_CONDITION_DECLINED);
    orchestrator.deadUnits.insert(unit);
    return;
  }
  if (policy.maxAttempts > 0) {
    std::vector<Instant>& history = orchestrator.restartHistory[unit];
    if (policy.window > Duration()) {
      std::erase_if(history, [&](Instant at) { return now_ - at >= policy.window; });
    }
    if (static_cast<int64_t>(history.size()) >= policy.maxAttempts) {
      probes_.hit(ManagerProbe::RESTART_LIMIT_REACHED);
      orchestrator.deadUnits.insert(unit);
      return;
    }
    history.push_back(now_);
  }
  if (policy.delay > Duration()) probes_.hit(ManagerProbe::RESTART_DELAYED);
  orchestrator.restartsDue[unit] = now_ + policy.delay;
}

// A node that stops keeping tasks (DOWN, drained, removed) has its live tasks stopped; their
// services replace them elsewhere. Global services look at every node again.
void Manager::onNodeChanged(const NodeId& id) {
  globalsToReconcile_ = true;
  auto node = state_.cluster.nodes.find(id);
  if (node != state_.cluster.nodes.end() && keepsTasks(node->second)) return;
  auto byNode = tasksByNode_.find(id);
  if (byNode == tasksByNode_.end()) return;
  std::vector<TaskId> onNode(byNode->second.begin(), byNode->second.end());
  bool sawLive = false;
  for (const TaskId& taskId : onNode) {
    const Task& task = state_.cluster.tasks.at(taskId);
    if (!isLive(task)) continue;
    if (!sawLive) probes_.hit(ManagerProbe::NODE_LEFT_WITH_LIVE_TASKS);
    sawLive = true;
    servicesToReconcile_.insert(task.serviceId);
    stopTask(taskId);
  }
}

// Tasks of a node DOWN for NODE_ORPHAN_PERIOD that still claim to run are marked ORPHANED.
void Manager::orphanTasks(const NodeId& id) {
  state_.orchestrator.downSince.erase(id);
  auto byNode = tasksByNode_.find(id);
  if (byNode == tasksByNode_.end()) return;
  std::vector<TaskId> onNode(byNode->second.begin(), byNode->second.end());
  for (const TaskId& taskId : onNode) {
    Task task = state_.cluster.tasks.at(taskId);
    if (task.status.state < TaskState::ASSIGNED || task.status.state > TaskState::RUNNING) continue;
    KJ_ASSERT(!isLive(task), "a DOWN node's tasks were stopped when it went down");
    probes_.hit(ManagerProbe::TASKS_ORPHANED);
    task.status = TaskStatus{TaskState::ORPHANED, now_, "node down for too long", "", {}};
    servicesToReconcile_.insert(task.serviceId);
    putTask(std::move(task));
    if (state_.cluster.services.count(state_.cluster.tasks.at(taskId).serviceId) == 0) {
      deleteTask(taskId);
    }
  }
}

// A task no agent has seen is deleted at once; otherwise its agent is told to stop it.
void Manager::stopTask(const TaskId& id) {
  const Task& current = state_.cluster.tasks.at(id);
  if (current.status.state < TaskState::ASSIGNED) {
    deleteTask(id);
    return;
  }
  if (current.desiredState >= TaskState::SHUTDOWN) return;
  Task task = current;
  task.desiredState = TaskState::SHUTDOWN;
  task.version = nextVersion();
  putTask(std::move(task));
}

void Manager::createTask(const ServiceRecord& service, uint64_t slot, const NodeId& node) {
  Task task;
  task.id = TaskId{drawId('t')};
  task.serviceId = service.id;
  task.slot = slot;
  task.nodeId = node;
  task.spec = service.spec.task;
  task.desiredState = TaskState::RUNNING;
  task.status = TaskStatus{TaskState::PENDING, now_, "pending task scheduling", "", {}};
  task.version = nextVersion();
  putTask(std::move(task));
}

// Finished tasks that are stopped for good: kept as history (the newest TASK_HISTORY_RETENTION
// per unit) while their unit exists, deleted otherwise; deletion tells the agent to remove them.
void Manager::reapHistory(const ServiceRecord& service) {
  std::map<UnitKey, std::vector<std::pair<uint64_t, TaskId>>> finished;
  for (const Task* record : tasksOf(service.id)) {
    const Task& task = *record;
    if (isLive(task) || !isTerminal(task.status.state)) continue;
    bool unitGone = service.spec.mode == ServiceMode::REPLICATED
                        ? task.slot > static_cast<uint64_t>(service.spec.replicas)
                        : state_.cluster.nodes.count(task.nodeId) == 0;
    if (unitGone) {
      TaskId id = task.id;  // a copy: the record goes
      deleteTask(id);
      continue;
    }
    finished[unitOf(task, service.spec.mode)].emplace_back(task.version, task.id);
  }
  for (auto& [unit, tasks] : finished) {
    if (tasks.size() <= limits::TASK_HISTORY_RETENTION) continue;
    std::sort(tasks.rbegin(), tasks.rend());
    for (size_t i = limits::TASK_HISTORY_RETENTION; i < tasks.size(); ++i) {
      deleteTask(tasks[i].second);
    }
  }
}

void Manager::forgetService(const ServiceId& service) {
  OrchestratorState& orchestrator = state_.orchestrator;
  auto all = [](const UnitKey&) { return true; };
  eraseUnits(orchestrator.restartsDue, service, all);
  eraseUnits(orchestrator.restartHistory, service, all);
  clearDeadUnits(service);
  orchestrator.updates.erase(service);
}

void Manager::clearDeadUnits(const ServiceId& service) {
  std::set<UnitKey>& dead = state_.orchestrator.deadUnits;
  for (auto it = dead.lower_bound(UnitKey{service, 0, NodeId{}});
       it != dead.end() && it->service == service;) {
    it = dead.erase(it);
  }
}

}  // namespace swarmlet::manager
