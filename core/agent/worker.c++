// The worker's rules (worker.h) and the Agent's side of them: restore, the assignment stream,
// dependencies, assignment and removal of tasks, leave, and the per-step store group.
#include "core/agent/worker.h"

#include <kj/debug.h>

#include <algorithm>
#include <iterator>
#include <tuple>
#include <utility>
#include <vector>

#include "core/agent/agent.h"
#include "core/agent/reporter.h"
#include "core/agent/task-runner.h"
#include "core/limits.h"

namespace swarmlet::agent {
namespace {

template <typename Item>
using ItemId = decltype(Item::id);

// One kind of dependency (secrets or configs): the new installed set and the difference.
template <typename Item>
void applyItems(std::map<ItemId<Item>, Item>& installed, const AssignmentsMessage& message,
                std::vector<Item>& added, std::vector<ItemId<Item>>& removed, size_t max) {
  bool complete = message.type == AssignmentType::COMPLETE;
  std::map<ItemId<Item>, Item> next = complete ? std::map<ItemId<Item>, Item>{} : installed;
  for (const AssignmentChange& change : message.changes) {
    const Item* item = std::get_if<Item>(&change.item);
    if (item == nullptr) continue;
    if (change.action == AssignmentAction::UPDATE) {
      next[item->id] = *item;
    } else if (!complete) {
      next.erase(item->id);
    }
  }
  KJ_REQUIRE(next.size() <= max, "more dependencies than the limit allows", next.size());
  for (const auto& [id, item] : installed) {
    if (next.count(id) == 0) removed.push_back(id);
  }
  for (const auto& [id, item] : next) {
    auto it = installed.find(id);
    if (it == installed.end() || it->second != item) added.push_back(item);
  }
  installed = kj::mv(next);
}

// Entries by address (map nodes do not move): a cheap identity for a set of them.
bool byAddress(TaskMap::iterator a, TaskMap::iterator b) {
  return &a->second < &b->second;
}

bool byTaskId(TaskMap::iterator a, TaskMap::iterator b) {
  return a->first < b->first;
}

}  // namespace

bool sameAssignment(const Task& a, const Task& b) {
  return a.id == b.id && a.serviceId == b.serviceId && a.slot == b.slot && a.nodeId == b.nodeId &&
         a.spec == b.spec && a.desiredState == b.desiredState && a.version == b.version;
}

UpdateDependencies applyDependencyChanges(std::map<SecretId, Secret>& secrets,
                                          std::map<ConfigId, Config>& configs,
                                          const AssignmentsMessage& message) {
  UpdateDependencies update;
  applyItems(secrets, message, update.secretsAdded, update.secretsRemoved, limits::SECRETS_MAX);
  applyItems(configs, message, update.configsAdded, update.configsRemoved, limits::CONFIGS_MAX);
  return update;
}

bool isEmpty(const UpdateDependencies& update) {
  return update.secretsAdded.empty() && update.secretsRemoved.empty() &&
         update.configsAdded.empty() && update.configsRemoved.empty();
}

// --- The Agent's worker ----------------------------------------------------------------------

// One Persist per step, placed where the step's first store op arose: every effect after it
// (operations, sends, signals) runs only once the whole group is durable.
std::vector<StoreOp>& Agent::stepStoreOps() {
  if (!persistIndex_.has_value()) {
    persistIndex_ = effects_.size();
    emit(Persist{}).ops.reserve(storeOpsHint_);
  }
  return std::get<Persist>(effects_[*persistIndex_]).ops;
}

void Agent::recordStoreOp(StoreOp op) {
  stepStoreOps().push_back(kj::mv(op));
}

// PutTask{withoutStatus(task)}, with the task copied straight into the step's Persist.
void Agent::recordPutTask(const Task& task) {
  Task& stored = std::get<PutTask>(stepStoreOps().emplace_back(std::in_place_type<PutTask>)).task;
  stored = task;
  stored.status = TaskStatus{};
}

// Records not assigned are removed by the executor and then deleted (the #2277 order applies
// after a crash too); assigned ones resume from their stored status, which wins over whatever
// the manager says later. The reporter starts with every stored status of an assigned record.
void Agent::restoreFromStore(const StoreSnapshot& store) {
  KJ_REQUIRE(store.size() <= limits::TASKS_MAX, store.size());
  WorkerState& worker = state_.worker;
  KJ_ASSERT(worker.tasks.empty());
  for (const auto& [id, record] : store) {
    KJ_REQUIRE(record.task.id == id, "a store record under another task's id", id.value);
    if (!record.status.has_value()) {
      // Never fully written (PutTask and PutStatus share a batch), so nothing ever ran.
      recordStoreOp(DeleteTask{id});
      continue;
    }
    TaskEntry entry;
    entry.task = record.task;
    entry.task.status = *record.status;
    entry.assigned = record.assigned;
    worker.tasks.emplace(id, kj::mv(entry));
    if (record.assigned) offerStatus(state_.reporter, id, *record.status);
  }
  if (!worker.tasks.empty()) probes_.hit(AgentProbe::TASKS_RESTORED);
  for (const auto& [id, record] : store) {
    if (record.status.has_value()) advanceTask(id);
  }
}

void Agent::handleAssignments(const AssignmentsReceived& received, AssignmentsReceived* owned) {
  KJ_ASSERT(owned == nullptr || owned == &received);
  if (isStale(received.generation)) return;
  KJ_REQUIRE(state_.session.phase == SessionPhase::REGISTERED,
             "assignments before the session registered", received.generation);
  KJ_REQUIRE(received.message.changes.size() <= limits::ASSIGNMENT_CHANGES_MAX,
             received.message.changes.size());
  // SwarmKit ignores assignments once the node leaves: everything is being removed.
  if (state_.worker.leaving) {
    probes_.hit(AgentProbe::ASSIGNMENTS_WHILE_LEAVING);
    return;
  }
  if (!acceptStreamMessage(received)) return;
  applyAssignments(received.message, owned == nullptr ? nullptr : &owned->message);
}

// The stream's chain: a COMPLETE always applies; an INCREMENTAL applies only on top of the
// previous message's resultsIn. Anything else is a gap: the message is not applied, the
// stream is reopened once, and INCREMENTALs are ignored until the next COMPLETE.
bool Agent::acceptStreamMessage(const AssignmentsReceived& received) {
  WorkerState& worker = state_.worker;
  if (worker.streamGeneration != received.generation) {
    worker.streamGeneration = received.generation;
    worker.resultsIn.reset();
    worker.resyncRequested = false;
  }
  const AssignmentsMessage& message = received.message;
  if (message.type == AssignmentType::COMPLETE ||
      (worker.resultsIn.has_value() && message.appliesTo == *worker.resultsIn)) {
    worker.resultsIn = message.resultsIn;
    worker.resyncRequested = false;
    return true;
  }
  worker.resultsIn.reset();
  if (worker.resyncRequested) {
    probes_.hit(AgentProbe::INCREMENTAL_IGNORED_AFTER_GAP);
  } else {
    probes_.hit(AgentProbe::ASSIGNMENT_GAP_RESYNCED);
    worker.resyncRequested = true;
    emit(ResyncAssignments{received.generation, state_.session.sessionId});
  }
  return false;
}

// Dependencies first, then tasks: a task's PREPARE is emitted after the UpdateDependencies that
// installs what it references.
void Agent::applyAssignments(const AssignmentsMessage& message, AssignmentsMessage* owned) {
  WorkerState& worker = state_.worker;
  UpdateDependencies dependencies = applyDependencyChanges(worker.secrets, worker.configs, message);
  bool dependenciesChanged = !isEmpty(dependencies);
  if (dependenciesChanged) emit(kj::mv(dependencies));
  // Room for an operation per change and three store ops per new task, so that large sets do
  // not regrow the vectors.
  effects_.reserve(effects_.size() + message.changes.size() + 4);
  storeOpsHint_ = 3 * message.changes.size();

  bool complete = message.type == AssignmentType::COMPLETE;
  std::vector<TaskMap::iterator> touched;
  for (size_t i = 0; i < message.changes.size(); ++i) {
    const AssignmentChange& change = message.changes[i];
    const Task* task = std::get_if<Task>(&change.item);
    if (task == nullptr) continue;
    if (change.action == AssignmentAction::UPDATE) {
      Task* movable = owned == nullptr ? nullptr : std::get_if<Task>(&owned->changes[i].item);
      touched.push_back(assignTask(*task, movable));
    } else if (auto it = worker.tasks.find(task->id); !complete && it != worker.tasks.end()) {
      unassignTask(it->second);
      touched.push_back(it);
    }
  }
  std::sort(touched.begin(), touched.end(), byAddress);
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  if (complete) unassignUnlisted(touched);
  // A changed dependency may let any task waiting for it go on.
  advanceTouched(touched, dependenciesChanged);
}

// A COMPLETE set's sweep: every assigned task it does not list leaves the assignment set, and
// joins `touched` (in address order, without duplicates: the entries the set listed, all
// assigned now). The sweep is skipped when the set lists every assigned task, as on every
// reconnect.
void Agent::unassignUnlisted(std::vector<TaskMap::iterator>& touched) {
  TaskMap& tasks = state_.worker.tasks;
  size_t assigned = static_cast<size_t>(std::count_if(
      tasks.begin(), tasks.end(), [](const auto& item) { return item.second.assigned; }));
  KJ_ASSERT(assigned >= touched.size(), assigned, touched.size());
  if (assigned == touched.size()) return;
  size_t listed = touched.size();
  for (auto it = tasks.begin(); it != tasks.end(); ++it) {
    if (!it->second.assigned) continue;
    if (std::binary_search(touched.begin(), touched.begin() + listed, it, byAddress)) continue;
    unassignTask(it->second);
    touched.push_back(it);
  }
  KJ_ASSERT(touched.size() == assigned, touched.size(), assigned);
}

// Each touched task takes its next steps once, in task-id order; every task does when
// `everyTask` is set or every one was touched (a COMPLETE set that only added or changed
// nothing), without a membership test.
void Agent::advanceTouched(std::vector<TaskMap::iterator>& touched, bool everyTask) {
  TaskMap& tasks = state_.worker.tasks;
  if (everyTask || touched.size() == tasks.size()) {
    for (auto it = tasks.begin(); it != tasks.end();) {
      auto next = std::next(it);
      advanceTask(it);  // may erase `it`, never another entry
      it = next;
    }
    return;
  }
  std::sort(touched.begin(), touched.end(), byTaskId);
  // Erasing one entry leaves the iterators to every other entry valid.
  for (TaskMap::iterator it : touched)
    advanceTask(it);
}

// A new task is stored with the manager's status; a known one takes the new assignment unless
// it would lower the desired state or changes nothing. Any change cancels the operation in
// flight (its completion re-runs the task) and restarts the retry count. `owned`, when not null,
// is `task` itself and is moved into the entry instead of copied.
TaskMap::iterator Agent::assignTask(const Task& task, Task* owned) {
  KJ_REQUIRE(!task.id.empty(), "a task without an id");
  KJ_ASSERT(owned == nullptr || owned == &task);
  WorkerState& worker = state_.worker;
  auto it = worker.tasks.lower_bound(task.id);
  if (it == worker.tasks.end() || it->first != task.id) {
    KJ_REQUIRE(worker.tasks.size() < limits::TASKS_MAX, "more tasks than limits::TASKS_MAX");
    recordPutTask(task);
    recordStoreOp(SetAssigned{task.id, true});
    recordStoreOp(PutStatus{task.id, task.status});
    it = worker.tasks.emplace_hint(it, std::piecewise_construct, std::forward_as_tuple(task.id),
                                   std::forward_as_tuple());
    if (owned != nullptr) {
      it->second.task = kj::mv(*owned);
    } else {
      it->second.task = task;
    }
    return it;
  }
  TaskEntry& entry = it->second;
  if (!entry.assigned) {
    entry.assigned = true;
    recordStoreOp(SetAssigned{task.id, true});
  }
  // Listed again: a controller that could not be made may be made now (decision 18). It is
  // asked for when next needed; the task has ended, so that is at its removal.
  if (entry.controller == ControllerState::FAILED) entry.controller = ControllerState::UNRESOLVED;
  // The desired state never decreases (SwarmKit refuses such an update whole).
  if (task.desiredState < entry.task.desiredState) return it;
  if (sameAssignment(task, entry.task)) return it;
  bool specChanged = task.spec != entry.task.spec;
  TaskStatus status = kj::mv(entry.task.status);
  if (owned != nullptr) {
    entry.task = kj::mv(*owned);
  } else {
    entry.task = task;
  }
  entry.task.status = kj::mv(status);
  recordPutTask(entry.task);
  // A controller that exists (or is being made from the old spec) must hear of the new one.
  if (specChanged && (entry.controller != ControllerState::UNRESOLVED || entry.operation)) {
    entry.specChanged = true;
  }
  entry.failures = 0;
  clearRetry(entry);
  // A RESOLVE in flight is not cancelled: the next step needs the controller anyway.
  if (entry.operation.has_value() && entry.call != ExecutorCall::RESOLVE) cancelOperation(entry);
  return it;
}

// The task is shut down, removed and deleted from here on (task-runner.h's removal steps).
void Agent::unassignTask(const TaskId& id) {
  unassignTask(state_.worker.tasks.at(id));
}

void Agent::unassignTask(TaskEntry& entry) {
  if (!entry.assigned) return;
  probes_.hit(AgentProbe::TASK_UNASSIGNED);
  entry.assigned = false;
  recordStoreOp(SetAssigned{entry.task.id, false});
  // Nothing more is reported for it, not even what is pending (as in SwarmKit: decision 17).
  state_.reporter.pending.erase(entry.task.id);
  entry.failures = 0;
  clearRetry(entry);
  // A RESOLVE, SHUTDOWN or REMOVE in flight is what removal needs anyway.
  if (entry.operation.has_value() && entry.call != ExecutorCall::RESOLVE &&
      entry.call != ExecutorCall::SHUTDOWN && entry.call != ExecutorCall::REMOVE) {
    cancelOperation(entry);
  }
}

// The executor removed the task (or there was nothing to remove): only now the record goes.
void Agent::forgetTask(TaskId id) {
  WorkerState& worker = state_.worker;
  TaskEntry& entry = worker.tasks.at(id);
  KJ_ASSERT(!entry.assigned && !entry.operation.has_value(), id.value);
  KJ_ASSERT(entry.controller == ControllerState::FAILED ||
            entry.controller == ControllerState::REMOVED);
  clearRetry(entry);
  recordStoreOp(DeleteTask{id});
  worker.tasks.erase(id);
  // Nobody waits for the status of a task the manager no longer assigns.
  state_.reporter.pending.erase(id);
}

void Agent::beginLeave() {
  WorkerState& worker = state_.worker;
  worker.leaving = true;
  if (!worker.tasks.empty()) probes_.hit(AgentProbe::LEFT_WITH_TASKS);
  std::vector<TaskId> ids;
  for (const auto& [id, entry] : worker.tasks)
    ids.push_back(id);
  for (const TaskId& id : ids)
    unassignTask(id);
  for (const TaskId& id : ids)
    advanceTask(id);
}

void Agent::finishLeaveIfDone() {
  if (!state_.worker.leaving || state_.left || !state_.worker.tasks.empty()) return;
  state_.left = true;
  emit(SignalLeft{});
}

// After every step: send what is pending, finish a leave, close the step's store group.
void Agent::finishStep() {
  if (state_.phase == AgentPhase::RUNNING) {
    flushStatuses();
    finishLeaveIfDone();
  }
  persistIndex_.reset();
  storeOpsHint_ = 0;
  KJ_ASSERT(state_.worker.tasks.size() <= limits::TASKS_MAX);
  KJ_ASSERT(state_.reporter.pending.size() <= state_.worker.tasks.size(),
            state_.reporter.pending.size());
}

}  // namespace swarmlet::agent
