#include "node/swarmd/join.h"

#include <capnp/rpc-twoparty.h>

#include "dispatcher.capnp.h"
#include "io/cluster-auth.h"
#include "io/codec.h"
#include "node/swarmd/flags.h"
#include "node/swarmd/log.h"

namespace swarmlet::node {

namespace {

// One attempt: the manager's answer, or nullopt with `why` set when no manager answered.
std::optional<std::variant<Joined, JoinFailure>> attempt(kj::AsyncIoContext& io,
                                                         const JoinRequest& request,
                                                         std::string& why) {
  std::optional<std::variant<Joined, JoinFailure>> outcome;
  KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&]() {
                 auto stream = io.provider->getNetwork()
                                   .parseAddress(request.address)
                                   .wait(io.waitScope)
                                   ->connect()
                                   .wait(io.waitScope);
                 capnp::TwoPartyClient client(*stream);
                 auto dispatcher = client.bootstrap().castAs<schema::Dispatcher>();
                 auto call = dispatcher.joinRequest();
                 call.setToken(request.token);
                 call.setHostname(request.hostname);
                 call.setAdvertiseAddress(request.advertiseAddress);
                 auto response = call.send().wait(io.waitScope);
                 auto result = response.getResult();
                 if (result.isError()) {
                   auto error = io::decodeRpcError(result.getError());
                   std::string message =
                       error.ok() ? error.value->message : "the manager's answer: " + error.error;
                   bool refused = error.ok() && error.value->code == ErrorCode::UNAUTHENTICATED;
                   outcome = JoinFailure{refused ? EXIT_JOIN_REFUSED : EXIT_FAILED,
                                         "the manager at " + request.address +
                                             " refused to let this node join: " + message};
                   return;
                 }
                 auto joined = result.getJoined();
                 auto secret = joined.getSecret();
                 Joined node;
                 node.node = NodeId{joined.getNodeId()};
                 node.secret =
                     std::string(reinterpret_cast<const char*>(secret.begin()), secret.size());
                 node.clusterId = joined.getClusterId();
                 node.role = joined.getRole() == schema::NodeRole::MANAGER ? NodeRole::MANAGER
                                                                           : NodeRole::WORKER;
                 for (auto peer : joined.getManagers()) {
                   auto decoded = io::decodePeer(peer);
                   if (decoded.ok()) node.managers.push_back(*decoded.value);
                 }
                 if (node.node.empty() || node.secret.empty()) {
                   outcome = JoinFailure{EXIT_FAILED, "the manager at " + request.address +
                                                          " answered the join without an identity"};
                   return;
                 }
                 outcome = std::move(node);
               })) {
    why = exception->getDescription().cStr();
    return std::nullopt;
  }
  return outcome;
}

}  // namespace

std::variant<Joined, JoinFailure> joinCluster(kj::AsyncIoContext& io, const JoinRequest& request) {
  auto parsed = io::parseJoinToken(request.token);
  if (auto* why = std::get_if<std::string>(&parsed)) {
    return JoinFailure{EXIT_JOIN_REFUSED, "--join-token: " + *why};
  }
  kj::TimePoint until = io.provider->getTimer().now() + request.timeout.count() * kj::NANOSECONDS;
  bool warned = false;
  while (true) {
    std::string why;
    auto outcome = attempt(io, request, why);
    if (outcome.has_value()) return *std::move(outcome);
    if (io.provider->getTimer().now() >= until) {
      return JoinFailure{EXIT_UNREACHABLE,
                         "cannot reach a manager at " + request.address + ": " + why +
                             " (check --join-addr, and that the manager's swarmd is running)"};
    }
    if (!warned) {
      log(LogLevel::WARN, "no manager answers yet, retrying",
          {{"address", request.address}, {"error", why}});
      warned = true;
    }
    io.provider->getTimer().afterDelay(500 * kj::MILLISECONDS).wait(io.waitScope);
  }
}

}  // namespace swarmlet::node
