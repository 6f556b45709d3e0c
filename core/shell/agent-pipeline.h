// The rules every shell of an agent core follows, written once (architecture.md, "The shell's
// rules, written once"): the production agent driver (io/) and the simulator's agent hosts (sim/)
// both run their agent's effects through an AgentPipeline, so that every simulated run tests the
// rules production runs.
//
// The pipeline is a small sans-I/O state machine beside the core. Effects taken from the core go
// in (intake); port operations come out (takeOps) for the shell to execute on its ports: the
// store, the session connections, the executor. Port completions go back in (synced, arrive,
// connectionLost), and the pipeline answers with the core input to step, or nothing when the
// completion is one the core must not see. The rules:
//
//   - Order: operations come out in the order of the effects they carry.
//   - Group commit: every Persist waiting in the queue when the store is free becomes one
//     SyncStore; every operation after the first of them waits until synced() (a crash before
//     that loses the staged writes, never the synced ones). Only Persists move ahead of waiting
//     operations, so nothing is revealed before the writes it depends on.
//   - One connection per session generation: OpenSession dials a new connection named by its
//     generation; CloseSession hangs up that one.
//   - Answers matched to the call that asked: a session reply only while the open is unanswered,
//     a heartbeat reply only while a heartbeat is outstanding, a status reply only for the batch
//     in flight; pushes only for the connection's session.
//   - The core's view: from the moment the core closes a generation (CloseSession taken in, even
//     while its hang-up still waits behind a sync), nothing of that generation reaches the core,
//     and a failure is delivered at most once per generation.
//
// Ownership and threading: a value owned by one shell, driven by one thread. A crashed agent's
// pipeline is dropped with it; the restarted agent gets a new one.
#pragma once

#include <kj/vector.h>

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "core/agent/effect.h"
#include "core/agent/input.h"
#include "core/shell/messages.h"

namespace swarmlet::shell {

// Write these ops to the agent's task store as one synced batch, in order; then call synced().
struct SyncStore {
  std::vector<agent::StoreOp> ops;

  bool operator==(const SyncStore&) const = default;
};

// Dial `manager` on a new connection named `connection` (the session generation) and send the
// open call on it. Its reply comes back through arrive(connection, SessionReply).
struct Dial {
  Generation connection = 0;
  Peer manager;
  OpenSessionCall open;

  bool operator==(const Dial&) const = default;
};

// Send `call` on `connection` (a heartbeat, a status batch, a resync).
struct Send {
  Generation connection = 0;
  AgentCall call;

  bool operator==(const Send&) const = default;
};

// Close `connection` and forget it: its later replies need not be delivered. `reason` is the
// core's, for the log; `error` says what failed.
struct Hangup {
  Generation connection = 0;
  agent::CloseReason reason = agent::CloseReason::FAILURE;
  std::optional<RpcError> error;

  bool operator==(const Hangup&) const = default;
};

// Everything else passes through unchanged, in order: executor calls, dependency updates, node
// descriptions, the saved manager list, and the notices for the node (role, keys, ready, left,
// stopped).
using AgentPortOp =
    std::variant<SyncStore, Dial, Send, Hangup, agent::DescribeNode, agent::PersistManagers,
                 agent::NotifyNodeChange, agent::NotifyRoleChange, agent::SetNetworkKeys,
                 agent::SignalReady, agent::SignalLeft, agent::AgentStopped,
                 agent::ExecutorOperation, agent::CancelOperation, agent::UpdateDependencies>;

class AgentPipeline {
 public:
  AgentPipeline() = default;

  // The effects of one core step, in the order taken (a std::vector or the core's kj::Vector).
  // Move them in: they are not copied.
  template <typename Effects>
  void intake(Effects&& effects) {
    static_assert(!std::is_lvalue_reference_v<Effects>, "move the effects in");
    for (agent::Effect& effect : effects)
      take(std::move(effect));
    pump();
  }

  // The operations to execute now, in order. Empty while a sync is in flight and nothing is
  // ready ahead of it.
  std::vector<AgentPortOp> takeOps();

  // The SyncStore last taken is durable. REQUIRES: one is in flight.
  void synced();
  bool syncing() const { return syncing_; }

  // A message arrived on `connection`. Returns the core input it completes, or nothing when it
  // is stale (a connection the core has closed), unexpected (no such call outstanding) or for
  // another session. A push that arrives while its connection's open is still unanswered is
  // held (a transport may deliver a call's answer after the calls the other side made next, as
  // Cap'n Proto does): once the answer names the session, released() gives the held pushes of
  // that session, in order; an answer that fails drops them.
  std::optional<agent::Input> arrive(Generation connection, ManagerMessage&& message);
  // The next held push the session just opened releases, as its core input; nothing when none
  // is left. Call it until it returns nothing after every arrive().
  std::optional<agent::Input> released();

  // The transport noticed `connection` is gone (reset, refused, the peer went away). Returns a
  // SessionFailed when the core still counts on that connection.
  std::optional<agent::Input> connectionLost(Generation connection, const std::string& why);

  // The connection the core currently counts on, if any (for the shell's logs and stats).
  std::optional<Generation> liveConnection() const;
  // The session id open on the live connection (empty while opening or when none).
  SessionId liveSessionId() const;

  // Pushes held for a session whose open is unanswered. More are dropped: the assignment
  // stream's chain then shows the gap and the agent asks for a fresh COMPLETE set.
  static constexpr size_t EARLY_PUSHES_MAX = 64;

 private:
  // What the pipeline knows of the core's current session generation.
  struct Session {
    Generation generation = 0;
    SessionId sessionId;  // empty until the open is answered
    bool opening = true;
    bool heartbeatOutstanding = false;
    std::optional<BatchId> statusBatch;
    // Pushes that arrived before the open's answer (at most EARLY_PUSHES_MAX), and those the
    // answer released, not yet taken by released().
    std::deque<ManagerMessage> early;
    std::deque<ManagerMessage> releasedPushes;
  };

  std::optional<agent::Input> hold(Session& session, ManagerMessage&& message);
  void take(agent::Effect&& effect);
  void learn(const agent::Effect& effect);
  void pump();
  void sent(const agent::Effect& effect);
  AgentPortOp toOp(agent::Effect&& effect);
  const Session* sessionFor(Generation connection) const;

  // Effects taken in and not yet turned into operations; the front waits for a sync when one is
  // in flight.
  std::deque<agent::Effect> queue_;
  std::vector<AgentPortOp> ready_;
  bool syncing_ = false;
  // The core's live session: set by OpenSession, cleared by CloseSession (at intake) and by a
  // failure the pipeline delivered.
  std::optional<Session> live_;
  bool stopped_ = false;
};

}  // namespace swarmlet::shell
