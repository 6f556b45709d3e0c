// A new node's join: Dispatcher.join at --join-addr with the join token, retried while no
// manager answers there (up to a timeout), never retried once a manager refused the token.
#pragma once

#include <kj/async-io.h>

#include <string>
#include <variant>
#include <vector>

#include "core/time.h"
#include "core/types.h"

namespace swarmlet::node {

struct Joined {
  NodeId node;
  std::string secret;
  std::string clusterId;
  NodeRole role = NodeRole::WORKER;
  std::vector<Peer> managers;
};

// Why a join did not happen: the exit status (flags.h) and one line for a person.
struct JoinFailure {
  int exitStatus = 1;
  std::string message;
};

struct JoinRequest {
  std::string address;
  std::string token;
  std::string hostname;
  std::string advertiseAddress;
  Duration timeout;
};

// Runs on `io`'s event loop until the join is decided.
std::variant<Joined, JoinFailure> joinCluster(kj::AsyncIoContext& io, const JoinRequest& request);

}  // namespace swarmlet::node
