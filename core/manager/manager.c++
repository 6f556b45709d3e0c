// The manager's lifecycle: start and restore, the step loop, deadlines, and the commit that
// orders every Persist before the effects that reveal it.
#include "core/manager/manager.h"

#include "core/overloaded.h"

#include <kj/debug.h>

#include "core/limits.h"

namespace swarmlet::manager {
namespace {

template <typename Map>
void restoreVersion(uint64_t& version, const Map& records) {
  for (const auto& [id, record] : records)
    version = std::max(version, record.version);
}

}  // namespace

NodeInfo nodeInfo(const NodeRecord& node) {
  return NodeInfo{node.id, node.role, node.desiredRole, node.availability};
}

UnitKey unitOf(const Task& task, ServiceMode mode) {
  if (mode == ServiceMode::GLOBAL) return UnitKey{task.serviceId, 0, task.nodeId};
  return UnitKey{task.serviceId, task.slot, NodeId{}};
}

Manager::Manager(const ManagerConfig& config) : config_(config), prng_(config.seed) {
  if (config_.heartbeatPeriod == Duration()) {
    config_.heartbeatPeriod = limits::MANAGER_HEARTBEAT_PERIOD;
  }
  KJ_REQUIRE(
      config_.heartbeatPeriod - limits::MANAGER_HEARTBEAT_EPSILON >= limits::HEARTBEAT_PERIOD_MIN,
      config_.heartbeatPeriod.count());
  KJ_REQUIRE(
      config_.heartbeatPeriod + limits::MANAGER_HEARTBEAT_EPSILON <= limits::HEARTBEAT_PERIOD_MAX,
      config_.heartbeatPeriod.count());
}

void Manager::step(Instant now, const Input& input) {
  KJ_REQUIRE(now >= now_, "time went backwards", now.sinceOrigin(), now_.sinceOrigin());
  now_ = now;
  if (state_.phase == ManagerPhase::NOT_STARTED) {
    KJ_REQUIRE(std::holds_alternative<Start>(input), "the first input must be Start");
    handleStart(std::get<Start>(input));
    finishStep();
    return;
  }
  handleDueDeadlines();
  std::visit(Overloaded{
                 [&](const Start&) { KJ_FAIL_REQUIRE("Start given twice"); },
                 [&](const Tick&) {},
                 [&](const SessionRequested& e) { handleSessionRequested(e); },
                 [&](const HeartbeatReceived& e) { handleHeartbeat(e); },
                 [&](const StatusesReceived& e) { handleStatuses(e); },
                 [&](const ResyncRequested& e) { handleResync(e); },
                 [&](const SessionClosed& e) { handleSessionClosed(e); },
                 [&](const Control& e) { handleControl(e); },
                 [&](const ManagersChanged& e) { handleManagersChanged(e); },
             },
             input);
  finishStep();
}

kj::Vector<Effect> Manager::takeEffects() {
  kj::Vector<Effect> taken = kj::mv(effects_);
  effects_ = kj::Vector<Effect>();
  return taken;
}

kj::Maybe<Instant> Manager::nextDeadline() const {
  if (state_.phase != ManagerPhase::RUNNING) return nullptr;
  std::optional<Instant> next;
  auto consider = [&](Instant at) {
    if (!next.has_value() || at < *next) next = at;
  };
  if (!expiries_.empty()) consider(expiries_.begin()->first);
  if (!quietDeadlines_.empty()) consider(quietDeadlines_.begin()->first);
  if (state_.batch.flushAt.has_value()) consider(*state_.batch.flushAt);
  const OrchestratorState& orchestrator = state_.orchestrator;
  for (const auto& [unit, due] : orchestrator.restartsDue)
    consider(due);
  for (const auto& [service, update] : orchestrator.updates) {
    if (!update.batchActive && update.notBefore > now_) consider(update.notBefore);
  }
  for (const auto& [node, since] : orchestrator.downSince) {
    consider(since + limits::NODE_ORPHAN_PERIOD);
  }
  if (!next.has_value()) return nullptr;
  return *next;
}

// Restoring from a non-empty store is a restart or a leader change: no session survives, and
// every node that was not DOWN gets 6 grace periods to register again (spec 6.5).
void Manager::handleStart(const Start& start) {
  state_.phase = ManagerPhase::RUNNING;
  ClusterState& cluster = state_.cluster;
  for (const NodeRecord& node : start.store.nodes) {
    cluster.nodes[node.id] = node;
    candidates_.setEligible(node.id, schedulable(node));
  }
  for (const ServiceRecord& service : start.store.services)
    cluster.services[service.id] = service;
  for (const Secret& secret : start.store.secrets)
    cluster.secrets[secret.id] = secret;
  for (const Config& config : start.store.configs)
    cluster.configs[config.id] = config;
  for (const Task& task : start.store.tasks) {
    indexTask(nullptr, task);
    Task& restored = cluster.tasks[task.id];
    restored = task;
    taskIndex_[task.id] = &restored;
    tasksByService_[task.serviceId][task.id] = &restored;
    state_.storeVersion = std::max(state_.storeVersion, task.version);
  }
  restoreVersion(state_.storeVersion, cluster.nodes);
  restoreVersion(state_.storeVersion, cluster.services);
  std::vector<NodeId> restored;
  for (const auto& [id, node] : cluster.nodes) {
    if (node.status == NodeStatus::DOWN) {
      state_.orchestrator.downSince[id] = now_;
    } else {
      restored.push_back(id);
    }
  }
  for (const NodeId& id : restored) {
    setNodeStatus(id, NodeStatus::UNKNOWN,
                  "node moved to unknown state after a manager restart or leader change");
    RegisteredNode& registered = state_.registry[id];
    setExpiry(id, now_ + choosePeriod() * limits::HEARTBEAT_UNKNOWN_MULTIPLIER);
    KJ_ASSERT(registered.sessionId.empty());
  }
  // Restart delays and rolling-update pauses were memory: reconcile everything from the records.
  for (const auto& [id, service] : cluster.services)
    servicesToReconcile_.insert(id);
}

// Deadlines only change state here; the messages they lead to are emitted by finishStep, after
// the commit.
void Manager::handleDueDeadlines() {
  while (!expiries_.empty() && expiries_.begin()->first <= now_) {
    NodeId node = expiries_.begin()->second;  // a copy: expiring erases the entry
    expireNode(node);
  }
  if (state_.batch.flushAt.has_value() && *state_.batch.flushAt <= now_) flushBatch();
  OrchestratorState& orchestrator = state_.orchestrator;
  for (const auto& [unit, due] : orchestrator.restartsDue) {
    if (due <= now_) servicesToReconcile_.insert(unit.service);
  }
  for (const auto& [service, update] : orchestrator.updates) {
    if (!update.batchActive && update.notBefore <= now_) servicesToReconcile_.insert(service);
  }
  std::vector<NodeId> orphaned;
  for (const auto& [node, since] : orchestrator.downSince) {
    if (since + limits::NODE_ORPHAN_PERIOD <= now_) orphaned.push_back(node);
  }
  for (const NodeId& node : orphaned)
    orphanTasks(node);
}

// Every step ends here: bring the cluster to its desired state, persist, then reveal.
void Manager::finishStep() {
  if (state_.batch.statuses.size() >= limits::UPDATE_BATCH_ITEMS_MAX) flushBatch();
  reconcile();
  schedule();
  commit();
  for (Effect& effect : afterCommit_)
    effects_.add(std::move(effect));
  afterCommit_.clear();
  sendNodeUpdates();
  sendDueAssignments();
  KJ_ASSERT(servicesToReconcile_.empty() && !globalsToReconcile_);
  KJ_ASSERT(dirtyTasks_.empty() && dirtyNodes_.empty(), "a change was left unpersisted");
  KJ_IF_MAYBE (deadline, nextDeadline()) {
    KJ_ASSERT(*deadline > now_, "a deadline was left unhandled", deadline->sinceOrigin());
  }
}

void Manager::commit() {
  std::vector<Write> writes = takeWrites();
  if (writes.empty()) return;
  effects_.add(Persist{std::move(writes)});
}

// A kind letter and base-36 characters from the PRNG, redrawn on the (unlikely) clash with a
// live record. Ids of deleted records are not remembered: with 36^8 values a clash with one an
// agent still holds is negligible, and every run draws from a fresh seed.
std::string Manager::drawId(char prefix) {
  static constexpr char DIGITS[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  const ClusterState& cluster = state_.cluster;
  for (int attempt = 0;; ++attempt) {
    KJ_ASSERT(attempt < 16, "cannot draw a fresh id");
    std::string id(1, prefix);
    for (size_t i = 0; i < limits::MANAGER_ID_RANDOM_CHARS; ++i)
      id += DIGITS[prng_.uniform(36)];
    bool clash = cluster.services.count(ServiceId{id}) || cluster.tasks.count(TaskId{id}) ||
                 cluster.secrets.count(SecretId{id}) || cluster.configs.count(ConfigId{id});
    if (!clash) return id;
  }
}

}  // namespace swarmlet::manager
