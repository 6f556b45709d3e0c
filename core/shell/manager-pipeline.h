// The rules every shell of a manager core follows, written once: the production manager server
// (io/) and the simulator's leader (sim/) both run their manager's effects through a
// ManagerPipeline. A sans-I/O state machine like AgentPipeline (agent-pipeline.h): calls from
// agents and control requests go in and come out as the core inputs to step; the core's effects
// go in (intake) and come out as port operations (takeOps). The rules:
//
//   - Order and group commit: as for the agent. Every Persist queued while the store is free
//     becomes one CommitWrites; every operation after the first of them waits for committed().
//   - Request ids are the pipeline's: every call that needs an answer gets the next id, and the
//     answer goes back as a Reply to the connection that asked (nowhere, if it is unknown).
//   - Pushes for a node go to the newest connection that opened its session: two connections of
//     one node can hold the same session id (an old open arriving after a newer one).
//   - Only the current connection's close counts: a connection closing reaches the core as
//     SessionClosed only when it is the one the node's pushes go to, and no newer connection of
//     the node has an open still unanswered (that open is resuming the session the close would
//     end; if it fails, the session's heartbeat deadline ends it).
//
// Connection ids are the port's: unique, and among one node's connections a greater id is a
// newer connection (production numbers accepted connections in order; the simulator orders them
// by the agent's incarnation and session generation).
//
// Ownership and threading: a value owned by one shell, driven by one thread. A manager that
// stops or loses leadership drops its pipeline with its core.
#pragma once

#include <kj/vector.h>

#include <deque>
#include <map>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "core/manager/effect.h"
#include "core/manager/input.h"
#include "core/shell/messages.h"

namespace swarmlet::shell {

using ConnectionId = uint64_t;

// Write these records as one synced batch, in order; then call committed().
struct CommitWrites {
  std::vector<manager::Write> writes;

  bool operator==(const CommitWrites&) const = default;
};

// The answer to the call `request`, which came on `connection`.
struct Reply {
  ConnectionId connection = 0;
  RequestId request = 0;
  ManagerMessage message;

  bool operator==(const Reply&) const = default;
};

// A push on a node's session streams: a SessionPush, an AssignmentsPush or a SessionEnd.
struct Push {
  ConnectionId connection = 0;
  NodeId node;
  ManagerMessage message;

  bool operator==(const Push&) const = default;
};

// The answer to a control request.
struct ControlReply {
  manager::ControlAnswer answer;

  bool operator==(const ControlReply&) const = default;
};

using ManagerPortOp = std::variant<CommitWrites, Reply, Push, ControlReply>;

class ManagerPipeline {
 public:
  ManagerPipeline() = default;

  // A call from `node` (as the port verified it) arrived on `connection`. Returns the input to
  // step the core with.
  manager::Input arrive(ConnectionId connection, const NodeId& node, AgentCall&& call);

  // `connection` of `node` closed (the agent hung up or the transport dropped it). Returns a
  // SessionClosed when it is the node's current connection and it opened a session.
  std::optional<manager::Input> closed(ConnectionId connection, const NodeId& node);

  // A control request; the ControlReply names the same request id.
  manager::Input control(manager::ControlOperation&& operation);

  // The effects of one core step, in the order taken (a std::vector or the core's kj::Vector),
  // moved in.
  template <typename Effects>
  void intake(Effects&& effects) {
    static_assert(!std::is_lvalue_reference_v<Effects>, "move the effects in");
    for (manager::Effect& effect : effects)
      queue_.push_back(std::move(effect));
    pump();
  }
  std::vector<ManagerPortOp> takeOps();

  // The CommitWrites last taken is durable. REQUIRES: one is in flight.
  void committed();
  bool committing() const { return committing_; }

  // The connection a node's pushes go to, if any.
  std::optional<ConnectionId> streamOf(const NodeId& node) const;

 private:
  struct PendingCall {
    ConnectionId connection = 0;
    BatchId batch = 0;  // for status calls: the agent's batch, echoed in the reply
  };
  struct PendingOpen {
    NodeId node;
    ConnectionId connection = 0;
  };
  struct Stream {
    ConnectionId connection = 0;
    SessionId sessionId;
  };

  void pump();
  void execute(manager::Effect&& effect);
  void push(const NodeId& node, ManagerMessage&& message);
  bool newerOpenPending(const NodeId& node, ConnectionId connection) const;

  RequestId lastRequest_ = 0;
  std::unordered_map<RequestId, PendingCall> calls_;
  // The opens not yet answered, by request: few at a time (one per reconnecting agent).
  std::unordered_map<RequestId, PendingOpen> opens_;
  // The newest connection that opened each node's session. Ordered: nothing iterates it where
  // order could matter, but a tree keeps memory proportional to the nodes with a session.
  std::map<NodeId, Stream> streams_;
  std::deque<manager::Effect> queue_;
  std::vector<ManagerPortOp> ready_;
  bool committing_ = false;
};

}  // namespace swarmlet::shell
