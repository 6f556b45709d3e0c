// The managers' side of the simulated cluster: one leader runs the manager core; followers
// forward the calls they receive to it. The leader's writes are durable once committed (its
// answers wait for that, as the ordering contract says) but reach the replicated store only after
// a replication lag; a leader lost before then loses them, and a new leader starts from the
// replicated store with every node UNKNOWN. This is SwarmKit's behaviour that makes agents
// re-report every status after each registration.
#include "core/format.h"
#include "core/limits.h"
#include "sim/world-impl.h"

namespace swarmlet::sim {

using swarmlet::format;
namespace {

constexpr Duration HEARTBEAT_PERIOD = Duration::seconds(5);

// A cheap summary of the manager's state for the hash chain: formatting the whole state after
// every step cost a sixth of a large simulation. Every record change bumps the store version.
uint64_t stateDigest(const manager::ManagerState& state) {
  return state.storeVersion * 0x9e3779b97f4a7c15ULL ^ state.registry.size() << 32 ^
         state.batch.statuses.size() << 16 ^ state.cluster.tasks.size();
}

}  // namespace

void World::startLeader(uint32_t index) {
  ManagerHost& host = managers_[index];
  KJ_REQUIRE(host.alive);
  term_++;
  leader_ = index;
  result_.stats.leaderChanges++;
  host.incarnation++;
  manager::ManagerConfig config;
  config.seed = Prng::deriveSeed(config_.seed, 500'000 + term_);
  for (const ManagerHost& m : managers_)
    config.managers.push_back(m.peer);
  config.heartbeatPeriod = HEARTBEAT_PERIOD;
  host.core = std::make_unique<manager::Manager>(config);
  // Whole-cluster checks after every write and every 64th step otherwise (see ManagerChecker).
  host.checker = std::make_unique<ManagerChecker>(HEARTBEAT_PERIOD, 64);
  host.checker->expectStore(replicatedStore_);
  host.calls.clear();
  host.streams.clear();
  host.controls.clear();
  host.pipeline.clear();
  host.staged.clear();
  host.committing = false;
  host.wakeAt.reset();
  unreplicated_.clear();
  spanBegin(host.peer.nodeId.value, "leader");
  stepManager(host, manager::Start{snapshotOf(replicatedStore_)});
}

void World::stepManager(ManagerHost& manager, const manager::Input& input) {
  if (stopped()) return;
  manager.core->step(queue_.now(), input);
  kj::Vector<manager::Effect> taken = manager.core->takeEffects();
  std::vector<manager::Effect> effects(std::make_move_iterator(taken.begin()),
                                       std::make_move_iterator(taken.end()));
  size_t violationsBefore = manager.checker->violations().size();
  manager.checker->observe(queue_.now(), input, effects, manager.core->state());
  result_.stats.steps++;
  std::vector<std::string> lines;
  if (sink_) {
    for (const manager::Effect& effect : effects)
      lines.push_back(format(effect));
  }
  record(manager.peer.nodeId.value, format(input), lines, stateDigest(manager.core->state()));
  if (manager.checker->violations().size() > violationsBefore) {
    const std::string& first = manager.checker->violations()[violationsBefore];
    violation(ruleOf("manager: ", first), manager.peer.nodeId.value + ": " + first);
    return;
  }
  for (manager::Effect& effect : effects)
    manager.pipeline.push_back(std::move(effect));
  pumpManager(manager);
  wakeManagerLater(manager);
}

void World::wakeManagerLater(ManagerHost& manager) {
  KJ_IF_MAYBE (deadline, manager.core->nextDeadline()) {
    if (manager.wakeAt == *deadline) return;
    manager.wakeAt = *deadline;
    schedule(*deadline, ManagerWake{manager.index, manager.incarnation});
  } else {
    manager.wakeAt.reset();
  }
}

void World::pumpManager(ManagerHost& manager) {
  while (manager.alive && manager.core && !manager.committing && !manager.pipeline.empty()) {
    manager::Effect effect = std::move(manager.pipeline.front());
    manager.pipeline.pop_front();
    if (auto* persist = std::get_if<manager::Persist>(&effect)) {
      manager.staged.insert(manager.staged.end(), persist->writes.begin(), persist->writes.end());
      manager.committing = true;
      Duration commit =
          Duration::microseconds(500) + world_.uniformDuration(Duration::milliseconds(5));
      schedule(queue_.now() + commit, ManagerCommitted{manager.index, manager.incarnation});
      return;
    }
    executeManagerEffect(manager, effect);
  }
}

void World::executeManagerEffect(ManagerHost& manager, const manager::Effect& effect) {
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, manager::SessionAnswer>) {
          auto call = manager.calls.extract(e.request);
          if (call.empty()) return;
          // Two connections of one node can resume the same session (an old open arriving after
          // a newer one); pushes go to the newest connection.
          const PendingCall& answered = call.mapped();
          auto stream = manager.streams.find(e.node);
          bool newer = stream == manager.streams.end() ||
                       std::pair(answered.agentIncarnation, answered.generation) >=
                           std::pair(stream->second.agentIncarnation, stream->second.generation);
          if (!e.error.has_value() && newer) manager.streams[e.node] = answered;
          replyToAgent(manager, call.mapped(), SessionReply{e.sessionId, e.message, e.error});
        } else if constexpr (std::is_same_v<E, manager::HeartbeatAnswer>) {
          auto call = manager.calls.extract(e.request);
          if (!call.empty())
            replyToAgent(manager, call.mapped(), HeartbeatReply{e.period, e.error});
        } else if constexpr (std::is_same_v<E, manager::StatusesAnswer>) {
          auto call = manager.calls.extract(e.request);
          if (!call.empty()) {
            manager.statusesAnswered++;
            replyToAgent(manager, call.mapped(), StatusesReply{call.mapped().batch, e.error});
          }
        } else if constexpr (std::is_same_v<E, manager::SendSessionMessage>) {
          pushToNode(manager, e.node, SessionPush{e.sessionId, e.message});
        } else if constexpr (std::is_same_v<E, manager::SendAssignments>) {
          pushToNode(manager, e.node, AssignmentsPush{e.sessionId, e.message});
        } else if constexpr (std::is_same_v<E, manager::EndSession>) {
          pushToNode(manager, e.node, SessionEnd{e.sessionId, e.error});
          manager.streams.erase(e.node);
        } else if constexpr (std::is_same_v<E, manager::ControlAnswer>) {
          auto control = manager.controls.extract(e.request);
          if (control.empty() || e.error.has_value()) return;
          if (std::holds_alternative<manager::CreateService>(control.mapped())) {
            services_.push_back(ServiceId{e.id});
          } else if (std::holds_alternative<manager::CreateSecret>(control.mapped())) {
            secret_ = SecretId{e.id};
          }
        }
      },
      effect);
}

// Leader -> the manager the agent dialled -> the agent: one or two network hops.
void World::replyToAgent(ManagerHost& leader, const PendingCall& call, ToAgentMessage message) {
  AgentHost& agent = agents_[call.agent];
  if (call.agentIncarnation != agent.incarnation) return;
  const ManagerHost& via = managers_[call.via];
  uint64_t channel = channelOf(agent, call.generation);
  std::vector<Instant> hops{queue_.now()};
  if (via.index != leader.index) {
    if (!via.alive) return;
    hops = network_.route(leader.host, via.host, channel, queue_.now());
  }
  for (Instant first : hops) {
    for (Instant at : network_.route(via.host, agent.host, channel, first)) {
      schedule(at, ArriveAtAgent{agent.index, agent.incarnation, call.generation, message});
    }
  }
}

void World::pushToNode(ManagerHost& leader, const NodeId& node, ToAgentMessage message) {
  auto stream = leader.streams.find(node);
  if (stream == leader.streams.end()) return;
  replyToAgent(leader, stream->second, std::move(message));
}

void World::onArriveAtManager(const ArriveAtManager& arrival) {
  ManagerHost& dialled = managers_[arrival.manager];
  AgentHost& agent = agents_[arrival.agent];
  PendingCall call{arrival.agent, arrival.agentIncarnation, arrival.generation, arrival.manager, 0};
  auto refuse = [&](const std::string& why) {
    RpcError error{ErrorCode::UNAVAILABLE, why};
    uint64_t channel = channelOf(agent, arrival.generation);
    ToAgentMessage reply = SessionEnd{SessionId{}, error};
    if (std::holds_alternative<OpenSessionCall>(arrival.message))
      reply = SessionReply{{}, {}, error};
    if (const auto* heartbeat = std::get_if<HeartbeatCall>(&arrival.message)) {
      reply = SessionEnd{heartbeat->sessionId, error};
    }
    if (std::holds_alternative<ClosedNotice>(arrival.message)) return;
    for (Instant at : network_.route(dialled.host, agent.host, channel, queue_.now())) {
      schedule(at, ArriveAtAgent{agent.index, arrival.agentIncarnation, arrival.generation, reply});
    }
  };
  if (!dialled.alive) return refuse("connection refused");
  if (!leader_.has_value()) return refuse("the cluster has no leader");
  ManagerHost& leader = managers_[*leader_];
  if (leader.index != dialled.index && !arrival.forwarded) {
    ArriveAtManager forwarded = arrival;
    forwarded.forwarded = true;
    for (Instant at : network_.route(dialled.host, leader.host,
                                     channelOf(agent, arrival.generation), queue_.now())) {
      schedule(at, forwarded);
    }
    return;
  }
  if (arrival.agentIncarnation != agent.incarnation) return;  // a dead process's last words
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        RequestId request = ++leader.nextRequest;
        if constexpr (std::is_same_v<M, OpenSessionCall>) {
          leader.calls[request] = call;
          stepManager(leader, manager::SessionRequested{request, agent.node, m.previousSessionId,
                                                        m.description});
        } else if constexpr (std::is_same_v<M, HeartbeatCall>) {
          leader.calls[request] = call;
          stepManager(leader, manager::HeartbeatReceived{request, agent.node, m.sessionId});
        } else if constexpr (std::is_same_v<M, StatusesCall>) {
          call.batch = m.batch;
          leader.calls[request] = call;
          stepManager(leader,
                      manager::StatusesReceived{request, agent.node, m.sessionId, m.updates});
        } else if constexpr (std::is_same_v<M, ResyncCall>) {
          stepManager(leader, manager::ResyncRequested{agent.node, m.sessionId});
        } else if constexpr (std::is_same_v<M, ClosedNotice>) {
          // A connection closing ends the session only if it is the session's current one: a
          // newer connection may have resumed the same session id (docs/protocol.md).
          auto stream = leader.streams.find(agent.node);
          if (stream != leader.streams.end() &&
              (stream->second.agentIncarnation != arrival.agentIncarnation ||
               stream->second.generation != arrival.generation)) {
            return;
          }
          stepManager(leader, manager::SessionClosed{agent.node, m.sessionId});
        }
      },
      arrival.message);
}

// The leader is gone (crashed, stepped down, cut off): its unreplicated writes are lost, every
// session through it ends, and an election follows.
void World::loseLeader(const std::string& why, bool crashed) {
  if (!leader_.has_value()) return;
  ManagerHost& old = managers_[*leader_];
  fullCheck(old);
  spanEnd(old.peer.nodeId.value, "leader", why);
  old.core.reset();
  old.checker.reset();
  old.pipeline.clear();
  old.staged.clear();
  old.committing = false;
  old.calls.clear();
  old.streams.clear();
  old.wakeAt.reset();
  unreplicated_.clear();
  leader_.reset();
  term_++;
  if (crashed) old.alive = false;
  breakSessionsVia(std::nullopt, "the leader is gone: " + why);
  Duration election = profile_[FaultFamily::LEADER].length;
  if (election <= Duration()) election = Duration::seconds(1);
  schedule(queue_.now() + election, ElectLeader{term_});
}

// Every agent session through `manager` (every session at all when nullopt) ends.
void World::breakSessionsVia(std::optional<uint32_t> manager, const std::string& why) {
  for (AgentHost& agent : agents_) {
    if (!agent.alive || agent.gone || !agent.connection.has_value()) continue;
    const Connection& connection = *agent.connection;
    if (manager.has_value() && connection.manager != *manager) continue;
    const ManagerHost& via = managers_[connection.manager];
    ToAgentMessage end = SessionEnd{connection.sessionId, RpcError{ErrorCode::UNAVAILABLE, why}};
    if (connection.opening) end = SessionReply{{}, {}, RpcError{ErrorCode::UNAVAILABLE, why}};
    for (Instant at : network_.route(via.host, agent.host, channelOf(agent, connection.generation),
                                     queue_.now())) {
      schedule(at, ArriveAtAgent{agent.index, agent.incarnation, connection.generation, end});
    }
  }
}

void World::onElectLeader(const ElectLeader& elect) {
  if (elect.term != term_ || leader_.has_value() || stopped()) return;
  std::vector<uint32_t> candidates;
  for (const ManagerHost& m : managers_) {
    if (m.alive) candidates.push_back(m.index);
  }
  if (candidates.empty()) {
    schedule(queue_.now() + Duration::seconds(1), ElectLeader{term_});
    return;
  }
  uint32_t chosen = candidates[world_.uniform(candidates.size())];
  record("world", "elect " + managers_[chosen].peer.nodeId.value, {}, term_);
  startLeader(chosen);
}

void World::crashManager(ManagerHost& manager) {
  if (!manager.alive) return;
  spanBegin(manager.peer.nodeId.value, "down");
  if (leader_ == manager.index) {
    loseLeader("crashed", true);
  } else {
    manager.alive = false;
    breakSessionsVia(manager.index, "connection reset");
  }
}

void World::control(manager::ControlOperation operation) {
  if (!leader_.has_value()) return;
  ManagerHost& leader = managers_[*leader_];
  RequestId request = ++leader.nextRequest;
  leader.controls[request] = operation;
  stepManager(leader, manager::Control{request, std::move(operation)});
}

}  // namespace swarmlet::sim
