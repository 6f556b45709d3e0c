#include "io/manager-forwarder.h"

#include <kj/debug.h>

#include <utility>

namespace swarmlet::io {

ManagerForwarder::ManagerForwarder(kj::Network& network, std::function<std::string()> leader)
    : network_(network), leader_(std::move(leader)), tasks_(*this) {}

ManagerForwarder::~ManagerForwarder() noexcept(false) {}

void ManagerForwarder::taskFailed(kj::Exception&& exception) {
  KJ_LOG(WARNING, "forwarding a connection to the leader failed", exception.getDescription());
}

kj::Promise<void> ManagerForwarder::listen(const std::string& address) {
  return network_.parseAddress(address)
      .then([this](kj::Own<kj::NetworkAddress>&& parsed) {
        listener_ = parsed->listen();
        port_ = listener_->getPort();
        tasks_.add(acceptLoop());
      })
      .catch_([address](kj::Exception&& exception) -> kj::Promise<void> {
        return KJ_EXCEPTION(
            FAILED, kj::str("cannot listen for agents on ", address.c_str(), ": ",
                            exception.getDescription(), " (is the address right and free?)"));
      });
}

kj::Promise<void> ManagerForwarder::acceptLoop() {
  return listener_->accept().then([this](kj::Own<kj::AsyncIoStream>&& agent) {
    tasks_.add(forward(kj::mv(agent)));
    return acceptLoop();
  });
}

kj::Promise<void> ManagerForwarder::forward(kj::Own<kj::AsyncIoStream> agent) {
  std::string leader = leader_();
  ++active_;
  ++forwarded_;
  auto done = kj::defer([this]() { --active_; });
  return network_.parseAddress(leader)
      .then([](kj::Own<kj::NetworkAddress>&& address) { return address->connect(); })
      .then([agent = kj::mv(agent), done = kj::mv(done)](
                kj::Own<kj::AsyncIoStream>&& upstream) mutable -> kj::Promise<void> {
        // Each direction pumps until its source ends, then shuts the other side's write half;
        // the pair is closed once both are done, or at once when one fails.
        auto toLeader =
            agent->pumpTo(*upstream).then([&up = *upstream](uint64_t) { up.shutdownWrite(); });
        auto toAgent =
            upstream->pumpTo(*agent).then([&down = *agent](uint64_t) { down.shutdownWrite(); });
        return toLeader.exclusiveJoin(kj::mv(toAgent))
            .attach(kj::mv(agent), kj::mv(upstream), kj::mv(done));
      });
}

}  // namespace swarmlet::io
