// One connection to swarmd's control API (schemas/control.capnp, docs/manager-server.md): a Unix
// socket (bootstrap `Control`) or TCP. Every call waits for its answer on the connection's own
// KJ event loop and returns core values decoded by the io codec, so that the commands never see
// Cap'n Proto. Whatever goes wrong ends the command with a Failure (failure.h):
//   - cannot connect, connection lost, no answer within CALL_TIMEOUT: UNREACHABLE, with the
//     contract's line "cannot reach swarmd at PATH: <why> (is swarmd running? ...)";
//   - a ControlError in the answer (refused operation, failed lookup): REFUSED, with the
//     manager's message and what to do;
//   - a call this swarmd does not implement, an exception of the server, an answer the codec
//     refuses: REFUSED, naming the call.
// Ownership: a Connection owns its event loop, stream and RPC system. Thread-safety: none; one
// thread, and only one Connection per thread (kj::setupAsyncIo).
#pragma once

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>

#include <optional>
#include <string>
#include <vector>

#include "control.capnp.h"
#include "core/manager/input.h"
#include "io/codec-control.h"
#include "node/swarmctl/cluster-info.h"

namespace swarmlet::swarmctl {

// How long a connection may take to be set up, and a call to be answered. An operation is
// answered once durable; a query at once. Longer means swarmd is stuck or the address wrong.
inline constexpr kj::Duration CONNECT_TIMEOUT = 10 * kj::SECONDS;
inline constexpr kj::Duration CALL_TIMEOUT = 60 * kj::SECONDS;

// Where the control API is served.
struct Endpoint {
  // A Unix socket's path, or HOST:PORT when `tcp`.
  std::string address;
  bool tcp = false;

  bool operator==(const Endpoint&) const = default;
};

class Connection {
 public:
  // Connects; a failure is UNREACHABLE.
  explicit Connection(Endpoint endpoint);
  ~Connection() noexcept(false);
  KJ_DISALLOW_COPY(Connection);

  // Applies one operation; returns the id of what was created (empty otherwise).
  std::string apply(const manager::ControlOperation& operation);

  std::vector<manager::NodeRecord> listNodes();
  manager::NodeRecord inspectNode(const NodeId& id);
  std::vector<manager::ServiceRecord> listServices();
  manager::ServiceRecord inspectService(const ServiceId& id);
  std::vector<Task> listTasks(const io::TaskFilter& filter);
  Task inspectTask(const TaskId& id);
  std::vector<io::SecretInfo> listSecrets();
  std::vector<io::ConfigInfo> listConfigs();
  ClusterInfo inspectCluster();
  // nullopt when this swarmd does not implement inspectCluster (its other failures still fail).
  std::optional<ClusterInfo> tryInspectCluster();
  ClusterInfo rotateToken(NodeRole role);

 private:
  // Waits for `promise`, the answer to the call `name`: nullopt when this swarmd does not
  // implement it; every other failure is a Failure.
  template <typename T>
  std::optional<T> call(kj::Promise<T>&& promise, const char* name);
  // The same, and an unimplemented call is a Failure too.
  template <typename T>
  T wait(kj::Promise<T>&& promise, const char* name);
  template <typename T>
  T decoded(io::Decoded<T>&& decoded, const char* call) const;
  // The line of an UNREACHABLE failure.
  std::string unreachable(const std::string& why) const;

  Endpoint endpoint_;
  kj::AsyncIoContext io_;
  kj::Own<kj::AsyncIoStream> stream_;
  kj::Own<capnp::TwoPartyVatNetwork> network_;
  kj::Own<capnp::RpcSystem<capnp::rpc::twoparty::VatId>> rpc_;
  schema::Control::Client control_;
};

}  // namespace swarmlet::swarmctl
