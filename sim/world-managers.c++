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
  config.heartbeatPeriod = inputs_.heartbeatPeriod;
  if (host.core) lostLeaderProbes_.add(host.core->probes());
  host.core = std::make_unique<manager::Manager>(config);
  // Whole-cluster checks after every write and every 64th step otherwise (see ManagerChecker).
  host.checker = std::make_unique<ManagerChecker>(inputs_.heartbeatPeriod, 64);
  host.checker->expectStore(replicatedStore_);
  host.shell = shell::ManagerPipeline{};
  host.controls.clear();
  host.refusalsExpected.clear();
  host.forgedCalls.clear();
  host.staged.clear();
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
    checkerViolation(manager.peer.nodeId.value, first);
    return;
  }
  checkForgedStatuses(manager);
  manager.shell.intake(std::move(effects));
  executeManagerOps(manager);
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

void World::executeManagerOps(ManagerHost& manager) {
  std::vector<shell::ManagerPortOp> ops = manager.shell.takeOps();
  if (inputs_.overtakingPushes) overtakeOpenAnswers(ops);
  for (shell::ManagerPortOp& op : ops) {
    if (!manager.alive || !manager.core) return;
    executeManagerOp(manager, op);
  }
}

void World::executeManagerOp(ManagerHost& manager, shell::ManagerPortOp& op) {
  std::visit(
      [&](auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, shell::CommitWrites>) {
          manager.staged = std::move(e.writes);
          Duration commit =
              Duration::microseconds(500) + world_.uniformDuration(Duration::milliseconds(5));
          schedule(queue_.now() + commit, ManagerCommitted{manager.index, manager.incarnation});
        } else if constexpr (std::is_same_v<E, shell::Reply>) {
          if (std::holds_alternative<shell::StatusesReply>(e.message)) manager.statusesAnswered++;
          checkForgedAnswer(manager, e);
          replyToAgent(manager, ConnectionRef::unpack(e.connection), std::move(e.message));
        } else if constexpr (std::is_same_v<E, shell::Push>) {
          replyToAgent(manager, ConnectionRef::unpack(e.connection), std::move(e.message));
        } else if constexpr (std::is_same_v<E, shell::ControlReply>) {
          checkRefusal(manager, e.answer.request, e.answer.error);
          auto control = manager.controls.extract(e.answer.request);
          if (control.empty() || e.answer.error.has_value()) return;
          const manager::ControlOperation& asked = control.mapped();
          if (const auto* create = std::get_if<manager::CreateService>(&asked)) {
            if (create->spec.mode == manager::ServiceMode::GLOBAL) {
              globalService_ = ServiceId{e.answer.id};
            } else {
              services_.push_back(ServiceId{e.answer.id});
            }
          } else if (const auto* remove = std::get_if<manager::RemoveService>(&asked)) {
            std::erase(services_, remove->service);
            if (globalService_ == remove->service) globalService_.reset();
          } else if (std::holds_alternative<manager::CreateSecret>(asked)) {
            secrets_.push_back(SecretId{e.answer.id});
          } else if (const auto* removeSecret = std::get_if<manager::RemoveSecret>(&asked)) {
            std::erase(secrets_, removeSecret->secret);
          } else if (std::holds_alternative<manager::CreateConfig>(asked)) {
            configs_.push_back(ConfigId{e.answer.id});
          } else if (const auto* removeConfig = std::get_if<manager::RemoveConfig>(&asked)) {
            std::erase(configs_, removeConfig->config);
          }
        }
      },
      op);
}

// Agent index, incarnation, generation and the manager dialled, most significant first.
shell::ConnectionId ConnectionRef::pack() const {
  KJ_REQUIRE(agent < (1u << 20) && agentIncarnation < (1u << 16) && generation < (1u << 24) &&
                 via < (1u << 4),
             "a connection outside the simulator's id space", agent, agentIncarnation, generation,
             via);
  return uint64_t{agent} << 44 | agentIncarnation << 28 | generation << 4 | via;
}

ConnectionRef ConnectionRef::unpack(shell::ConnectionId id) {
  return ConnectionRef{static_cast<uint32_t>(id >> 44), (id >> 28) & 0xffff, (id >> 4) & 0xffffff,
                       static_cast<uint32_t>(id & 0xf)};
}

// Leader -> the manager the agent dialled -> the agent: one or two network hops.
void World::replyToAgent(ManagerHost& leader, const ConnectionRef& to, ToAgentMessage message) {
  AgentHost& agent = agents_[to.agent];
  if (to.agentIncarnation != agent.incarnation) return;
  const ManagerHost& via = managers_[to.via];
  uint64_t channel = channelOf(agent, to.generation);
  std::vector<Instant> hops{queue_.now()};
  if (via.index != leader.index) {
    if (!via.alive) return;
    hops = network_.route(leader.host, via.host, channel, queue_.now());
  }
  for (Instant first : hops) {
    for (Instant at : network_.route(via.host, agent.host, channel, first)) {
      schedule(at, ArriveAtAgent{agent.index, agent.incarnation, to.generation, message});
    }
  }
}

void World::onArriveAtManager(const ArriveAtManager& arrival) {
  ManagerHost& dialled = managers_[arrival.manager];
  AgentHost& agent = agents_[arrival.agent];
  auto refuse = [&](const std::string& why, ErrorCode code = ErrorCode::UNAVAILABLE) {
    RpcError error{code, why};
    uint64_t channel = channelOf(agent, arrival.generation);
    if (std::holds_alternative<ClosedNotice>(arrival.message)) return;
    const auto& call = std::get<shell::AgentCall>(arrival.message);
    ToAgentMessage reply = shell::SessionEnd{SessionId{}, error};
    if (std::holds_alternative<shell::OpenSessionCall>(call))
      reply = shell::SessionReply{{}, {}, error};
    if (const auto* heartbeat = std::get_if<shell::HeartbeatCall>(&call)) {
      reply = shell::SessionEnd{heartbeat->sessionId, error};
    }
    for (Instant at : network_.route(dialled.host, agent.host, channel, queue_.now())) {
      schedule(at, ArriveAtAgent{agent.index, arrival.agentIncarnation, arrival.generation, reply});
    }
  };
  if (!dialled.alive) return refuse("connection refused");
  // The handshake refuses a certificate no cluster CA signed, before any call reaches a core.
  if (agent.badCredentials && arrival.agentIncarnation == agent.incarnation) {
    return refuse("x509: certificate signed by unknown authority", ErrorCode::UNAUTHENTICATED);
  }
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
  shell::ConnectionId connection =
      ConnectionRef{arrival.agent, arrival.agentIncarnation, arrival.generation, arrival.manager}
          .pack();
  if (std::holds_alternative<ClosedNotice>(arrival.message)) {
    // A connection closing ends the session only if it is the session's current one: a newer
    // connection may have resumed the same session id (docs/protocol.md).
    std::optional<manager::Input> closed = leader.shell.closed(connection, agent.node);
    if (closed.has_value()) stepManager(leader, *closed);
    return;
  }
  shell::AgentCall call = std::get<shell::AgentCall>(arrival.message);
  stepManager(leader, leader.shell.arrive(connection, agent.node, std::move(call)));
}

// The leader is gone (crashed, stepped down, cut off): its unreplicated writes are lost, every
// session through it ends, and an election follows.
void World::loseLeader(const std::string& why, bool crashed) {
  if (!leader_.has_value()) return;
  ManagerHost& old = managers_[*leader_];
  fullCheck(old);
  spanEnd(old.peer.nodeId.value, "leader", why);
  lostLeaderProbes_.add(old.core->probes());
  if (!unreplicated_.empty()) worldProbes_.hit(WorldProbe::UNREPLICATED_WRITES_LOST);
  old.core.reset();
  old.checker.reset();
  old.shell = shell::ManagerPipeline{};
  old.staged.clear();
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
    if (connection.manager == Connection::NOWHERE) continue;  // nothing there to end it
    if (manager.has_value() && connection.manager != *manager) continue;
    const ManagerHost& via = managers_[connection.manager];
    // The server side ends the streams of the session (or the open in progress).
    ToAgentMessage end =
        shell::SessionEnd{agent.shell.liveSessionId(), RpcError{ErrorCode::UNAVAILABLE, why}};
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

RequestId World::control(manager::ControlOperation operation,
                         std::optional<manager::ControlErrorCode> refusal) {
  if (!leader_.has_value()) return 0;
  ManagerHost& leader = managers_[*leader_];
  manager::Input input = leader.shell.control(manager::ControlOperation(operation));
  RequestId request = std::get<manager::Control>(input).request;
  leader.controls[request] = std::move(operation);
  if (refusal.has_value()) leader.refusalsExpected[request] = *refusal;
  stepManager(leader, input);
  return request;
}

}  // namespace swarmlet::sim
