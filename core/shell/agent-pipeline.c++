// The agent's effect pipeline (agent-pipeline.h): group commit, one connection per generation,
// answers matched to their calls, and the core's view of its live session.
#include "core/shell/agent-pipeline.h"

#include <kj/debug.h>

#include "core/overloaded.h"
#include "core/shell/group-commit.h"

namespace swarmlet::shell {

void AgentPipeline::take(agent::Effect&& effect) {
  learn(effect);
  queue_.push_back(std::move(effect));
}

std::vector<AgentPortOp> AgentPipeline::takeOps() {
  std::vector<AgentPortOp> ops;
  ops.swap(ready_);
  return ops;
}

void AgentPipeline::synced() {
  KJ_REQUIRE(syncing_, "synced() without a sync in flight");
  syncing_ = false;
  pump();
}

// The core's view changes when it emits an effect, not when the shell gets round to executing
// it: a CloseSession waiting behind a sync already means the core has given up on the session.
void AgentPipeline::learn(const agent::Effect& effect) {
  if (const auto* open = std::get_if<agent::OpenSession>(&effect)) {
    KJ_REQUIRE(!live_.has_value() || live_->generation < open->generation,
               "OpenSession for an old generation", open->generation);
    live_ = Session{open->generation, {}, true, false, {}, {}, {}};
  } else if (const auto* close = std::get_if<agent::CloseSession>(&effect)) {
    if (live_.has_value() && live_->generation == close->generation) live_.reset();
  } else if (std::holds_alternative<agent::AgentStopped>(effect)) {
    live_.reset();
    stopped_ = true;
  }
}

// Moves queued effects to the ready operations until a sync must be waited for. When the store
// is free and a Persist is queued, every Persist in the queue joins one sync (group commit), and
// the operations behind the first of them wait for it.
void AgentPipeline::pump() {
  while (!syncing_ && !queue_.empty()) {
    if (std::holds_alternative<agent::Persist>(queue_.front())) {
      SyncStore sync{takeQueuedPersists(queue_, &agent::Persist::ops)};
      ready_.push_back(std::move(sync));
      syncing_ = true;
      return;
    }
    sent(queue_.front());
    ready_.push_back(toOp(std::move(queue_.front())));
    queue_.pop_front();
  }
}

// A call is outstanding from when it goes out, not from when the core asked for it: an answer
// (or a duplicate of an old one) arriving while the call still waits behind a sync answers
// nothing.
void AgentPipeline::sent(const agent::Effect& effect) {
  if (const auto* heartbeat = std::get_if<agent::SendHeartbeat>(&effect)) {
    if (sessionFor(heartbeat->generation) != nullptr) live_->heartbeatOutstanding = true;
  } else if (const auto* statuses = std::get_if<agent::SendStatuses>(&effect)) {
    if (sessionFor(statuses->generation) != nullptr) live_->statusBatch = statuses->batch;
  }
}

AgentPortOp AgentPipeline::toOp(agent::Effect&& effect) {
  return std::visit(
      Overloaded{
          [](agent::OpenSession&& e) -> AgentPortOp {
            return Dial{e.generation, std::move(e.manager),
                        OpenSessionCall{std::move(e.previousSessionId), std::move(e.description)}};
          },
          [](agent::CloseSession&& e) -> AgentPortOp {
            return Hangup{e.generation, e.reason, std::move(e.error)};
          },
          [](agent::SendHeartbeat&& e) -> AgentPortOp {
            return Send{e.generation, HeartbeatCall{std::move(e.sessionId)}};
          },
          [](agent::SendStatuses&& e) -> AgentPortOp {
            return Send{e.generation,
                        StatusesCall{std::move(e.sessionId), e.batch, std::move(e.updates)}};
          },
          [](agent::ResyncAssignments&& e) -> AgentPortOp {
            return Send{e.generation, ResyncCall{std::move(e.sessionId)}};
          },
          [](agent::Persist&&) -> AgentPortOp { KJ_UNREACHABLE; },
          [](auto&& e) -> AgentPortOp { return std::move(e); },
      },
      std::move(effect));
}

const AgentPipeline::Session* AgentPipeline::sessionFor(Generation connection) const {
  if (!live_.has_value() || live_->generation != connection) return nullptr;
  return &*live_;
}

std::optional<agent::Input> AgentPipeline::arrive(Generation connection, ManagerMessage&& message) {
  if (sessionFor(connection) == nullptr) return std::nullopt;
  Session& session = *live_;
  return std::visit(
      Overloaded{
          [&](SessionReply&& m) -> std::optional<agent::Input> {
            if (!session.opening) return std::nullopt;
            session.opening = false;
            if (m.error.has_value()) {
              live_.reset();
              return agent::SessionFailed{connection, std::move(*m.error)};
            }
            session.sessionId = m.sessionId;
            session.releasedPushes = std::move(session.early);
            session.early.clear();
            return agent::SessionOpened{connection, std::move(m.sessionId), std::move(m.message)};
          },
          [&](HeartbeatReply&& m) -> std::optional<agent::Input> {
            if (session.opening || !session.heartbeatOutstanding) return std::nullopt;
            session.heartbeatOutstanding = false;
            if (m.error.has_value()) {
              live_.reset();
              return agent::HeartbeatFailed{connection, std::move(*m.error)};
            }
            return agent::HeartbeatAcked{connection, m.period};
          },
          [&](StatusesReply&& m) -> std::optional<agent::Input> {
            if (session.statusBatch != m.batch) return std::nullopt;
            session.statusBatch.reset();
            if (m.error.has_value()) {
              return agent::StatusesFailed{connection, m.batch, std::move(*m.error)};
            }
            return agent::StatusesAcked{connection, m.batch};
          },
          [&](SessionPush&& m) -> std::optional<agent::Input> {
            if (session.opening) return hold(session, std::move(m));
            if (session.sessionId != m.sessionId) return std::nullopt;
            return agent::SessionMessageReceived{connection, std::move(m.message)};
          },
          [&](AssignmentsPush&& m) -> std::optional<agent::Input> {
            if (session.opening) return hold(session, std::move(m));
            if (session.sessionId != m.sessionId) return std::nullopt;
            return agent::AssignmentsReceived{connection, std::move(m.message)};
          },
          [&](SessionEnd&& m) -> std::optional<agent::Input> {
            // An empty id ends the open itself; an id names a session the answer has yet to.
            if (session.opening && !m.sessionId.empty()) return hold(session, std::move(m));
            if (session.sessionId != m.sessionId) return std::nullopt;
            live_.reset();
            return agent::SessionFailed{connection, std::move(m.error)};
          },
      },
      std::move(message));
}

std::optional<agent::Input> AgentPipeline::hold(Session& session, ManagerMessage&& message) {
  if (session.early.size() < EARLY_PUSHES_MAX) session.early.push_back(std::move(message));
  return std::nullopt;
}

std::optional<agent::Input> AgentPipeline::released() {
  while (live_.has_value() && !live_->opening && !live_->releasedPushes.empty()) {
    ManagerMessage message = std::move(live_->releasedPushes.front());
    live_->releasedPushes.pop_front();
    if (auto input = arrive(live_->generation, std::move(message))) return input;
  }
  return std::nullopt;
}

std::optional<agent::Input> AgentPipeline::connectionLost(Generation connection,
                                                          const std::string& why) {
  if (sessionFor(connection) == nullptr) return std::nullopt;
  live_.reset();
  return agent::SessionFailed{connection, RpcError{ErrorCode::UNAVAILABLE, why}};
}

std::optional<Generation> AgentPipeline::liveConnection() const {
  if (!live_.has_value()) return std::nullopt;
  return live_->generation;
}

SessionId AgentPipeline::liveSessionId() const {
  return live_.has_value() ? live_->sessionId : SessionId{};
}

}  // namespace swarmlet::shell
