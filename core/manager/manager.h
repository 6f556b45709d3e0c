// The manager core: SwarmKit's dispatcher, orchestrators, scheduler and control API over the
// cluster's records, as one pure, deterministic state machine (docs/manager.md).
//
// Contract (the same surface as the agent core):
//   step(now, input)  feeds one input. REQUIRES: now >= the previous now; the first input is
//                     Start. Due deadlines are handled before the input; the orchestrator and
//                     scheduler then bring the cluster to its desired state, the changes are
//                     persisted, and only then are answers and messages emitted.
//   takeEffects()     the effects produced since the last call, to execute in order.
//   nextDeadline()    when the shell must call step(now, Tick{}) at the latest.
//   state()           a read-only view for checkers, transcripts and debugging.
//
// Ownership and threading: a Manager owns all its state and its PRNG; it is not thread-safe and
// is driven by one thread (an event loop or the simulator).
#pragma once

#include <kj/common.h>
#include <kj/vector.h>

#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/manager/candidates.h"
#include "core/manager/effect.h"
#include "core/manager/input.h"
#include "core/manager/probes.h"
#include "core/manager/state.h"
#include "core/prng.h"

namespace swarmlet::manager {

// Hashes ids for lookup-only indexes (never iterated where order could reach an effect).
struct IdHash {
  template <typename Tag>
  size_t operator()(const Id<Tag>& id) const {
    return std::hash<std::string>{}(id.value);
  }
};

struct ManagerConfig {
  // Seeds the PRNG (ids, heartbeat periods). Must differ between runs over the same store:
  // production draws it from the OS and logs it; the simulator derives it per incarnation.
  uint64_t seed = 0;
  // The managers named in every session message (SwarmKit: all raft members, weight 10).
  std::vector<Peer> managers;
  // The cluster's heartbeat period (SwarmKit's dispatcher.heartbeatPeriod).
  Duration heartbeatPeriod;
};

class Manager {
 public:
  explicit Manager(const ManagerConfig& config);
  KJ_DISALLOW_COPY(Manager);

  void step(Instant now, const Input& input);
  kj::Vector<Effect> takeEffects();
  kj::Maybe<Instant> nextDeadline() const;
  const ManagerState& state() const { return state_; }
  // How often each rare path was taken (core/manager/probes.h); for the simulator's sweeps.
  const ManagerProbes& probes() const { return probes_; }

 private:
  // Lifecycle, deadlines, commit (manager.c++).
  void handleStart(const Start& start);
  void handleDueDeadlines();
  void finishStep();
  void commit();
  void emitAfterCommit(Effect effect) { afterCommit_.push_back(std::move(effect)); }
  uint64_t nextVersion() { return ++state_.storeVersion; }
  std::string drawId(char prefix);

  // The only ways records change (records.c++): each keeps the indexes, the pending write set
  // and the assignment streams in step.
  void putNode(NodeRecord node);
  void putService(ServiceRecord service);
  void putTask(Task task);
  void putSecret(Secret secret);
  void putConfig(Config config);
  void deleteNode(const NodeId& id);
  void deleteService(const ServiceId& id);
  void deleteTask(const TaskId& id);
  void deleteSecret(const SecretId& id);
  void deleteConfig(const ConfigId& id);
  Task* findTask(const TaskId& id);
  const Task& setTaskStatus(Task& task, const TaskStatus& status);
  void indexTask(const Task* before, const Task& after);
  void countLoad(const Task& task, int64_t delta);
  std::vector<Write> takeWrites();

  // Dispatcher (dispatcher.c++).
  void handleSessionRequested(const SessionRequested& request);
  void handleHeartbeat(const HeartbeatReceived& heartbeat);
  void handleStatuses(const StatusesReceived& statuses);
  void handleResync(const ResyncRequested& resync);
  void handleSessionClosed(const SessionClosed& closed);
  void handleManagersChanged(const ManagersChanged& changed);
  bool namedManager(const NodeId& id) const;
  std::optional<RpcError> checkSession(const NodeId& node, const SessionId& sessionId) const;
  std::optional<RpcError> checkRateLimit(const NodeId& node);
  void queueForFlush();
  void flushBatch();
  void applyRegistrations(std::vector<PendingRegistration> registrations);
  void answerRegistration(const PendingRegistration& registration);
  void applyStatus(Task* found, const TaskStatus& status);
  void expireNode(const NodeId& node);
  void setNodeStatus(const NodeId& node, NodeStatus status, std::string message);
  void setExpiry(const NodeId& node, Instant expiresAt);
  void endSession(const NodeId& node, RpcError error);
  Duration choosePeriod();

  // Assignment and session streams (assignments.c++).
  void noteTaskChange(const NodeId& node, const TaskId& id, const Task* before, const Task* after);
  void setQuietUntil(const NodeId& node, std::optional<Instant> until);
  void sendComplete(const NodeId& node);
  void sendIncremental(const NodeId& node);
  void sendDueAssignments();
  void sendNodeUpdates();
  SessionMessage sessionMessage(const NodeId& node) const;

  // Orchestrator (orchestrator.c++, rolling-update.c++).
  void reconcile();
  void reconcileReplicated(const ServiceRecord& service);
  void reconcileGlobal(const ServiceRecord& service);
  std::set<UnitKey> takeWaitingRestarts(const ServiceId& service);
  void onTaskFinished(const Task& task);
  void onNodeChanged(const NodeId& node);
  void orphanTasks(const NodeId& node);
  void stopTask(const TaskId& id);
  void createTask(const ServiceRecord& service, uint64_t slot, const NodeId& node);
  void rollingUpdate(const ServiceRecord& service, const std::vector<Task*>& tasks);
  void reapHistory(const ServiceRecord& service);
  void forgetService(const ServiceId& service);
  void clearDeadUnits(const ServiceId& service);
  // The service's tasks in id order, as pointers to their records (taken before any change:
  // a record deleted meanwhile leaves its pointer dangling).
  std::vector<Task*> tasksOf(const ServiceId& service) const;

  // Scheduler (scheduler.c++).
  void schedule();

  // Control API (control.c++).
  void handleControl(const Control& control);
  ControlAnswer createService(const CreateService& op);
  ControlAnswer updateService(const UpdateService& op);
  ControlAnswer scaleService(const ScaleService& op);
  ControlAnswer removeService(const RemoveService& op);
  ControlAnswer changeRole(const NodeId& node, NodeRole role);
  ControlAnswer changeAvailability(const NodeId& node, NodeAvailability availability);
  ControlAnswer removeNode(const RemoveNode& op);
  ControlAnswer createSecret(const CreateSecret& op);
  ControlAnswer removeSecret(const RemoveSecret& op);
  ControlAnswer createConfig(const CreateConfig& op);
  ControlAnswer removeConfig(const RemoveConfig& op);
  std::optional<ControlError> validateSpec(const ServiceSpec& spec,
                                           const ServiceId* updating) const;

  ManagerConfig config_;
  ManagerState state_;
  ManagerProbes probes_;
  Prng prng_;
  Instant now_;
  kj::Vector<Effect> effects_;
  // Effects that reveal this step's changes, emitted after its Persist.
  std::vector<Effect> afterCommit_;

  // Indexes over state_.cluster, kept by the put/delete functions (derivable, never persisted).
  std::map<NodeId, std::set<TaskId>> tasksByNode_;
  std::map<ServiceId, std::map<TaskId, Task*>> tasksByService_;
  // Tasks that occupy their node (live and not finished), per node and per (service, node), and
  // which nodes are READY and ACTIVE: the scheduler's candidate order, kept as changes come.
  Candidates candidates_;
  // Every task by id, for the hot paths (statuses): a hash lookup instead of a tree walk.
  std::unordered_map<TaskId, Task*, IdHash> taskIndex_;
  // The task each queued status was found for at its call, parallel to state_.batch.statuses, so
  // that the flush need not look it up again. A task deleted while the batch waits makes them
  // stale (the pointer may dangle or name a new task of the same id): the flush looks them up.
  std::vector<Task*> batchTasks_;
  bool batchTasksStale_ = false;
  // Tasks waiting for the scheduler: PENDING with a desired state up to RUNNING.
  std::set<TaskId> pendingTasks_;
  std::set<std::pair<Instant, NodeId>> expiries_;
  std::set<std::pair<Instant, NodeId>> quietDeadlines_;
  // Streams owed a COMPLETE set, and streams with a full message of changes pending.
  std::set<NodeId> completesDue_;
  std::set<NodeId> streamsOverCap_;

  // Records written since the last commit.
  std::set<NodeId> dirtyNodes_;
  std::set<ServiceId> dirtyServiceRecords_;
  // Appended in any order with the record as it then was (nullptr: deleted); at the commit the
  // latest entry of each id is written. A record stays at its address until deleted, and a
  // delete appends a later entry, so the latest pointer of an id is never dangling.
  std::vector<std::pair<TaskId, const Task*>> dirtyTasks_;
  std::set<SecretId> dirtySecrets_;
  std::set<ConfigId> dirtyConfigs_;

  // What the orchestrator must look at before the commit.
  std::set<ServiceId> servicesToReconcile_;
  bool globalsToReconcile_ = false;
  // Nodes whose record changed in a way their agent acts on (role, availability).
  std::set<NodeId> nodeInfoChanged_;
};

// The node record as the agent sees it in a session message.
NodeInfo nodeInfo(const NodeRecord& node);
// The unit a task of `mode` occupies.
UnitKey unitOf(const Task& task, ServiceMode mode);
// True when a task occupies its unit: the orchestrator still wants it to run.
constexpr bool isLive(const Task& task) {
  return task.desiredState <= TaskState::RUNNING;
}
// True when the scheduler may place new tasks on the node.
constexpr bool schedulable(const NodeRecord& node) {
  return node.status == NodeStatus::READY && node.availability == NodeAvailability::ACTIVE;
}
// True when a task counts towards its node's load for the scheduler.
constexpr bool occupies(const Task& task) {
  return isLive(task) && !isTerminal(task.status.state);
}

}  // namespace swarmlet::manager
