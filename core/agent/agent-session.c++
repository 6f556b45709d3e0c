// The session half of the agent: choosing a manager, opening a session, heartbeats, session
// messages, failures and backoff (SwarmKit agent/agent.go run loop and agent/session.go).
#include <kj/debug.h>

#include "core/agent/agent.h"
#include "core/format.h"
#include "core/limits.h"

namespace swarmlet::agent {

void Agent::requireGenerationIssued(Generation generation) const {
  KJ_REQUIRE(generation <= state_.session.generation, "completion for a session never opened",
             generation, state_.session.generation);
}

// requireIssued checked the generation before the step began; due deadlines only add more.
bool Agent::isStale(Generation generation) {
  KJ_ASSERT(generation <= state_.session.generation, generation, state_.session.generation);
  if (generation == state_.session.generation) return false;
  probes_.hit(AgentProbe::STALE_SESSION_COMPLETION);
  return true;
}

// A new generation waits U[0, backoff) (0 when backoff is 0), then chooses a manager.
void Agent::startGeneration() {
  KJ_REQUIRE(state_.phase == AgentPhase::RUNNING);
  Duration delay = state_.backoff > Duration() ? prng_.uniformDuration(state_.backoff) : Duration();
  KJ_ASSERT(delay >= Duration() && (delay < state_.backoff || delay == Duration()));
  SessionState next;
  next.generation = state_.session.generation + 1;
  next.phase = SessionPhase::DELAYING;
  next.drawnDelay = delay;
  next.delayUntil = now_ + delay;
  state_.session = next;
}

void Agent::openSession() {
  KJ_ASSERT(state_.session.phase == SessionPhase::DELAYING);
  std::optional<Peer> manager = state_.remotes.select(prng_);
  if (!manager.has_value()) {
    // SwarmKit reports a failed selection as a session error after the delay; so do we.
    failSession(RpcError{ErrorCode::UNAVAILABLE, "no manager is known"});
    return;
  }
  SessionState& session = state_.session;
  session.phase = SessionPhase::OPENING;
  session.manager = manager;
  session.openDeadline = now_ + limits::SESSION_START_TIMEOUT;
  emit(OpenSession{session.generation, *manager, state_.previousSessionId, state_.description});
}

void Agent::handleSessionDeadlines() {
  SessionState& session = state_.session;
  switch (session.phase) {
    case SessionPhase::DELAYING:
      if (now_ >= session.delayUntil) openSession();
      return;
    case SessionPhase::OPENING:
      if (now_ >= session.openDeadline) {
        probes_.hit(AgentProbe::OPEN_TIMED_OUT);
        failSession(RpcError{ErrorCode::DEADLINE_EXCEEDED, "session initiation timed out"});
      }
      return;
    case SessionPhase::REGISTERED:
      if (const auto& batch = state_.reporter.inFlight; batch.has_value()) {
        KJ_ASSERT(batch->generation == session.generation, "a batch outlived its session");
        if (now_ >= batch->deadline) {
          probes_.hit(AgentProbe::STATUS_REPORT_TIMED_OUT);
          failSession(RpcError{ErrorCode::DEADLINE_EXCEEDED, "status report timed out"});
          return;
        }
      }
      if (now_ < session.heartbeatAt) return;
      if (session.heartbeatOutstanding) {
        probes_.hit(AgentProbe::HEARTBEAT_TIMED_OUT);
        failSession(RpcError{ErrorCode::DEADLINE_EXCEEDED, "heartbeat timed out"});
      } else {
        sendHeartbeat();
      }
      return;
  }
}

void Agent::handleSessionOpened(const SessionOpened& opened) {
  if (isStale(opened.generation)) return;
  KJ_REQUIRE(state_.session.phase == SessionPhase::OPENING,
             "SessionOpened for a session not opening", opened.generation);
  KJ_REQUIRE(!opened.sessionId.empty(), "SessionOpened without a session id");
  // The first message (managers, node, keys) counts before the registration does.
  applySessionMessage(opened.firstMessage);
  registerSession(opened.sessionId);
}

void Agent::registerSession(const SessionId& sessionId) {
  SessionState& session = state_.session;
  session.phase = SessionPhase::REGISTERED;
  session.sessionId = sessionId;
  state_.previousSessionId = sessionId;
  state_.backoff = Duration();
  state_.consecutiveFailures = 0;
  if (!state_.ready) {
    state_.ready = true;
    emit(SignalReady{});
  }
  // The first heartbeat goes out at once; later ones at the period the manager returns.
  sendHeartbeat();
  // Every stored status is sent again on each new session (the batch goes out at step end).
  reportStoredStatuses();
}

void Agent::sendHeartbeat() {
  SessionState& session = state_.session;
  KJ_ASSERT(session.phase == SessionPhase::REGISTERED);
  KJ_ASSERT(!session.heartbeatOutstanding, "one heartbeat at a time");
  session.heartbeatOutstanding = true;
  session.heartbeatAt = now_ + limits::HEARTBEAT_TIMEOUT;
  emit(SendHeartbeat{session.generation, session.sessionId});
}

void Agent::handleHeartbeatAcked(const HeartbeatAcked& acked) {
  if (isStale(acked.generation)) return;
  SessionState& session = state_.session;
  KJ_REQUIRE(session.phase == SessionPhase::REGISTERED && session.heartbeatOutstanding,
             "HeartbeatAcked without a heartbeat outstanding", acked.generation);
  KJ_REQUIRE(acked.period >= limits::HEARTBEAT_PERIOD_MIN, "heartbeat period out of range");
  KJ_REQUIRE(acked.period <= limits::HEARTBEAT_PERIOD_MAX, "heartbeat period out of range");
  session.heartbeatOutstanding = false;
  session.heartbeatAt = now_ + acked.period;
}

void Agent::handleHeartbeatFailed(const HeartbeatFailed& failed) {
  if (isStale(failed.generation)) return;
  KJ_REQUIRE(
      state_.session.phase == SessionPhase::REGISTERED && state_.session.heartbeatOutstanding,
      "HeartbeatFailed without a heartbeat outstanding", failed.generation);
  failSession(failed.error);
}

void Agent::handleSessionFailed(const SessionFailed& failed) {
  if (isStale(failed.generation)) return;
  KJ_REQUIRE(state_.session.phase != SessionPhase::DELAYING, "SessionFailed for a session not open",
             failed.generation);
  failSession(failed.error);
}

void Agent::handleSessionMessage(const SessionMessageReceived& received) {
  if (isStale(received.generation)) return;
  KJ_REQUIRE(state_.session.phase == SessionPhase::REGISTERED,
             "a session message before the session opened", received.generation);
  applySessionMessage(received.message);
}

// Penalises the manager, grows the backoff, closes the session and starts the next generation;
// or stops the agent when the failure cannot be retried (bad credentials before any session).
void Agent::failSession(const RpcError& error) {
  SessionState& session = state_.session;
  std::optional<Peer> manager = session.manager;
  if (manager.has_value()) {
    state_.remotes.observeIfExists(*manager, -limits::REMOTE_WEIGHT_DEFAULT);
    closeSession(CloseReason::FAILURE, error);
  }
  if (state_.backoff == limits::SESSION_BACKOFF_MAX) probes_.hit(AgentProbe::BACKOFF_AT_MAX);
  state_.backoff = nextBackoff(state_.backoff);
  state_.consecutiveFailures++;
  KJ_ASSERT(state_.backoff == backoffAfterFailures(state_.consecutiveFailures));
  if (error.code == ErrorCode::UNAUTHENTICATED && !state_.ready) {
    probes_.hit(AgentProbe::CREDENTIALS_REFUSED);
    stopWithError("manager " + format(manager.value_or(Peer{})) +
                  " refused this node's credentials before any session was established (" +
                  error.message + "): check the join token and the cluster CA, then start again");
    return;
  }
  startGeneration();
}

void Agent::closeSession(CloseReason reason, std::optional<RpcError> error) {
  KJ_ASSERT(state_.session.phase != SessionPhase::DELAYING);
  KJ_ASSERT(error.has_value() == (reason == CloseReason::FAILURE));
  reporterSessionClosed();
  emit(CloseSession{state_.session.generation, reason, kj::mv(error)});
}

void Agent::applySessionMessage(const SessionMessage& message) {
  if (state_.remotes.applyManagerList(message.managers)) {
    probes_.hit(AgentProbe::MANAGERS_LIST_CHANGED);
    emit(PersistManagers{state_.remotes.peers()});
  }
  if (message.node.has_value() && message.node != state_.node) {
    state_.node = message.node;
    emit(NotifyNodeChange{*message.node});
    if (message.node->desiredRole != state_.role) {
      probes_.hit(AgentProbe::ROLE_CHANGED);
      state_.role = message.node->desiredRole;
      emit(NotifyRoleChange{state_.role});
    }
  }
  if (message.networkKeys.has_value()) {
    const auto& keys = *message.networkKeys;
    KJ_REQUIRE(keys.size() <= limits::NETWORK_KEYS_MAX, keys.size());
    // SwarmKit replaces the keys when any key carries a lamport time it has not seen.
    bool anyNew = false;
    for (const auto& key : keys) {
      bool known = false;
      for (const auto& cached : state_.networkKeys)
        known = known || cached.lamportTime == key.lamportTime;
      anyNew = anyNew || !known;
    }
    if (anyNew) {
      state_.networkKeys = keys;
      emit(SetNetworkKeys{keys});
    }
  }
}

}  // namespace swarmlet::agent
