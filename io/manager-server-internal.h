// The manager server's parts that only its own files use (manager-server.c++,
// manager-server-control.c++): one agent connection, one control connection, the Session and
// Control capabilities. Not for other users: include io/manager-server.h. Thread-safety: none,
// as the server's.
#pragma once

#include <capnp/rpc-twoparty.h>

#include <optional>

#include "io/manager-server.h"

namespace swarmlet::io {

// One accepted agent connection: its stream, its RPC system (bootstrap: Dispatcher), the node
// it authenticated as, and the sink its pushes go to.
struct ManagerServer::AgentConnection final : private kj::TaskSet::ErrorHandler {
  AgentConnection(ManagerServer& server, shell::ConnectionId id, kj::Own<kj::AsyncIoStream> stream);
  KJ_DISALLOW_COPY(AgentConnection);

  void taskFailed(kj::Exception&& exception) override;

  ManagerServer& server;
  const shell::ConnectionId id;
  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc;
  // Set by the first session() whose credential passed; never changes after.
  std::optional<NodeId> node;
  // The sink of the session opened last on this connection, and that session's serial.
  kj::Maybe<schema::SessionSink::Client> sink;
  uint64_t sessionSerial = 0;
  size_t callsInFlight = 0;
  size_t pushesInFlight = 0;
  // The connection is closing: nothing more is pushed and its close has been reported.
  bool lost = false;
  // Declared last, destroyed first: pushes in flight and the disconnect watcher.
  kj::TaskSet tasks;
};

// One control connection: its RPC system (bootstrap: Control).
struct ManagerServer::ControlConnection final : private kj::TaskSet::ErrorHandler {
  ControlConnection(ManagerServer& server, uint64_t id, kj::Own<kj::AsyncIoStream> stream);
  KJ_DISALLOW_COPY(ControlConnection);

  void taskFailed(kj::Exception&& exception) override;

  ManagerServer& server;
  const uint64_t id;
  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc;
  kj::TaskSet tasks;
};

// The capability an opened session returns: every call through it speaks for `node` and its
// session. Dropping it (the agent released it, or its connection went) closes the session when
// it is still its connection's current one.
class SessionImpl final : public schema::Session::Server {
 public:
  SessionImpl(ManagerServer& server, shell::ConnectionId connection, NodeId node, SessionId session,
              uint64_t serial);
  ~SessionImpl() noexcept(false);

  kj::Promise<void> heartbeat(HeartbeatContext context) override;
  kj::Promise<void> updateTaskStatus(UpdateTaskStatusContext context) override;
  kj::Promise<void> resync(ResyncContext context) override;

 private:
  ManagerServer& server_;
  shell::ConnectionId connection_;
  NodeId node_;
  SessionId session_;
  uint64_t serial_;
};

}  // namespace swarmlet::io
