// The agent driver's session connections (agent-driver.h): one Cap'n Proto two-party
// connection per session generation, the Session capability its open returned, and the
// SessionSink the manager pushes on. Internal to the driver; not thread-safe.
#pragma once

#include <capnp/rpc-twoparty.h>
#include <kj/async.h>

#include <string>

#include "dispatcher.capnp.h"
#include "io/agent-driver.h"

namespace swarmlet::io {

struct AgentDriver::Connection {
  Connection(kj::TaskSet::ErrorHandler& errors, Generation generation, std::string address)
      : generation(generation), address(kj::mv(address)), tasks(errors) {}
  KJ_DISALLOW_COPY(Connection);

  Generation generation;
  std::string address;
  // Destroyed in reverse order: the calls in flight first, the stream last (the RPC system
  // refers to the network, the network to the stream).
  kj::Own<kj::AsyncIoStream> stream;
  kj::Own<capnp::TwoPartyVatNetwork> network;
  kj::Own<capnp::RpcSystem<capnp::rpc::twoparty::VatId>> rpc;
  kj::Maybe<schema::Session::Client> session;
  // Calls sent and not answered; a stop waits for them (STOP_FLUSH_TIMEOUT at most).
  uint32_t callsInFlight = 0;
  kj::Maybe<kj::Own<kj::PromiseFulfiller<void>>> idle;
  kj::TaskSet tasks;
};

// The manager's pushes for one connection. Each goes through the pipeline, which drops what the
// core no longer waits for; a push the codec refuses is answered with an exception naming the
// field, and the connection counts as lost.
class AgentDriver::Sink final : public schema::SessionSink::Server {
 public:
  Sink(AgentDriver& driver, Generation generation) : driver_(driver), generation_(generation) {}

  kj::Promise<void> message(MessageContext context) override;
  kj::Promise<void> assignments(AssignmentsContext context) override;
  kj::Promise<void> end(EndContext context) override;

 private:
  template <typename T>
  kj::Promise<void> accept(const char* what, Decoded<T>&& decoded);

  AgentDriver& driver_;
  Generation generation_;
};

}  // namespace swarmlet::io
