// The manager server: the production shell of one manager core. It owns a manager::Manager, runs
// its effects through a shell::ManagerPipeline (core/shell/manager-pipeline.h, the rules every
// manager shell follows) and executes the pipeline's port operations: CommitWrites as one synced
// LevelDB batch (io/manager-store.h), replies to the Cap'n Proto call that asked, pushes as
// `-> stream` calls on the agent's SessionSink, control answers to the control call that asked.
//
// Agents reach it over TCP and get `Dispatcher` (schemas/dispatcher.capnp) as the bootstrap
// capability; the control API (schemas/control.capnp) is served on a Unix socket and/or TCP.
// Every accepted agent connection gets the next shell::ConnectionId, in accept order. A node
// proves who it is with the credential of its session() call, checked against the credentials
// table of the options before anything the call says reaches the core; the first session() that
// passes binds the connection to that node, and every later call on it (and on the Session
// capabilities it returned) speaks for that node only. Bad input from outside (a refused
// credential, a message the codec refuses, too many calls in flight) is answered with an
// RpcError or ControlError naming what is wrong, logged once, and never ends the server.
//
// Durability: a store write that fails stops the server (the core has already moved on): every
// connection is dropped, nothing more is executed, and stopped() rejects with the store's error.
//
// Ownership: a ManagerServer owns its core, pipeline, connections and listeners, and its store
// unless the options lend one (then the store must outlive the server). The timer and network
// are borrowed from the event loop. Thread-safety: none; everything runs on the one event loop
// of the thread that created it.
#pragma once

#include <kj/async-io.h>
#include <kj/async.h>
#include <kj/timer.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "control.capnp.h"
#include "core/limits.h"
#include "core/manager/manager.h"
#include "core/shell/manager-pipeline.h"
#include "dispatcher.capnp.h"
#include "io/cluster-auth.h"
#include "io/leveldb-store.h"
#include "io/manager-store.h"

namespace swarmlet::io {

// --- Bounds of the server's own queues --------------------------------------------------------

// Agent connections served at once; one more is closed at once (and logged). Room for every
// node of a large cluster to reconnect while its old connection is still open.
inline constexpr size_t AGENT_CONNECTIONS_MAX = 16384;
// Calls one agent connection may have waiting for the core. A well-behaved agent has at most an
// open, a heartbeat and a status batch outstanding; more is refused with `unavailable`.
inline constexpr size_t AGENT_CALLS_IN_FLIGHT_MAX = 64;
// Pushes sent to one agent but not yet taken by its flow control. An agent that falls this far
// behind is treated as lost: its connection is dropped and the core sees its session close.
inline constexpr size_t PUSHES_IN_FLIGHT_MAX = 1024;
// Control connections served at once, and control operations waiting for the core in all.
inline constexpr size_t CONTROL_CONNECTIONS_MAX = 64;
inline constexpr size_t CONTROL_CALLS_IN_FLIGHT_MAX = 256;
// A node's secret in its credential.
inline constexpr size_t CREDENTIAL_SECRET_BYTES_MAX = 1024;

static_assert(AGENT_CALLS_IN_FLIGHT_MAX >= 3 && PUSHES_IN_FLIGHT_MAX >= 2);

// The call contexts of the capabilities the server implements.
using SessionCallContext =
    capnp::CallContext<schema::Dispatcher::SessionParams, schema::Dispatcher::SessionResults>;
using HeartbeatCallContext =
    capnp::CallContext<schema::Session::HeartbeatParams, schema::HeartbeatResult>;
using StatusesCallContext =
    capnp::CallContext<schema::Session::UpdateTaskStatusParams, schema::StatusesResult>;
using ApplyCallContext = capnp::CallContext<schema::Control::ApplyParams, schema::ControlResult>;
using JoinCallContext =
    capnp::CallContext<schema::Dispatcher::JoinParams, schema::Dispatcher::JoinResults>;

// What Control.inspectCluster answers (schemas/control.capnp, ClusterInfo).
struct ClusterSummary {
  std::string id;
  NodeId leader;
  std::vector<Peer> managers;
  std::string workerToken;
  std::string managerToken;
};

// The credentials table: each node's secret. A node absent from it cannot open a session.
using NodeCredentials = std::map<NodeId, std::string>;

struct ManagerServerOptions {
  // Where agents connect: "host:port" (port 0 picks a free port; agentPort() reports it). Empty:
  // no TCP listener (connections are handed to accept()).
  std::string listenAddress = "127.0.0.1:0";
  // The control API on a Unix socket (created mode 0600; a stale socket file is replaced) and on
  // TCP ("host:port"). Empty: not served there.
  std::string controlSocketPath;
  std::string controlAddress;
  // The store: `store` when set (lent, must outlive the server), else the LevelDB directory
  // `storeDirectory` opened with `storeOptions`.
  LevelDbStore* store = nullptr;
  std::string storeDirectory;
  StoreOptions storeOptions;
  // The cluster's heartbeat period and the manager core's seed (logged at start; production
  // draws it from the OS).
  Duration heartbeatPeriod = limits::MANAGER_HEARTBEAT_PERIOD;
  uint64_t seed = 0;
  // The managers every session message names: this manager (the leader) and its advertised
  // address first. The server adds every other node whose role is MANAGER, at the address it
  // gave when it joined (ManagersChanged).
  std::vector<Peer> managers;
  // Credentials accepted besides the cluster's own (tests; production leaves it empty).
  NodeCredentials credentials;
  // The cluster's identity is kept in the store (io/cluster-auth.h). When the store holds none
  // and this is set, the cluster is created with it as its first node (swarmd's init); when
  // neither, the server refuses joins and accepts only `credentials`.
  std::optional<NodeAuthEntry> createCluster;
  // PUSHES_IN_FLIGHT_MAX; tests lower it.
  size_t pushesInFlightMax = PUSHES_IN_FLIGHT_MAX;
  // Called after every step of the core with its input, its effects and the state it left (tests
  // plug in the simulator's ManagerChecker). Empty: nothing is called.
  std::function<void(Instant now, const manager::Input& input,
                     const std::vector<manager::Effect>& effects,
                     const manager::ManagerState& state)>
      observer;
};

class ManagerServer final : private kj::TaskSet::ErrorHandler {
  struct Private {};

 public:
  // Opens (or borrows) the store, restores it and starts the core on it (manager::Start). Refuses
  // with the store's error a directory that cannot be used or a store that does not restore.
  static StoreResult<kj::Own<ManagerServer>> open(kj::Timer& timer, ManagerServerOptions options);

  ManagerServer(Private, kj::Timer& timer, ManagerServerOptions options,
                kj::Own<LevelDbStore> owned, LevelDbStore& db, manager::StoreSnapshot snapshot,
                ClusterAuth auth);
  ~ManagerServer() noexcept(false);
  KJ_DISALLOW_COPY(ManagerServer);

  // Binds the listeners the options name and serves them until the server is destroyed. Rejects
  // with one line naming the address when one cannot be bound.
  kj::Promise<void> listen(kj::Network& network);
  // The bound TCP ports, once listen() resolved (0 when not served).
  uint32_t agentPort() const { return agentPort_; }
  uint32_t controlPort() const { return controlPort_; }

  // Serves one agent connection (e.g. one end of an in-memory pipe in tests). Returns the
  // connection's id.
  shell::ConnectionId accept(kj::Own<kj::AsyncIoStream> stream);
  // Serves the control API on one connection.
  void acceptControl(kj::Own<kj::AsyncIoStream> stream);

  // Rejects with the store's error when a write failed; never resolves otherwise.
  kj::Promise<void> stopped() { return stopped_.addBranch(); }

  const manager::ManagerState& state() const { return core_.state(); }
  const shell::ManagerPipeline& pipeline() const { return pipeline_; }
  // Agent connections currently served.
  size_t connectionCount() const { return connections_.size(); }
  // The cluster's id, leader, managers and join tokens (empty id: no cluster identity).
  ClusterSummary cluster() const;
  bool hasCluster() const { return auth_.created(); }
  // The managers every session message names now, the leader first.
  const std::vector<Peer>& managers() const { return managers_; }

  // --- For the capability servers (manager-server.c++) ---
  struct AgentConnection;
  struct ControlConnection;
  kj::Promise<void> openSession(shell::ConnectionId connection, SessionCallContext context);
  kj::Promise<void> heartbeat(shell::ConnectionId connection, const NodeId& node,
                              const SessionId& session, HeartbeatCallContext context);
  kj::Promise<void> updateTaskStatus(shell::ConnectionId connection, const NodeId& node,
                                     const SessionId& session, StatusesCallContext context);
  kj::Promise<void> resync(shell::ConnectionId connection, const NodeId& node,
                           const SessionId& session);
  void sessionDropped(shell::ConnectionId connection, const NodeId& node, uint64_t serial);
  kj::Promise<void> applyControl(ApplyCallContext context);
  kj::Promise<void> join(JoinCallContext context);
  // Draws a new join token secret for `role`; nullopt when the store refused (the server stops).
  std::optional<ClusterSummary> rotateToken(NodeRole role);
  void connectionLost(shell::ConnectionId connection, const std::string& why);
  void controlConnectionLost(uint64_t connection);

 private:
  // What a call waiting for the core receives: the pipeline's answer and, for an opened session,
  // the serial of the session on its connection.
  struct Answer {
    shell::ManagerMessage message;
    uint64_t serial = 0;
  };
  struct PendingCall {
    shell::ConnectionId connection = 0;
    kj::Own<kj::PromiseFulfiller<Answer>> fulfiller;
  };

  void taskFailed(kj::Exception&& exception) override;
  Instant now() const;
  void step(const manager::Input& input);
  void stepSoon(manager::Input&& input);
  void executeOps();
  void commit(std::vector<manager::Write>&& writes);
  void deliver(shell::Reply&& reply);
  void push(shell::Push&& push);
  void rearm();
  void wake();
  void fail(const std::string& why);
  AgentConnection* find(shell::ConnectionId connection);
  // Waits for the answer to `input` (what the pipeline made of a call on `connection`).
  kj::Promise<Answer> call(AgentConnection& connection, const manager::Input& input);
  std::optional<RpcError> authenticate(AgentConnection& connection,
                                       schema::Dispatcher::SessionParams::Reader params,
                                       NodeId& node) const;
  kj::Promise<void> acceptLoop(kj::ConnectionReceiver& receiver, bool control);
  // Recomputes the managers list (options' managers, then every other MANAGER node with the
  // address it joined with, and nodes joined with the manager token not yet registered) and
  // steps ManagersChanged when it changed.
  void refreshManagers();
  // After a control operation was answered: a removed node's credential is revoked, and a role
  // change reaches the managers list.
  void afterControl(const manager::ControlOperation& operation,
                    const manager::ControlAnswer& answer);

  kj::Timer& timer_;
  ManagerServerOptions options_;
  kj::Own<LevelDbStore> ownedDb_;
  ManagerStore store_;
  ClusterAuth auth_;
  std::vector<Peer> managers_;
  manager::Manager core_;
  shell::ManagerPipeline pipeline_;
  std::optional<std::string> failure_;
  bool stepping_ = false;
  bool destroying_ = false;

  std::unordered_map<RequestId, PendingCall> calls_;
  // For each session() waiting for the core: the sink its session's pushes will go to.
  std::unordered_map<RequestId, schema::SessionSink::Client> sinks_;
  std::unordered_map<RequestId, kj::Own<kj::PromiseFulfiller<manager::ControlAnswer>>> controls_;
  std::optional<Instant> wakeAt_;
  kj::Promise<void> wake_ = nullptr;

  kj::Own<kj::PromiseFulfiller<void>> stopFulfiller_;
  kj::ForkedPromise<void> stopped_;

  std::vector<kj::Own<kj::ConnectionReceiver>> listeners_;
  uint32_t agentPort_ = 0;
  uint32_t controlPort_ = 0;

  shell::ConnectionId lastConnection_ = 0;
  std::map<shell::ConnectionId, kj::Own<AgentConnection>> connections_;
  uint64_t lastControlConnection_ = 0;
  std::map<uint64_t, kj::Own<ControlConnection>> controlConnections_;
  // Declared last, destroyed first: its tasks (accept loops, commits, removals) use the rest.
  kj::TaskSet tasks_;
};

}  // namespace swarmlet::io
