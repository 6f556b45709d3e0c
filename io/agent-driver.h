// The agent driver: the production shell of an agent core. One KJ event loop steps the core
// (agent::Agent) and runs its effects through the agent pipeline (core/shell/agent-pipeline.h),
// executing the pipeline's port operations on real ports: the LevelDB task store (group commit),
// Cap'n Proto sessions with a manager (schemas/dispatcher.capnp), an executor and one kj::Timer
// armed at the core's next deadline. Every completion (a reply, a push, a lost connection, a
// finished executor call, a timer) goes back through the pipeline to the core, never straight
// to it (docs/agent-driver.md).
//
// Ownership: main() builds the ports (timer, store, executor, dialer, core) and hands them to
// the driver, which borrows them: each must outlive it. The driver owns its connections and
// everything in flight on them. Thread-safety: none; the driver and its ports live on one thread
// and its event loop.
#pragma once

#include <capnp/capability.h>
#include <kj/async-io.h>
#include <kj/async.h>
#include <kj/timer.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/agent/agent.h"
#include "core/shell/agent-pipeline.h"
#include "io/agent-store.h"

namespace swarmlet::io {

// Runs the core's executor calls. The process executor implements it in production; tests plug
// in an in-memory one. A call's promise is dropped to cancel it: the driver then reports
// CANCELED to the core itself.
class ExecutorPort {
 public:
  virtual ~ExecutorPort() noexcept(false) = default;
  // Runs `operation`; resolves with what the call achieved. A rejected promise reads as a
  // TEMPORARY failure naming the exception.
  virtual kj::Promise<agent::ExecutorResult> run(const agent::ExecutorOperation& operation) = 0;
  // Installs and removes secrets and configs (in memory; cannot fail).
  virtual void updateDependencies(const agent::UpdateDependencies& update) = 0;
  // Describes the node; nullopt when that failed (the cached description stays).
  virtual kj::Promise<std::optional<NodeDescription>> describe() = 0;
};

// Opens connections to managers: TCP in production (TcpDialer), in-memory pipes in tests.
class DialerPort {
 public:
  virtual ~DialerPort() noexcept(false) = default;
  // A connection to `address` ("host:port"). A rejected promise is a failed dial.
  virtual kj::Promise<kj::Own<kj::AsyncIoStream>> connect(const std::string& address) = 0;
};

// Dials "host:port" over `network` (kj::AsyncIoProvider::getNetwork()).
class TcpDialer final : public DialerPort {
 public:
  explicit TcpDialer(kj::Network& network) : network_(network) {}
  kj::Promise<kj::Own<kj::AsyncIoStream>> connect(const std::string& address) override;

 private:
  kj::Network& network_;
};

// The core a driver steps: the agent itself in production (AgentCore), the agent with its
// invariant checkers in tests.
class AgentCorePort {
 public:
  virtual ~AgentCorePort() noexcept(false) = default;
  // Steps the core with `input` at `now` and returns the effects of that step, in order.
  virtual kj::Vector<agent::Effect> step(Instant now, agent::Input&& input) = 0;
  virtual std::optional<Instant> nextDeadline() const = 0;
  virtual const agent::AgentState& state() const = 0;
};

class AgentCore final : public AgentCorePort {
 public:
  explicit AgentCore(const agent::AgentConfig& config) : agent_(config) {}
  kj::Vector<agent::Effect> step(Instant now, agent::Input&& input) override;
  std::optional<Instant> nextDeadline() const override;
  const agent::AgentState& state() const override { return agent_.state(); }

 private:
  agent::Agent agent_;
};

// What the node hears from its agent, besides tasks: the default ignores each notice.
class AgentNotices {
 public:
  virtual ~AgentNotices() noexcept(false) = default;
  virtual void ready() {}
  virtual void roleChanged(NodeRole) {}
  virtual void nodeChanged(const NodeInfo&) {}
  virtual void networkKeysChanged(const std::vector<EncryptionKey>&) {}
  virtual void left() {}
};

struct AgentDriverOptions {
  // Who this node is, and the credential the manager checks (sent with every session call).
  NodeId nodeId;
  std::string credential;
  NodeDescription description;
  // Dialed when the store holds no manager list (a node's first start): "host:port".
  std::string joinAddress;
  NodeRole role = NodeRole::WORKER;
};

// How an agent ended: `error` is empty on a requested stop, otherwise one line saying what
// went wrong and what to do.
struct AgentExit {
  std::string error;
};

// The ports the driver borrows. Each must outlive the driver.
struct AgentPorts {
  kj::Timer& timer;
  AgentStore& store;
  ExecutorPort& executor;
  DialerPort& dialer;
  AgentCorePort& core;
  AgentNotices* notices = nullptr;  // optional
};

// How long a graceful stop waits for the status sends emitted before it to be answered, before
// it drops the connection anyway (best effort, agent::SendStatuses).
inline constexpr kj::Duration STOP_FLUSH_TIMEOUT = 2 * kj::SECONDS;

// Counters for logs and tests.
struct AgentDriverStats {
  uint64_t steps = 0;          // core steps
  uint64_t commits = 0;        // synced task-store batches (group commits)
  uint64_t committedOps = 0;   // store ops in them
  uint64_t dials = 0;          // connections opened
  uint64_t refusedPushes = 0;  // pushes the codec refused
};

class AgentDriver final : private kj::TaskSet::ErrorHandler {
 public:
  AgentDriver(AgentPorts ports, AgentDriverOptions options);
  ~AgentDriver() noexcept(false);
  KJ_DISALLOW_COPY(AgentDriver);

  // Restores the store and steps Start. Returns one line when the store cannot be read (the
  // agent did not start). REQUIRES: called once, first.
  [[nodiscard]] std::optional<std::string> start();

  // Resolves once the agent stopped: after stop(), after leave() finished, or on a failure
  // (a store write refused) with its error.
  kj::Promise<AgentExit> onStopped();

  // A graceful stop: steps StopRequested (on the next turn of the loop; safe to call from a
  // notice), then executes what the pipeline still has (pending
  // syncs, the status sends emitted before the stop, answered within STOP_FLUSH_TIMEOUT) and
  // lets go of the store. Resolves like onStopped().
  kj::Promise<AgentExit> stop();

  // The node leaves the cluster: every task is removed, then the agent stops. Steps on the next
  // turn of the loop, like stop().
  void leave();

  const agent::AgentState& state() const { return core_.state(); }
  // The session generation the core counts on, if any (for logs and tests).
  std::optional<Generation> liveConnection() const { return pipeline_.liveConnection(); }
  bool stopped() const { return exit_.has_value(); }
  const AgentDriverStats& stats() const { return stats_; }

 private:
  struct Connection;
  class Sink;

  // The loop: one core step, its effects into the pipeline, the pipeline's ops executed, the
  // timer rearmed.
  void stepCore(agent::Input&& input);
  void deliver(std::optional<agent::Input>&& input);
  void pump();
  void execute(shell::AgentPortOp&& op);
  void armTimer();
  Instant now() const;

  // Port operations (agent-driver-session.c++ for the connections).
  void commitSoon(std::vector<agent::StoreOp>&& ops);
  void dial(shell::Dial&& dial);
  void openSession(Connection& connection, const shell::OpenSessionCall& open);
  void track(Connection& connection, kj::Promise<void>&& call);
  void send(shell::Send&& send);
  void hangup(const shell::Hangup& hangup);
  void runOperation(agent::ExecutorOperation&& operation);
  void cancelOperation(const agent::CancelOperation& cancel);
  void describe(const agent::DescribeNode& describe);
  void notice(shell::AgentPortOp&& op);

  // Completions from connections, always through the pipeline.
  void arrive(Generation connection, shell::ManagerMessage&& message);
  void lost(Generation connection, const std::string& why);

  void retire(Generation connection, bool drain);
  void finishIfDone();
  void finish(AgentExit exit);
  void fail(std::string error);
  void taskFailed(kj::Exception&& exception) override;

  kj::Timer& timer_;
  AgentStore& store_;
  ExecutorPort& executor_;
  DialerPort& dialer_;
  AgentCorePort& core_;
  AgentNotices* notices_;
  AgentDriverOptions options_;
  kj::TimePoint origin_;

  shell::AgentPipeline pipeline_;
  AgentDriverStats stats_;
  bool started_ = false;
  // Guards against stepping the core from inside one of its own steps, or while the operations
  // of a step are being executed.
  bool stepping_ = false;
  bool pumping_ = false;
  std::optional<Instant> armedAt_;
  kj::Canceler timerCanceler_;

  // The connections by session generation: the live one, and at most one draining after a
  // stop. Bounded by the core: it opens a generation only after closing the previous one.
  std::map<Generation, kj::Own<Connection>> connections_;

  // Executor calls in flight, by operation; at most one per task (limits::TASKS_MAX). Fulfilling
  // the entry cancels the call with CANCELED.
  std::map<agent::OperationId, kj::Own<kj::PromiseFulfiller<void>>> operations_;

  // Connections retired by a stop that still wait for their calls' answers.
  uint32_t draining_ = 0;
  // The core emitted AgentStopped (with this error): once nothing drains, the driver exits.
  bool agentStopped_ = false;
  std::string stopError_;
  std::optional<AgentExit> exit_;
  kj::PromiseFulfillerPair<void> exitPair_ = kj::newPromiseAndFulfiller<void>();
  kj::ForkedPromise<void> exitPromise_ = exitPair_.promise.fork();

  kj::TaskSet tasks_;
};

}  // namespace swarmlet::io
