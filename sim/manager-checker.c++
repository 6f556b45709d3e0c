#include "sim/manager-checker.h"

#include "core/overloaded.h"

#include "sim/cluster-store.h"

#include <kj/debug.h>

#include <algorithm>
#include <functional>
#include <iterator>
#include <utility>
#include <variant>

#include "core/format.h"
#include "core/limits.h"
#include "core/manager/manager.h"

namespace swarmlet::sim {
namespace {

// The checker's own reading of docs/manager.md, written apart from the core's helpers so that a
// bug in one of those cannot hide from it: a task occupies its unit while the orchestrator wants
// it to run, and a status from COMPLETE on is final.
bool wanted(const Task& task) {
  return task.desiredState <= TaskState::RUNNING;
}

bool finished(TaskState state) {
  return state >= TaskState::COMPLETE;
}

}  // namespace

ManagerChecker::ManagerChecker(Duration heartbeatPeriod, uint32_t fullCheckEvery)
    : period_(heartbeatPeriod), fullCheckEvery_(fullCheckEvery) {
  KJ_REQUIRE(fullCheckEvery >= 1);
}

void ManagerChecker::fail(Rule rule, const std::string& detail) {
  violations_.push_back(violationOf(rule, detail));
}

void ManagerChecker::expectStore(manager::ClusterState store) {
  store_ = std::move(store);
  rebuildUnits();
}

manager::StoreSnapshot ManagerChecker::snapshot() const {
  return snapshotOf(store_);
}

void ManagerChecker::observe(Instant now, const manager::Input& input,
                             const std::vector<manager::Effect>& effects,
                             const manager::ManagerState& state) {
  touched_.clear();
  if (const auto* start = std::get_if<manager::Start>(&input)) onStart(now, *start);
  if (const auto* request = std::get_if<manager::SessionRequested>(&input)) {
    registrationRequests_[request->request] = now;
  }
  if (const auto* statuses = std::get_if<manager::StatusesReceived>(&input)) {
    // Only updates for tasks an agent could hold when the call came must be stored by the ack.
    std::vector<TaskStatusUpdate>& owed = statusCalls_[statuses->request];
    for (const TaskStatusUpdate& update : statuses->updates) {
      auto stored = store_.tasks.find(update.taskId);
      if (stored != store_.tasks.end() && stored->second.status.state >= TaskState::ASSIGNED) {
        owed.push_back(update);
      }
    }
  }
  for (const manager::Effect& effect : effects) {
    std::visit(Overloaded{
                   [&](const manager::Persist& e) { checkPersist(now, e); },
                   [&](const manager::SessionAnswer& e) { checkSessionAnswer(now, e); },
                   [&](const manager::HeartbeatAnswer& e) {
                     if (e.error.has_value()) return;
                     Duration epsilon = limits::MANAGER_HEARTBEAT_EPSILON;
                     if (e.period < period_ - epsilon || e.period >= period_ + epsilon) {
                       fail(Rule::MANAGER_HEARTBEAT_PERIOD,
                            "heartbeat period " + formatDuration(e.period) + " out of range");
                     }
                     lastAlive_[e.node] = now;
                   },
                   [&](const manager::StatusesAnswer& e) { checkStatusesAnswer(e); },
                   [&](const manager::SendSessionMessage& e) {
                     if (!streams_.count(e.node) || streams_[e.node].sessionId != e.sessionId) {
                       fail(Rule::MANAGER_MESSAGE_IN_SESSION,
                            "session message to " + e.node.value + " outside its session");
                     }
                   },
                   [&](const manager::SendAssignments& e) { checkAssignments(e); },
                   [&](const manager::EndSession& e) { streams_.erase(e.node); },
                   [&](const manager::ControlAnswer& e) { checkControlAnswer(e); },
               },
               effect);
  }
  bool started = std::holds_alternative<manager::Start>(input);
  bool persisted = false;
  for (const manager::Effect& effect : effects) {
    persisted = persisted || std::holds_alternative<manager::Persist>(effect);
  }
  steps_++;
  sinceFullCheck_++;
  size_t records = store_.nodes.size() + store_.services.size() + store_.tasks.size() +
                   store_.secrets.size() + store_.configs.size();
  uint64_t interval = std::max<uint64_t>(fullCheckEvery_, records / 8);
  if (fullCheckEvery_ == 1 || started || sinceFullCheck_ >= interval) {
    checkAll(state);
  } else if (persisted) {
    checkTouched(state);
  }
}

void ManagerChecker::checkAll(const manager::ManagerState& state) {
  sinceFullCheck_ = 0;
  checkMirror(state);
  checkUnits(state);
}

// The step's part of checkMirror and checkUnits: only the records this step wrote can have
// changed in the store, so only they (and the counts) are compared with the manager's memory,
// and only the units of written tasks can newly hold two live tasks. What memory changed without
// a write is left to the next full check (see the constructor's comment).
void ManagerChecker::checkTouched(const manager::ManagerState& state) {
  const manager::ClusterState& memory = state.cluster;
  if (state.phase == manager::ManagerPhase::RUNNING) {
    bool same = memory.nodes.size() == store_.nodes.size() &&
                memory.services.size() == store_.services.size() &&
                memory.tasks.size() == store_.tasks.size() &&
                memory.secrets.size() == store_.secrets.size() &&
                memory.configs.size() == store_.configs.size();
    auto equal = [](const auto& a, const auto& b, const auto& key) {
      auto x = a.find(key);
      auto y = b.find(key);
      if (x == a.end() || y == b.end()) return (x == a.end()) == (y == b.end());
      return x->second == y->second;
    };
    for (const auto& [kind, id] : touched_) {
      if (!same) break;
      switch (static_cast<manager::RecordKind>(kind)) {
        case manager::RecordKind::NODE:
          same = equal(memory.nodes, store_.nodes, NodeId{id});
          break;
        case manager::RecordKind::SERVICE:
          same = equal(memory.services, store_.services, ServiceId{id});
          break;
        case manager::RecordKind::TASK:
          same = equal(memory.tasks, store_.tasks, TaskId{id});
          break;
        case manager::RecordKind::SECRET:
          same = equal(memory.secrets, store_.secrets, SecretId{id});
          break;
        case manager::RecordKind::CONFIG:
          same = equal(memory.configs, store_.configs, ConfigId{id});
          break;
      }
    }
    if (!same)
      fail(Rule::MANAGER_MEMORY_EQUALS_STORE,
           "the manager's records differ from what it persisted");
  }
  for (const TaskId& id : orphans_)
    fail(Rule::MANAGER_NO_LIVE_TASK_OF_REMOVED_SERVICE,
         "live task " + id.value + " of a removed service");
  auto checkUnitOf = [&](const TaskId& id) {
    auto unit = unitOfTask_.find(id);
    if (unit == unitOfTask_.end()) return;
    const Task& task = store_.tasks.at(id);
    if (finished(task.status.state)) {
      fail(Rule::MANAGER_FINISHED_NOT_LIVE, "task " + id.value + " finished but is still live");
    }
    const std::set<TaskId>& holders = units_.at(unit->second);
    if (holders.size() > 1) {
      const Task& second = store_.tasks.at(*std::next(holders.begin()));
      fail(Rule::MANAGER_ONE_LIVE_PER_UNIT, "a second live task " + second.id.value + " in slot " +
                                                std::to_string(second.slot) + " node " +
                                                second.nodeId.value + " of service " +
                                                store_.services.at(second.serviceId).spec.name);
    }
  };
  // The units of every written task, and of every live task of a written service (a service
  // created or changing mode moves its tasks' units).
  for (const auto& [kind, id] : touched_) {
    if (static_cast<manager::RecordKind>(kind) == manager::RecordKind::TASK) {
      checkUnitOf(TaskId{id});
    } else if (static_cast<manager::RecordKind>(kind) == manager::RecordKind::SERVICE) {
      auto live = liveByService_.find(ServiceId{id});
      if (live == liveByService_.end()) continue;
      for (const TaskId& task : live->second)
        checkUnitOf(task);
    }
  }
}

ManagerChecker::Unit ManagerChecker::unitFor(const Task& task, manager::ServiceMode mode) {
  // A global service keeps one task per node, a replicated one per slot.
  if (mode == manager::ServiceMode::GLOBAL) return Unit{task.serviceId, 0, task.nodeId};
  return Unit{task.serviceId, task.slot, NodeId{}};
}

void ManagerChecker::rebuildUnits() {
  liveByService_.clear();
  units_.clear();
  unitOfTask_.clear();
  orphans_.clear();
  for (const auto& [id, task] : store_.tasks)
    indexTask(task);
}

// `stored` is the record as store_ holds it before the write that replaces or deletes it.
void ManagerChecker::unindexTask(const Task& stored) {
  if (!wanted(stored)) return;
  auto live = liveByService_.find(stored.serviceId);
  if (live != liveByService_.end()) {
    live->second.erase(stored.id);
    if (live->second.empty()) liveByService_.erase(live);
  }
  liftFromUnit(stored.id);
}

void ManagerChecker::indexTask(const Task& task) {
  if (!wanted(task)) return;
  liveByService_[task.serviceId].insert(task.id);
  placeInUnit(task);
}

void ManagerChecker::placeInUnit(const Task& task) {
  auto service = store_.services.find(task.serviceId);
  if (service == store_.services.end()) {
    orphans_.insert(task.id);
    return;
  }
  Unit unit = unitFor(task, service->second.spec.mode);
  units_[unit].insert(task.id);
  unitOfTask_.emplace(task.id, std::move(unit));
}

void ManagerChecker::liftFromUnit(const TaskId& id) {
  orphans_.erase(id);
  auto unit = unitOfTask_.find(id);
  if (unit == unitOfTask_.end()) return;
  auto holders = units_.find(unit->second);
  holders->second.erase(id);
  if (holders->second.empty()) units_.erase(holders);
  unitOfTask_.erase(unit);
}

// A service was created, changed mode or was removed (store_ already says which): only its own
// live tasks move between units and orphans.
void ManagerChecker::reindexService(const ServiceId& service) {
  auto live = liveByService_.find(service);
  if (live == liveByService_.end()) return;
  for (const TaskId& id : live->second) {
    liftFromUnit(id);
    placeInUnit(store_.tasks.at(id));
  }
}

// A restart keeps the store (the shell hands it over) and drops every session.
void ManagerChecker::onStart(Instant now, const manager::Start& start) {
  manager::ClusterState restored;
  for (const auto& r : start.store.nodes)
    restored.nodes[r.id] = r;
  for (const auto& r : start.store.services)
    restored.services[r.id] = r;
  for (const auto& r : start.store.tasks)
    restored.tasks[r.id] = r;
  for (const auto& r : start.store.secrets)
    restored.secrets[r.id] = r;
  for (const auto& r : start.store.configs)
    restored.configs[r.id] = r;
  if (restored != store_)
    fail(Rule::MANAGER_RESTART_RESTORES_STORE,
         "start restores a store that differs from what was persisted");
  store_ = std::move(restored);
  rebuildUnits();
  streams_.clear();
  lastAlive_.clear();
  // Registration throttling is memory (SwarmKit's too): a new manager starts counting afresh.
  registrationChains_.clear();
  registrationRequests_.clear();
  statusCalls_.clear();
  restartedAt_ = now;
}

void ManagerChecker::checkPersist(Instant now, const manager::Persist& persist) {
  std::set<TaskId> placed;
  for (const manager::Write& write : persist.writes) {
    if (const auto* del = std::get_if<manager::Delete>(&write)) {
      touched_.emplace(static_cast<int>(del->kind), del->id);
      if (del->kind == manager::RecordKind::NODE) registrationChains_.erase(NodeId{del->id});
      if (del->kind == manager::RecordKind::TASK) {
        auto stored = store_.tasks.find(TaskId{del->id});
        if (stored != store_.tasks.end()) unindexTask(stored->second);
      }
      applyWrite(store_, write);
      if (del->kind == manager::RecordKind::SERVICE) reindexService(ServiceId{del->id});
      continue;
    }
    const manager::Record& record = std::get<manager::Put>(write).record;
    std::visit(
        [&](const auto& r) { touched_.emplace(static_cast<int>(record.index()), r.id.value); },
        record);
    if (const auto* service = std::get_if<manager::ServiceRecord>(&record)) {
      // A new service or a changed mode moves its own tasks' units.
      auto before = store_.services.find(service->id);
      bool moved =
          before == store_.services.end() || before->second.spec.mode != service->spec.mode;
      applyWrite(store_, write);
      if (moved) reindexService(service->id);
      continue;
    }
    if (const auto* task = std::get_if<Task>(&record)) {
      auto before = store_.tasks.find(task->id);
      bool wasPlaced =
          before != store_.tasks.end() && before->second.status.state >= TaskState::ASSIGNED;
      if (!wasPlaced && task->status.state >= TaskState::ASSIGNED) placed.insert(task->id);
      checkPutTask(*task);
      if (before != store_.tasks.end()) unindexTask(before->second);
    } else if (const auto* node = std::get_if<manager::NodeRecord>(&record)) {
      checkDown(now, *node);
    }
    applyWrite(store_, write);
    if (const auto* task = std::get_if<Task>(&record)) indexTask(*task);
  }
  for (const TaskId& id : placed) {
    auto task = store_.tasks.find(id);
    if (task == store_.tasks.end()) continue;
    auto node = store_.nodes.find(task->second.nodeId);
    if (node == store_.nodes.end() || node->second.status != manager::NodeStatus::READY ||
        node->second.availability != NodeAvailability::ACTIVE) {
      fail(Rule::MANAGER_PLACE_ON_READY_ACTIVE, "task " + id.value + " placed on " +
                                                    task->second.nodeId.value +
                                                    ", which is not READY and ACTIVE");
    }
  }
}

void ManagerChecker::checkPutTask(const Task& task) {
  auto before = store_.tasks.find(task.id);
  if (before == store_.tasks.end()) return;
  if (task.status.state < before->second.status.state) {
    fail(Rule::MANAGER_STATUS_MONOTONIC,
         "status of " + task.id.value + " moved backwards: " + format(before->second.status.state) +
             " -> " + format(task.status.state));
  }
  if (task.desiredState < before->second.desiredState) {
    fail(Rule::MANAGER_DESIRED_MONOTONIC, "desired state of " + task.id.value + " moved backwards");
  }
  if (!before->second.nodeId.empty() && before->second.nodeId != task.nodeId) {
    fail(Rule::MANAGER_TASK_STAYS_ON_ITS_NODE,
         "task " + task.id.value + " moved from " + before->second.nodeId.value);
  }
}

// Spec 9.5 item 18: DOWN only after 3 chosen periods (6 after a restart) without a heartbeat.
void ManagerChecker::checkDown(Instant now, const manager::NodeRecord& node) {
  if (node.status != manager::NodeStatus::DOWN) return;
  auto before = store_.nodes.find(node.id);
  if (before == store_.nodes.end() || before->second.status == manager::NodeStatus::DOWN) return;
  Duration minimal = period_ - limits::MANAGER_HEARTBEAT_EPSILON;
  auto alive = lastAlive_.find(node.id);
  if (alive != lastAlive_.end()) {
    if (now - alive->second < minimal * limits::HEARTBEAT_GRACE_MULTIPLIER) {
      fail(Rule::MANAGER_DOWN_AFTER_GRACE, "node " + node.id.value + " marked down " +
                                               formatDuration(now - alive->second) +
                                               " after its last heartbeat");
    }
  } else if (restartedAt_.has_value() &&
             now - *restartedAt_ < minimal * limits::HEARTBEAT_UNKNOWN_MULTIPLIER) {
    fail(Rule::MANAGER_DOWN_AFTER_GRACE, "node " + node.id.value + " marked down " +
                                             formatDuration(now - *restartedAt_) +
                                             " after the restart");
  }
}

void ManagerChecker::checkSessionAnswer(Instant now, const manager::SessionAnswer& answer) {
  auto requested = registrationRequests_.find(answer.request);
  Instant requestedAt = requested == registrationRequests_.end() ? now : requested->second;
  if (requested != registrationRequests_.end()) registrationRequests_.erase(requested);
  if (answer.error.has_value()) return;
  auto node = store_.nodes.find(answer.node);
  if (node == store_.nodes.end() || node->second.status != manager::NodeStatus::READY) {
    fail(Rule::MANAGER_SESSION_AFTER_READY,
         "session answered for " + answer.node.value + " before the store holds it READY");
  }
  lastAlive_[answer.node] = now;
  streams_[answer.node] = Stream{answer.sessionId, ""};
  if (lastSession_[answer.node] == answer.sessionId) return;  // a resumed session
  lastSession_[answer.node] = answer.sessionId;
  checkRateLimit(answer.node, requestedAt);
}

// Spec 9.5 item 19, modelled on its own: a chain continues while successful registrations are
// requested less than the rate period apart; it may hold at most REGISTRATION_RATE_COUNT.
void ManagerChecker::checkRateLimit(const NodeId& node, Instant requested) {
  std::vector<Instant>& chain = registrationChains_[node];
  if (!chain.empty() && requested - chain.back() > limits::REGISTRATION_RATE_PERIOD) chain.clear();
  chain.push_back(requested);
  if (static_cast<int64_t>(chain.size()) > limits::REGISTRATION_RATE_COUNT) {
    fail(Rule::MANAGER_REGISTRATION_RATE, "node " + node.value + " registered " +
                                              std::to_string(chain.size()) +
                                              " times in a chain less than 8s apart");
  }
}

void ManagerChecker::checkAssignments(const manager::SendAssignments& send) {
  auto stream = streams_.find(send.node);
  if (stream == streams_.end() || stream->second.sessionId != send.sessionId) {
    fail(Rule::MANAGER_MESSAGE_IN_SESSION,
         "assignments to " + send.node.value + " outside its session");
    return;
  }
  const AssignmentsMessage& message = send.message;
  if (message.type == AssignmentType::COMPLETE) {
    if (!message.appliesTo.empty())
      fail(Rule::MANAGER_STREAM_CHAINS, "a COMPLETE message applies to something");
  } else {
    if (stream->second.lastResultsIn.empty())
      fail(Rule::MANAGER_STREAM_CHAINS, "an INCREMENTAL before the COMPLETE");
    if (message.appliesTo != stream->second.lastResultsIn) {
      fail(Rule::MANAGER_STREAM_CHAINS, "INCREMENTAL applies to " + message.appliesTo +
                                            ", the stream is at " + stream->second.lastResultsIn);
    }
    if (message.changes.size() > limits::INCREMENTAL_CHANGES_MAX) {
      fail(Rule::MANAGER_INCREMENTAL_BOUNDED,
           "INCREMENTAL with " + std::to_string(message.changes.size()) + " changes");
    }
  }
  stream->second.lastResultsIn = message.resultsIn;
  for (const AssignmentChange& change : message.changes) {
    bool remove = change.action == AssignmentAction::REMOVE;
    if (const auto* task = std::get_if<Task>(&change.item)) {
      auto stored = store_.tasks.find(task->id);
      if (remove && stored != store_.tasks.end()) {
        fail(Rule::MANAGER_SENDS_WHAT_IS_STORED,
             "REMOVE of task " + task->id.value + ", which the store still holds");
      } else if (!remove && (stored == store_.tasks.end() || stored->second != *task)) {
        fail(Rule::MANAGER_SENDS_WHAT_IS_STORED,
             "task " + task->id.value + " sent to " + send.node.value + " is not what is stored");
      } else if (!remove && task->nodeId != send.node) {
        fail(Rule::MANAGER_SENDS_TO_OWNER,
             "task " + task->id.value + " sent to " + send.node.value + " belongs elsewhere");
      }
    } else if (const auto* secret = std::get_if<Secret>(&change.item)) {
      auto stored = store_.secrets.find(secret->id);
      if (!remove && (stored == store_.secrets.end() || stored->second != *secret)) {
        fail(Rule::MANAGER_SENDS_WHAT_IS_STORED,
             "secret " + secret->id.value + " sent but not stored");
      }
    } else {
      const Config& config = std::get<Config>(change.item);
      auto stored = store_.configs.find(config.id);
      if (!remove && (stored == store_.configs.end() || stored->second != config)) {
        fail(Rule::MANAGER_SENDS_WHAT_IS_STORED,
             "config " + config.id.value + " sent but not stored");
      }
    }
  }
}

// An acknowledged status is durable: the stored state is at least the reported one (unless the
// task is gone or was never sent to an agent).
void ManagerChecker::checkStatusesAnswer(const manager::StatusesAnswer& answer) {
  auto call = statusCalls_.find(answer.request);
  if (call == statusCalls_.end()) return;
  if (!answer.error.has_value()) {
    for (const TaskStatusUpdate& update : call->second) {
      auto stored = store_.tasks.find(update.taskId);
      // Dropped legitimately: the task is gone, or no agent was sent it yet.
      if (stored == store_.tasks.end() || stored->second.status.state < TaskState::ASSIGNED) {
        continue;
      }
      if (stored->second.status.state < update.status.state) {
        fail(Rule::MANAGER_ACK_AFTER_STORE, "status " + format(update.status.state) + " of " +
                                                update.taskId.value +
                                                " acknowledged before it was stored");
      }
    }
  }
  statusCalls_.erase(call);
}

void ManagerChecker::checkControlAnswer(const manager::ControlAnswer& answer) {
  if (answer.error.has_value() || answer.id.empty()) return;
  bool stored = store_.services.count(ServiceId{answer.id}) ||
                store_.secrets.count(SecretId{answer.id}) ||
                store_.configs.count(ConfigId{answer.id});
  if (!stored)
    fail(Rule::MANAGER_CONTROL_ANSWER_AFTER_STORE,
         "control answer names " + answer.id + " before it is stored");
}

// One pass over the tasks in id order and one sort of the live ones by unit, without copying a
// task's ids: violations come out in the order a set of units filled in id order would give
// (per task: finished, then a second live task in its unit).
void ManagerChecker::checkUnits(const manager::ManagerState& state) {
  struct Occupant {
    uint64_t slot;
    const NodeId* node;  // nullptr: a replicated service's slot
    size_t order;
    const Task* task;
    const manager::ServiceRecord* record;
  };
  static const NodeId NO_NODE;
  std::vector<Occupant> live;
  struct Found {
    size_t at;
    Rule rule;
    std::string detail;
  };
  std::vector<Found> found;
  size_t order = 0;
  const manager::ServiceRecord* last = nullptr;
  for (const auto& [id, task] : state.cluster.tasks) {
    ++order;
    if (!wanted(task)) continue;
    if (last == nullptr || last->id != task.serviceId) {
      auto service = state.cluster.services.find(task.serviceId);
      last = service == state.cluster.services.end() ? nullptr : &service->second;
    }
    if (last == nullptr) {
      found.push_back({2 * order, Rule::MANAGER_NO_LIVE_TASK_OF_REMOVED_SERVICE,
                       "live task " + id.value + " of a removed service"});
      continue;
    }
    if (finished(task.status.state)) {
      found.push_back({2 * order, Rule::MANAGER_FINISHED_NOT_LIVE,
                       "task " + id.value + " finished but is still live"});
    }
    bool global = last->spec.mode == manager::ServiceMode::GLOBAL;
    live.push_back(
        Occupant{global ? 0 : task.slot, global ? &task.nodeId : nullptr, order, &task, last});
  }
  // A service is its record's address (one record per id), so the sort compares no service ids;
  // the order of services is then the address order, but what is reported is put back in id
  // order below.
  std::sort(live.begin(), live.end(), [](const Occupant& a, const Occupant& b) {
    if (a.record != b.record) return std::less<const void*>{}(a.record, b.record);
    if (a.slot != b.slot) return a.slot < b.slot;
    const std::string& x = a.node == nullptr ? NO_NODE.value : a.node->value;
    const std::string& y = b.node == nullptr ? NO_NODE.value : b.node->value;
    int order = x.compare(y);
    return order != 0 ? order < 0 : a.order < b.order;
  });
  for (size_t i = 1; i < live.size(); ++i) {
    const Occupant& a = live[i - 1];
    const Occupant& b = live[i];
    bool sameNode =
        (a.node == nullptr) == (b.node == nullptr) && (a.node == nullptr || *a.node == *b.node);
    if (a.record != b.record || a.slot != b.slot || !sameNode) continue;
    const Task& task = *b.task;
    found.push_back({2 * b.order + 1, Rule::MANAGER_ONE_LIVE_PER_UNIT,
                     "a second live task " + task.id.value + " in slot " +
                         std::to_string(task.slot) + " node " + task.nodeId.value + " of service " +
                         b.record->spec.name});
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.at < b.at; });
  for (const Found& f : found)
    fail(f.rule, f.detail);
}

void ManagerChecker::checkMirror(const manager::ManagerState& state) {
  if (state.phase != manager::ManagerPhase::RUNNING) return;
  if (state.cluster != store_)
    fail(Rule::MANAGER_MEMORY_EQUALS_STORE, "the manager's records differ from what it persisted");
}

}  // namespace swarmlet::sim
