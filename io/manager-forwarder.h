// A follower manager's endpoint: agents may connect to any manager the managers list names, and
// a manager that is not the leader forwards each of their connections to the leader, as
// SwarmKit's followers proxy the dispatcher's calls to the raft leader. The forwarding is of
// bytes, one leader connection per agent connection: the leader sees every agent on a
// connection of its own, so identity binding, the newest-connection rule and close detection
// (docs/shell-pipelines.md) hold through the follower exactly as they do directly. When either
// side closes, the other is closed too; an agent whose leader cannot be reached is hung up on,
// and reconnects elsewhere with its backoff.
//
// Replicating the manager's state across managers is a later step (docs/swarmd.md): a follower
// today holds no cluster state, and when the leader is gone its agents cannot be served.
//
// Ownership: owns its listener and every forwarded pair of connections. Thread-safety: none; one
// event loop.
#pragma once

#include <kj/async-io.h>
#include <kj/async.h>

#include <cstdint>
#include <functional>
#include <string>

namespace swarmlet::io {

class ManagerForwarder final : private kj::TaskSet::ErrorHandler {
 public:
  // `leader` names the address to forward to, asked anew for every connection (the leader can
  // move between connections).
  ManagerForwarder(kj::Network& network, std::function<std::string()> leader);
  ~ManagerForwarder() noexcept(false);
  KJ_DISALLOW_COPY(ManagerForwarder);

  // Binds `address` ("host:port"; port 0 picks one, port() reports it) and serves it until the
  // forwarder is destroyed. Rejects with one line naming the address when it cannot be bound.
  kj::Promise<void> listen(const std::string& address);
  uint32_t port() const { return port_; }
  // Connections being forwarded now, and forwarded in all.
  size_t active() const { return active_; }
  uint64_t forwarded() const { return forwarded_; }

 private:
  kj::Promise<void> acceptLoop();
  kj::Promise<void> forward(kj::Own<kj::AsyncIoStream> agent);
  void taskFailed(kj::Exception&& exception) override;

  kj::Network& network_;
  std::function<std::string()> leader_;
  kj::Own<kj::ConnectionReceiver> listener_;
  uint32_t port_ = 0;
  size_t active_ = 0;
  uint64_t forwarded_ = 0;
  kj::TaskSet tasks_;
};

}  // namespace swarmlet::io
