// The dispatcher (spec 6.3-6.5): sessions, registration throttling, heartbeats and their expiry,
// status updates, and the batch that writes statuses and READY nodes together.
#include <kj/debug.h>

#include <algorithm>
#include <tuple>

#include "core/limits.h"
#include "core/manager/manager.h"

namespace swarmlet::manager {
namespace {

// The first 8 bytes of an id, zero-padded, as a big-endian number: ordering by it agrees with
// the ids' order wherever two keys differ.
uint64_t idPrefix(const std::string& id) {
  uint64_t key = 0;
  for (size_t i = 0; i < 8; ++i) {
    key = key << 8 | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0u);
  }
  return key;
}

// Positions of `statuses` by (task id, state, arrival): per task, the last one is the highest
// state (a late lower one must not hide a higher one), the latest among equals; tasks go in id
// order. The sort works on small keys and reads the updates only where the keys tie.
std::vector<uint32_t> statusOrder(const std::vector<TaskStatusUpdate>& statuses) {
  struct Key {
    uint64_t prefix;
    uint32_t position;
  };
  std::vector<Key> keys(statuses.size());
  for (uint32_t i = 0; i < keys.size(); ++i)
    keys[i] = Key{idPrefix(statuses[i].taskId.value), i};
  std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    const TaskStatusUpdate& x = statuses[a.position];
    const TaskStatusUpdate& y = statuses[b.position];
    return std::tie(x.taskId, x.status.state, a.position) <
           std::tie(y.taskId, y.status.state, b.position);
  });
  std::vector<uint32_t> order(keys.size());
  for (size_t i = 0; i < keys.size(); ++i)
    order[i] = keys[i].position;
  return order;
}

}  // namespace

Duration Manager::choosePeriod() {
  Duration epsilon = limits::MANAGER_HEARTBEAT_EPSILON;
  Duration period = config_.heartbeatPeriod - epsilon + prng_.uniformDuration(epsilon * 2);
  KJ_ASSERT(period >= limits::HEARTBEAT_PERIOD_MIN && period <= limits::HEARTBEAT_PERIOD_MAX);
  return period;
}

std::optional<RpcError> Manager::checkSession(const NodeId& node,
                                              const SessionId& sessionId) const {
  auto it = state_.registry.find(node);
  if (it == state_.registry.end()) return RpcError{ErrorCode::NOT_FOUND, "node not registered"};
  if (sessionId.empty() || it->second.sessionId != sessionId) {
    return RpcError{ErrorCode::INVALID_ARGUMENT, "session invalid"};
  }
  return std::nullopt;
}

// SwarmKit's CheckRateLimit: the count restarts once the last successful registration is more
// than the rate period ago, so chains of registrations less than 8 s apart keep counting.
std::optional<RpcError> Manager::checkRateLimit(const NodeId& node) {
  RegistrationHistory& history = state_.registrations[node];
  if (history.attempts > 0 && now_ - history.lastRegistered > limits::REGISTRATION_RATE_PERIOD) {
    history.attempts = 0;
  }
  ++history.attempts;
  if (history.attempts > limits::REGISTRATION_RATE_COUNT) {
    probes_.hit(ManagerProbe::REGISTRATION_RATE_LIMITED);
    return RpcError{ErrorCode::UNAVAILABLE,
                    "node " + node.value + " exceeded rate limit count of registrations"};
  }
  history.lastRegistered = now_;
  return std::nullopt;
}

void Manager::handleSessionRequested(const SessionRequested& request) {
  KJ_REQUIRE(!request.node.empty(), "the shell verifies the node identity");
  bool resume = !request.previousSessionId.empty() &&
                !checkSession(request.node, request.previousSessionId).has_value();
  if (resume) probes_.hit(ManagerProbe::SESSION_RESUMED);
  if (!resume) {
    if (auto error = checkRateLimit(request.node)) {
      emitAfterCommit(SessionAnswer{request.request, request.node, {}, {}, *error});
      return;
    }
  }
  // The answer waits for the batch that records the node READY (spec 6.5, 9.5 item 20).
  state_.batch.registrations.push_back(
      PendingRegistration{request.request, request.node,
                          resume ? request.previousSessionId : SessionId{}, request.description});
  queueForFlush();
}

void Manager::handleHeartbeat(const HeartbeatReceived& heartbeat) {
  if (auto error = checkSession(heartbeat.node, heartbeat.sessionId)) {
    probes_.hit(ManagerProbe::STALE_SESSION_REFUSED);
    emitAfterCommit(HeartbeatAnswer{heartbeat.request, heartbeat.node, {}, *error});
    return;
  }
  // Heartbeats touch only memory, never the store.
  Duration period = choosePeriod();
  setExpiry(heartbeat.node, now_ + period * limits::HEARTBEAT_GRACE_MULTIPLIER);
  emitAfterCommit(HeartbeatAnswer{heartbeat.request, heartbeat.node, period, std::nullopt});
}

// Every update is checked before any is queued: one task of another node refuses the whole call
// (permission denied); a task the manager does not know is accepted and dropped.
void Manager::handleStatuses(const StatusesReceived& statuses) {
  KJ_REQUIRE(statuses.updates.size() <= limits::STATUS_UPDATES_PER_CALL_MAX,
             statuses.updates.size());
  if (auto error = checkSession(statuses.node, statuses.sessionId)) {
    probes_.hit(ManagerProbe::STALE_SESSION_REFUSED);
    emitAfterCommit(StatusesAnswer{statuses.request, statuses.node, *error});
    return;
  }
  // One lookup per update: the tasks found are kept for the second pass.
  std::vector<Task*> found(statuses.updates.size(), nullptr);
  for (size_t i = 0; i < statuses.updates.size(); ++i) {
    const TaskStatusUpdate& update = statuses.updates[i];
    found[i] = findTask(update.taskId);
    if (found[i] == nullptr) probes_.hit(ManagerProbe::STATUS_FOR_UNKNOWN_TASK);
    if (found[i] == nullptr || found[i]->nodeId == statuses.node) continue;
    probes_.hit(ManagerProbe::FOREIGN_STATUS_REFUSED);
    emitAfterCommit(StatusesAnswer{
        statuses.request, statuses.node,
        RpcError{ErrorCode::PERMISSION_DENIED, "node " + statuses.node.value +
                                                   " may not report the status of task " +
                                                   update.taskId.value}});
    return;
  }
  auto& queued = state_.batch.statuses;
  for (size_t i = 0; i < statuses.updates.size(); ++i) {
    const TaskStatusUpdate& update = statuses.updates[i];
    // A task no agent was sent yet (a global task waiting for its node) has no status to report.
    if (found[i] == nullptr || found[i]->status.state < TaskState::ASSIGNED) continue;
    queued.push_back(update);
    batchTasks_.push_back(found[i]);
  }
  KJ_ASSERT(batchTasks_.size() == queued.size());
  state_.batch.statusCalls.emplace_back(statuses.request, statuses.node);
  queueForFlush();
}

void Manager::handleResync(const ResyncRequested& resync) {
  if (checkSession(resync.node, resync.sessionId).has_value()) return;  // stale
  AssignmentStream& stream = state_.registry.at(resync.node).stream;
  if (!stream.open) return;
  probes_.hit(ManagerProbe::RESYNC_SERVED);
  stream.completeDue = true;
  stream.dirty.clear();
  completesDue_.insert(resync.node);
  setQuietUntil(resync.node, std::nullopt);
}

// The node may come back and resume the session before its heartbeat lapses; until then nothing
// is placed on it.
void Manager::handleSessionClosed(const SessionClosed& closed) {
  if (checkSession(closed.node, closed.sessionId).has_value()) return;  // stale
  setQuietUntil(closed.node, std::nullopt);  // before the stream that records it is reset
  completesDue_.erase(closed.node);
  RegisteredNode& registered = state_.registry.at(closed.node);
  registered.stream = AssignmentStream{};
  registered.sentNodeInfo.reset();
  setNodeStatus(closed.node, NodeStatus::DISCONNECTED, "node closed its session");
  onNodeChanged(closed.node);
}

void Manager::queueForFlush() {
  if (!state_.batch.flushAt.has_value()) {
    state_.batch.flushAt = now_ + limits::UPDATE_BATCH_INTERVAL;
  }
}

// SwarmKit's processUpdates: one store write for the queued node and task updates; then the
// registrations and status calls waiting on it are answered (after the commit).
void Manager::flushBatch() {
  UpdateBatch batch = std::move(state_.batch);
  state_.batch = UpdateBatch{};
  // batchTasks_ stays until the end: a task deleted on the way makes it stale.
  KJ_ASSERT(batchTasks_.size() == batch.statuses.size());
  state_.batch.statuses.reserve(std::min(batch.statuses.size(), limits::UPDATE_BATCH_ITEMS_MAX));
  applyRegistrations(std::move(batch.registrations));
  const std::vector<TaskStatusUpdate>& statuses = batch.statuses;
  std::vector<uint32_t> order = statusOrder(statuses);
  for (size_t i = 0; i < order.size(); ++i) {
    const TaskStatusUpdate& update = statuses[order[i]];
    bool last = i + 1 == order.size() || statuses[order[i + 1]].taskId != update.taskId;
    if (!last) continue;
    applyStatus(batchTasksStale_ ? findTask(update.taskId) : batchTasks_[order[i]], update.status);
  }
  batchTasks_.clear();
  batchTasksStale_ = false;
  for (const auto& [request, node] : batch.statusCalls) {
    emitAfterCommit(StatusesAnswer{request, node, std::nullopt});
  }
}

void Manager::applyRegistrations(std::vector<PendingRegistration> registrations) {
  std::map<NodeId, size_t> last;
  for (size_t i = 0; i < registrations.size(); ++i)
    last[registrations[i].node] = i;
  for (size_t i = 0; i < registrations.size(); ++i) {
    const PendingRegistration& registration = registrations[i];
    if (last[registration.node] != i) {
      probes_.hit(ManagerProbe::REGISTRATION_SUPERSEDED);
      emitAfterCommit(SessionAnswer{
          registration.request,
          registration.node,
          {},
          {},
          RpcError{ErrorCode::ABORTED, "superseded by a newer registration of the node"}});
      continue;
    }
    if (!registration.resumedSessionId.empty() &&
        checkSession(registration.node, registration.resumedSessionId).has_value()) {
      // The session ended while the answer waited for the flush; a resume skipped the rate
      // limit, so it cannot turn into a new registration here.
      probes_.hit(ManagerProbe::RESUME_AFTER_SESSION_ENDED);
      emitAfterCommit(SessionAnswer{registration.request,
                                    registration.node,
                                    {},
                                    {},
                                    RpcError{ErrorCode::INVALID_ARGUMENT, "session invalid"}});
      continue;
    }
    auto it = state_.cluster.nodes.find(registration.node);
    // A verified identity the store does not know yet joins the cluster as an active worker, or
    // as a manager when the managers list names it (ManagersChanged).
    NodeRecord node = it == state_.cluster.nodes.end() ? NodeRecord{} : it->second;
    if (it == state_.cluster.nodes.end() && namedManager(registration.node)) {
      node.role = NodeRole::MANAGER;
      node.desiredRole = NodeRole::MANAGER;
    }
    node.id = registration.node;
    node.description = registration.description;
    node.status = NodeStatus::READY;
    node.statusMessage.clear();
    putNode(std::move(node));
    state_.orchestrator.downSince.erase(registration.node);
    onNodeChanged(registration.node);
    answerRegistration(registration);
  }
}

void Manager::answerRegistration(const PendingRegistration& registration) {
  RegisteredNode& registered = state_.registry[registration.node];
  bool resumed = !registration.resumedSessionId.empty();
  KJ_ASSERT(!resumed || registered.sessionId == registration.resumedSessionId);
  if (!resumed) {
    if (registered.stream.open) probes_.hit(ManagerProbe::SESSION_REPLACED);
    endSession(registration.node, RpcError{ErrorCode::INVALID_ARGUMENT, "session replaced"});
    registered.sessionId = SessionId{drawId('k')};
  }
  setQuietUntil(registration.node, std::nullopt);
  registered.stream = AssignmentStream{};
  registered.stream.open = true;
  // The COMPLETE set is built after this step's orchestration, so it carries every task placed
  // on the node in the same step.
  registered.stream.completeDue = true;
  completesDue_.insert(registration.node);
  registered.sentNodeInfo = nodeInfo(state_.cluster.nodes.at(registration.node));
  setExpiry(registration.node, now_ + choosePeriod() * limits::HEARTBEAT_GRACE_MULTIPLIER);
  emitAfterCommit(SessionAnswer{registration.request, registration.node, registered.sessionId,
                                sessionMessage(registration.node), std::nullopt});
}

// Statuses never move backwards and identical ones are not rewritten. A task that finishes while
// the orchestrator still wants it running goes to the restart policy.
void Manager::applyStatus(Task* found, const TaskStatus& status) {
  if (found == nullptr) return;  // deleted since the call was accepted
  const Task& stored = *found;
  if (stored.status.state < TaskState::ASSIGNED) return;  // never sent to an agent
  if (status.state < stored.status.state || status == stored.status) {
    probes_.hit(ManagerProbe::STATUS_NOT_NEWER_IGNORED);
    return;
  }
  bool finished = isTerminal(status.state) && !isTerminal(stored.status.state);
  // Only a task reaching RUNNING can end a rolling-update batch; a new message on a running task
  // changes nothing the orchestrator looks at.
  bool startedRunning =
      status.state == TaskState::RUNNING && stored.status.state < TaskState::RUNNING;
  const Task& task = setTaskStatus(*found, status);
  if (!finished) {
    if (startedRunning && state_.orchestrator.updates.count(task.serviceId) == 1 &&
        state_.cluster.services.count(task.serviceId) == 1) {
      servicesToReconcile_.insert(task.serviceId);  // a rolling update may go on
    }
    return;
  }
  bool serviceExists = state_.cluster.services.count(task.serviceId) == 1;
  if (!serviceExists) {
    TaskId id = task.id;  // a copy: the record goes
    deleteTask(id);       // its service was removed and the agent confirmed the stop
  } else if (isLive(task)) {
    onTaskFinished(task);
  } else {
    servicesToReconcile_.insert(task.serviceId);  // history to reap
  }
}

// Heartbeat lapsed: the node is DOWN, forgotten by the dispatcher (its next heartbeat gets
// not-found), and its tasks are replaced elsewhere.
void Manager::expireNode(const NodeId& node) {
  endSession(node, RpcError{ErrorCode::ABORTED, "heartbeat expired: node marked down"});
  auto it = state_.registry.find(node);
  KJ_ASSERT(it != state_.registry.end(), node.value);
  expiries_.erase({it->second.expiresAt, node});
  setQuietUntil(node, std::nullopt);
  completesDue_.erase(node);
  state_.registry.erase(it);
  if (state_.cluster.nodes.count(node) == 0) return;
  probes_.hit(ManagerProbe::NODE_EXPIRED);
  setNodeStatus(node, NodeStatus::DOWN, "heartbeat failure");
  state_.orchestrator.downSince[node] = now_;
  onNodeChanged(node);
}

void Manager::setNodeStatus(const NodeId& id, NodeStatus status, std::string message) {
  auto it = state_.cluster.nodes.find(id);
  if (it == state_.cluster.nodes.end()) return;
  if (it->second.status == status && it->second.statusMessage == message) return;
  NodeRecord node = it->second;
  node.status = status;
  node.statusMessage = std::move(message);
  putNode(std::move(node));
}

void Manager::setExpiry(const NodeId& node, Instant expiresAt) {
  RegisteredNode& registered = state_.registry[node];
  expiries_.erase({registered.expiresAt, node});
  registered.expiresAt = expiresAt;
  expiries_.insert({expiresAt, node});
}

void Manager::endSession(const NodeId& node, RpcError error) {
  auto it = state_.registry.find(node);
  if (it == state_.registry.end() || !it->second.stream.open) return;
  emitAfterCommit(EndSession{node, it->second.sessionId, std::move(error)});
  setQuietUntil(node, std::nullopt);  // before the stream that records it is reset
  completesDue_.erase(node);
  it->second.stream = AssignmentStream{};
  it->second.sentNodeInfo.reset();
}

}  // namespace swarmlet::manager
