// The agent core: the worker side of a node as a pure, deterministic state machine (SwarmKit's
// agent/agent.go run loop and agent/session.go, without goroutines, clocks or I/O).
//
// Contract (docs/core-contract.md):
//   step(now, input)  feeds one input. REQUIRES: now >= the previous now; the first input is
//                     Start. Due deadlines are handled before and after the input. Given an
//                     rvalue, the agent may move the tasks of an assignment message into its
//                     state instead of copying them; it behaves the same either way.
//   takeEffects()     returns the effects produced since the last call, to execute in order.
//   nextDeadline()    when the shell must call step(now, Tick{}) at the latest; none once stopped.
//   state()           a read-only view for checkers, transcripts and debugging.
//
// Ownership and threading: an Agent owns all its state and its PRNG; it is not thread-safe and
// is driven by one thread (an event loop or the simulator).
#pragma once

#include <kj/common.h>
#include <kj/vector.h>

#include <optional>

#include "core/agent/effect.h"
#include "core/agent/input.h"
#include "core/agent/probes.h"
#include "core/agent/state.h"
#include "core/prng.h"

namespace swarmlet::agent {

struct AgentConfig {
  // Seeds the agent's PRNG (backoff jitter, manager choice). Production draws it from the OS
  // and logs it; the simulator derives it from the run's seed.
  uint64_t seed = 0;
};

class Agent {
 public:
  explicit Agent(const AgentConfig& config);
  KJ_DISALLOW_COPY(Agent);

  void step(Instant now, const Input& input);
  void step(Instant now, Input&& input);
  kj::Vector<Effect> takeEffects();
  kj::Maybe<Instant> nextDeadline() const;
  const AgentState& state() const { return state_; }
  // How often each rare path was taken (core/agent/probes.h); for the simulator's sweeps.
  const AgentProbes& probes() const { return probes_; }

 private:
  // Lifecycle (agent.c++). `owned` is the input itself when the caller handed it over, so that
  // its tasks may be moved from; null otherwise.
  void stepWith(Instant now, const Input& input, AssignmentsReceived* owned);
  // REQUIRES: every id the input names as a completion was issued by an earlier step.
  void requireIssued(const Input& input) const;
  void handleStart(const Start& start);
  void handleLeave();
  void handleStop();
  void stopWithError(std::string error);
  void handleDueDeadlines();
  void handleNodeDescribed(const NodeDescribed& described);
  void describeIfDue();

  // Sessions (agent-session.c++).
  void requireGenerationIssued(Generation generation) const;
  // Counts the stale completion it finds (a probe).
  bool isStale(Generation generation);
  void startGeneration();
  void openSession();
  void handleSessionOpened(const SessionOpened& opened);
  void handleSessionFailed(const SessionFailed& failed);
  void handleSessionMessage(const SessionMessageReceived& received);
  void handleHeartbeatAcked(const HeartbeatAcked& acked);
  void handleHeartbeatFailed(const HeartbeatFailed& failed);
  void handleSessionDeadlines();
  void registerSession(const SessionId& sessionId);
  void failSession(const RpcError& error);
  void closeSession(CloseReason reason, std::optional<RpcError> error);
  void applySessionMessage(const SessionMessage& message);
  void sendHeartbeat();

  // Worker (worker.c++).
  void restoreFromStore(const StoreSnapshot& store);
  // `owned`, when not null, is the same message as the first argument, and may be moved from.
  void handleAssignments(const AssignmentsReceived& received, AssignmentsReceived* owned);
  bool acceptStreamMessage(const AssignmentsReceived& received);
  void applyAssignments(const AssignmentsMessage& message, AssignmentsMessage* owned);
  TaskMap::iterator assignTask(const Task& task, Task* owned);
  void unassignUnlisted(std::vector<TaskMap::iterator>& touched);
  void advanceTouched(std::vector<TaskMap::iterator>& touched, bool everyTask);
  void unassignTask(const TaskId& id);
  void unassignTask(TaskEntry& entry);
  void forgetTask(TaskId id);
  void beginLeave();
  void finishLeaveIfDone();
  std::vector<StoreOp>& stepStoreOps();
  void recordStoreOp(StoreOp op);
  void recordPutTask(const Task& task);
  void finishStep();

  // Task runner (task-runner.c++).
  void advanceTask(const TaskId& id);
  void advanceTask(TaskMap::iterator it);
  void issueOperation(TaskEntry& entry, ExecutorCall call);
  void cancelOperation(TaskEntry& entry);
  void setTaskStatus(TaskEntry& entry, const TaskStatus& next);
  void handleExecutorDone(const ExecutorDone& done);
  void scheduleRetry(TaskEntry& entry);
  void clearRetry(TaskEntry& entry);
  void handleTaskRetries();
  void cancelAllOperations();

  // Reporter (reporter.c++).
  void reportStatus(const TaskId& id, const TaskStatus& status);
  void reportStoredStatuses();
  void flushStatuses();
  void flushStatusesOnStop();
  void handleStatusesAcked(const StatusesAcked& acked);
  void handleStatusesFailed(const StatusesFailed& failed);
  void reporterSessionClosed();

  // Constructs the effect in place and returns it, so that a large member (a task) can be filled
  // in without being moved again.
  template <typename SomeEffect>
  SomeEffect& emit(SomeEffect&& effect) {
    return std::get<SomeEffect>(effects_.add(kj::mv(effect)));
  }

  AgentState state_;
  AgentProbes probes_;
  Prng prng_;
  Instant now_;
  kj::Vector<Effect> effects_;
  // Within a step: where the step's Persist sits in effects_, once it has a store op, and how
  // many ops to make room for when it is created (a large assignment set's estimate).
  std::optional<size_t> persistIndex_;
  size_t storeOpsHint_ = 0;
};

// min(8s, 100ms * (2^k - 1)): the backoff after k consecutive failures, in closed form.
Duration backoffAfterFailures(uint32_t failures);
// The recurrence applied on each failure: min(100ms + 2b, 8s).
Duration nextBackoff(Duration backoff);

}  // namespace swarmlet::agent
