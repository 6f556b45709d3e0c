// The agents' side of the simulated cluster: each agent core behind the shell production runs —
// its effects go through the agent pipeline (core/shell/agent-pipeline.h: group commit, one
// connection per session generation, answers matched to their calls), whose port operations
// this file executes on the simulated network, store and executor.
#include <algorithm>
#include <cctype>
#include <string_view>

#include "core/format.h"
#include "sim/world-impl.h"

namespace swarmlet::sim {
namespace {

// How often (in steps) an agent's work checker compares its whole memory with its store.
constexpr uint32_t AGENT_FULL_CHECK_EVERY = 64;

}  // namespace

using swarmlet::format;

// The message up to its first ": " (the details after it name states and times), with every word
// that holds a digit (ids, counts, durations, node names) replaced by '#'.
std::string maskedHead(const std::string& message) {
  std::string rule;
  std::string_view head(message);
  head = head.substr(0, std::min(head.find(": "), size_t{120}));
  size_t start = 0;
  while (start <= head.size()) {
    size_t end = std::min(head.find(' ', start), head.size());
    std::string_view word = head.substr(start, end - start);
    bool digits = std::any_of(word.begin(), word.end(),
                              [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (start > 0) rule += ' ';
    rule += digits ? std::string_view("#") : word;
    start = end + 1;
  }
  return rule;
}

uint64_t World::channelOf(const AgentHost& agent, Generation generation) const {
  return (static_cast<uint64_t>(agent.index + 1) << 40) ^ (agent.incarnation << 24) ^ generation;
}

void World::startAgent(AgentHost& agent, bool restart) {
  agent.incarnation++;
  // The wall clock may have been set while the process was down, either way by up to 2 s.
  Duration step = clocks_.uniformDuration(Duration::seconds(4)) - Duration::seconds(2);
  if (restart && profile_[FaultFamily::CLOCK].enabled) {
    agent.clock.setOffset(max(Duration(), agent.clock.offset() + step));
  }
  agent::AgentConfig config{
      Prng::deriveSeed(config_.seed, 100 + agent.index * 1'000 + agent.incarnation)};
  if (!agent.core) {
    // The work checker compares memory with the store in full every 64 steps (and before each
    // crash, and at the end); each step in between on what it touched (see WorkerChecker).
    agent.core = std::make_unique<CheckedAgent>(config, AGENT_FULL_CHECK_EVERY);
  } else {
    size_t violationsBefore = agent.core->violations().size();
    agent.core->crash(config, agent.durable);
    if (agent.core->violations().size() > violationsBefore) {
      const std::string& first = agent.core->violations()[violationsBefore];
      checkerViolation(agent.node.value, first);
      return;
    }
  }
  agent.alive = true;
  agent::Start start;
  start.description = NodeDescription{agent.node.value, "linux/amd64", 2000, int64_t{1} << 32, {}};
  start.managers = agent.savedManagers;
  if (start.managers.empty()) start.managers.push_back(Peer{NodeId{}, managers_[0].peer.address});
  start.store = agent.durable;
  if (agent.badJoin) {
    // A join address the node cannot use: it knows no manager until its operator fixes it.
    agent.badJoin = false;
    start.managers = {Peer{managers_[0].peer.nodeId, ""}};
    schedule(
        queue_.now() + Duration::seconds(5) + inputsPrng_.uniformDuration(Duration::seconds(10)),
        JoinFixed{agent.index, agent.incarnation});
  }
  spanEnd(agent.node.value, "down", restart ? "crashed" : "");
  stepAgent(agent, start);
}

size_t World::stepAgent(AgentHost& agent, const agent::Input& input) {
  std::optional<std::vector<agent::Effect>> effects = stepAgentCore(agent, input);
  if (!effects.has_value()) return 0;
  size_t produced = effects->size();
  carryOutEffects(agent, std::move(*effects));
  return produced;
}

// The core's step, recorded and checked; nullopt when the run stopped or the step broke a rule.
std::optional<std::vector<agent::Effect>> World::stepAgentCore(AgentHost& agent,
                                                               const agent::Input& input) {
  if (stopped()) return std::nullopt;
  size_t violationsBefore = agent.core->violations().size();
  std::vector<agent::Effect> effects = agent.core->step(agent.clock.local(queue_.now()), input);
  result_.stats.steps++;
  std::vector<std::string> lines;
  if (sink_) {
    for (const agent::Effect& effect : effects)
      lines.push_back(format(effect));
  }
  record(agent.node.value, format(input), lines, HashChain::digest(format(agent.core->state())));
  if (agent.core->violations().size() > violationsBefore) {
    const std::string& first = agent.core->violations()[violationsBefore];
    checkerViolation(agent.node.value, first);
    return std::nullopt;
  }
  return effects;
}

void World::carryOutEffects(AgentHost& agent, std::vector<agent::Effect> effects) {
  agent.shell.intake(std::move(effects));
  if (config_.recordTaskStates) sampleTaskStates(agent);
  executeAgentOps(agent);
  wakeAgentLater(agent);
}

// A sample whenever the agent's tasks change phase (none for a crashed agent).
void World::sampleTaskStates(const AgentHost& agent) {
  TaskSample sample{agent.node.value, queue_.now()};
  if (agent.alive && agent.core) {
    for (const auto& [id, entry] : agent.core->state().worker.tasks) {
      TaskState state = entry.task.status.state;
      if (isTerminal(state))
        sample.finished++;
      else if (state == TaskState::RUNNING)
        sample.running++;
      else
        sample.starting++;
    }
  }
  TaskSample& last = lastTaskSample_[agent.index];
  if (last.host == sample.host && last.starting == sample.starting &&
      last.running == sample.running && last.finished == sample.finished) {
    return;
  }
  last = sample;
  result_.taskSamples.push_back(sample);
}

void World::wakeAgentLater(AgentHost& agent) {
  std::optional<Instant> deadline = agent.core->nextDeadline();
  if (!deadline.has_value()) {
    agent.wakeAt.reset();
    return;
  }
  // The deadline is on the host's clock; the wake-up is at the true time that clock reaches it.
  Instant at = std::max(queue_.now(), agent.clock.global(*deadline));
  if (agent.wakeAt == at) return;
  agent.wakeAt = at;
  schedule(at, AgentWake{agent.index, agent.incarnation});
}

void World::executeAgentOps(AgentHost& agent) {
  for (shell::AgentPortOp& op : agent.shell.takeOps()) {
    if (!agent.alive) return;
    executeAgentOp(agent, op);
  }
}

void World::executeAgentOp(AgentHost& agent, shell::AgentPortOp& op) {
  Instant now = queue_.now();
  std::visit(
      [&](auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, shell::SyncStore>) {
          agent.staged = std::move(e.ops);
          Duration sync =
              Duration::microseconds(200) + world_.uniformDuration(Duration::milliseconds(3));
          schedule(now + sync, AgentSynced{agent.index, agent.incarnation});
        } else if constexpr (std::is_same_v<E, shell::Dial>) {
          if (auto broken = dialled(agent.node, e.manager)) {
            violation(broken->rule, broken->detail);
            return;
          }
          uint32_t manager = Connection::NOWHERE;
          for (const ManagerHost& m : managers_) {
            if (m.peer.address == e.manager.address) manager = m.index;
          }
          if (manager == Connection::NOWHERE) worldProbes_.hit(WorldProbe::UNKNOWN_MANAGER_DIALLED);
          agent.connection = Connection{e.connection, manager, {}, {}};
          sendToManager(agent, shell::AgentCall(std::move(e.open)));
        } else if constexpr (std::is_same_v<E, shell::Send>) {
          KJ_ASSERT(agent.connection.has_value() && agent.connection->generation == e.connection);
          if (std::holds_alternative<shell::HeartbeatCall>(e.call)) {
            agent.connection->heartbeatSentAt = now;
          } else if (const auto* statuses = std::get_if<shell::StatusesCall>(&e.call)) {
            agent.connection->statusSentAt = now;
            result_.stats.statusesSent += statuses->updates.size();
          }
          sendToManager(agent, std::move(e.call));
        } else if constexpr (std::is_same_v<E, shell::Hangup>) {
          if (!agent.connection.has_value() || agent.connection->generation != e.connection) return;
          sendToManager(agent, ClosedNotice{});
          network_.closeChannel(channelOf(agent, e.connection));
          agent.connection.reset();
          spanEnd(agent.node.value, "session");
          if (e.reason == agent::CloseReason::FAILURE) result_.stats.sessionFailures++;
        } else if constexpr (std::is_same_v<E, agent::DescribeNode>) {
          schedule(now + Duration::milliseconds(1),
                   DescribeFinished{agent.index, agent.incarnation, e.request});
        } else if constexpr (std::is_same_v<E, agent::PersistManagers>) {
          agent.savedManagers = e.managers;
        } else if constexpr (std::is_same_v<E, agent::ExecutorOperation>) {
          startOperation(agent, e);
        } else if constexpr (std::is_same_v<E, agent::CancelOperation>) {
          auto it = agent.operations.find(e.taskId);
          if (it == agent.operations.end() || it->second.first != e.operation) return;
          Duration delay =
              Duration::microseconds(100) + world_.uniformDuration(Duration::milliseconds(1));
          schedule(
              now + delay,
              ExecutorFinished{agent.index, agent.incarnation, e.taskId, e.operation,
                               agent::ExecutorResult{agent::ErrorClass::CANCELED, {}, "canceled"}});
        } else if constexpr (std::is_same_v<E, agent::UpdateDependencies>) {
          for (const Secret& s : e.secretsAdded)
            agent.secrets.insert(s.id);
          for (const SecretId& s : e.secretsRemoved)
            agent.secrets.erase(s);
          for (const Config& c : e.configsAdded)
            agent.configs.insert(c.id);
          for (const ConfigId& c : e.configsRemoved)
            agent.configs.erase(c);
        } else if constexpr (std::is_same_v<E, agent::SignalLeft>) {
          schedule(now, AgentStopRequest{agent.index, agent.incarnation});
        } else if constexpr (std::is_same_v<E, agent::AgentStopped>) {
          // Refused credentials (a node asked to leave before the refusal reached it stops
          // cleanly, and is gone), or an operator's restart: the node comes back.
          if (agent.badCredentials && !e.error.empty()) return credentialsRefused(agent, e.error);
          if (agent.restartAfterStop && e.error.empty()) return stoppedForRestart(agent);
          agent.gone = true;
          if (auto broken = stoppedWithError(agent.node, e.error))
            violation(broken->rule, broken->detail);
        }
      },
      op);
}

void World::sendToManager(AgentHost& agent, ToManagerMessage message) {
  KJ_ASSERT(agent.connection.has_value(), "a session call without a connection");
  const Connection& connection = *agent.connection;
  if (connection.manager == Connection::NOWHERE) {
    // Nothing listens there: the connection is refused (only the open gets that far).
    if (!std::holds_alternative<shell::AgentCall>(message) ||
        !std::holds_alternative<shell::OpenSessionCall>(std::get<shell::AgentCall>(message))) {
      return;
    }
    Duration refusal =
        Duration::milliseconds(1) + world_.uniformDuration(Duration::milliseconds(20));
    RpcError error{ErrorCode::UNAVAILABLE, "connection refused"};
    schedule(queue_.now() + refusal,
             ArriveAtAgent{agent.index, agent.incarnation, connection.generation,
                           shell::SessionReply{{}, {}, error}});
    return;
  }
  const ManagerHost& manager = managers_[connection.manager];
  for (Instant at : network_.route(agent.host, manager.host,
                                   channelOf(agent, connection.generation), queue_.now())) {
    schedule(at, ArriveAtManager{manager.index, agent.index, agent.incarnation,
                                 connection.generation, false, message});
  }
}

void World::onArriveAtAgent(const ArriveAtAgent& arrival) {
  AgentHost& agent = agents_[arrival.agent];
  if (!agent.alive || agent.gone || arrival.incarnation != agent.incarnation) return;
  if (!agent.connection.has_value() || agent.connection->generation != arrival.generation) {
    if (lateDeliveries_) deliverLateArrival(agent, arrival);
    return;
  }
  std::optional<agent::Input> input =
      agent.shell.arrive(arrival.generation, ToAgentMessage(arrival.message));
  // Then whatever pushes an opened session releases (held while its open was unanswered).
  for (; input.has_value(); input = agent.shell.released()) {
    if (!agent.alive || !agent.connection.has_value()) return;
    deliverToAgent(agent, *agent.connection, *input);
  }
}

// What the shell would have made of a message of a superseded generation, had it not dropped it.
void World::deliverLateArrival(AgentHost& agent, const ArriveAtAgent& arrival) {
  Generation generation = arrival.generation;
  if (generation >= agent.core->state().session.generation) return;  // not stale to the core
  std::optional<agent::Input> input = std::visit(
      [&](const auto& m) -> std::optional<agent::Input> {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, shell::SessionReply>) {
          if (m.error.has_value()) return agent::SessionFailed{generation, *m.error};
          return agent::SessionOpened{generation, m.sessionId, m.message};
        } else if constexpr (std::is_same_v<M, shell::HeartbeatReply>) {
          if (m.error.has_value()) return agent::HeartbeatFailed{generation, *m.error};
          return agent::HeartbeatAcked{generation, m.period};
        } else if constexpr (std::is_same_v<M, shell::StatusesReply>) {
          // The answer to a call another sent in the agent's name: no shell makes it an input.
          if (m.batch >= FORGED_BATCH_FIRST) return std::nullopt;
          if (m.error.has_value()) return agent::StatusesFailed{generation, m.batch, *m.error};
          return agent::StatusesAcked{generation, m.batch};
        } else if constexpr (std::is_same_v<M, shell::SessionPush>) {
          return agent::SessionMessageReceived{generation, m.message};
        } else if constexpr (std::is_same_v<M, shell::AssignmentsPush>) {
          return agent::AssignmentsReceived{generation, m.message};
        } else {
          static_assert(std::is_same_v<M, shell::SessionEnd>);
          return agent::SessionFailed{generation, m.error};
        }
      },
      arrival.message);
  if (input.has_value()) deliverLate(agent, *input);
}

void World::deliverLate(AgentHost& agent, const agent::Input& input) {
  // Deadlines due at this instant are handled in the same step, and may act: the rule holds only
  // when none is due.
  std::optional<Instant> due = agent.core->nextDeadline();
  bool quiet = !due.has_value() || *due > agent.clock.local(queue_.now());
  std::optional<agent::AgentState> before;
  if (quiet) before = agent.core->state();
  std::optional<std::vector<agent::Effect>> effects = stepAgentCore(agent, input);
  if (!effects.has_value()) return;
  // Checked before the effects are carried out: a stale input's effects may name a connection
  // the shell no longer has.
  if (before.has_value() && (!effects->empty() || !(agent.core->state() == *before))) {
    violation(Rule::WORLD_STALE_INPUT_CHANGES_NOTHING,
              agent.node.value + ": " + format(input) + " (stale: its session or operation was " +
                  "superseded) produced " + std::to_string(effects->size()) + " effects" +
                  (agent.core->state() == *before ? "" : " and changed the agent's state"));
    return;
  }
  carryOutEffects(agent, std::move(*effects));
}

void World::deliverToAgent(AgentHost& agent, Connection& connection, const agent::Input& input) {
  Instant now = queue_.now();
  std::visit(
      [&](const auto& in) {
        using In = std::decay_t<decltype(in)>;
        if constexpr (std::is_same_v<In, agent::SessionOpened>) {
          result_.stats.registrations++;
          spanBegin(agent.node.value, "session");
        } else if constexpr (std::is_same_v<In, agent::HeartbeatAcked> ||
                             std::is_same_v<In, agent::HeartbeatFailed>) {
          if (connection.heartbeatSentAt.has_value())
            result_.stats.heartbeatRoundTrips.push_back(now - *connection.heartbeatSentAt);
          connection.heartbeatSentAt.reset();
        } else if constexpr (std::is_same_v<In, agent::StatusesAcked> ||
                             std::is_same_v<In, agent::StatusesFailed>) {
          if (connection.statusSentAt.has_value())
            result_.stats.statusLatencies.push_back(now - *connection.statusSentAt);
        } else if constexpr (std::is_same_v<In, agent::AssignmentsReceived>) {
          result_.stats.assignmentsSent++;
          if (lateDeliveries_) agent.lastAssignments = in;
        }
      },
      input);
  stepAgent(agent, input);
  if (lateDeliveries_ && std::holds_alternative<agent::SessionOpened>(input))
    redeliverSupersededAssignments(agent);
}

// A late duplicate, in a late-delivery run: once a newer session has registered, the last
// assignments of a superseded one reach the core again (a shell draining an old connection's
// buffer after it opened the new one). The core must ignore them like any stale input.
void World::redeliverSupersededAssignments(AgentHost& agent) {
  if (stopped() || !agent.alive || !agent.lastAssignments.has_value()) return;
  const agent::SessionState& session = agent.core->state().session;
  if (session.phase != agent::SessionPhase::REGISTERED ||
      agent.lastAssignments->generation >= session.generation) {
    return;
  }
  agent::AssignmentsReceived stale = std::move(*agent.lastAssignments);
  agent.lastAssignments.reset();
  deliverLate(agent, stale);
}

void World::startOperation(AgentHost& agent, const agent::ExecutorOperation& operation) {
  if (operation.call == agent::ExecutorCall::PREPARE) {
    const auto& tasks = agent.core->state().worker.tasks;
    auto it = tasks.find(operation.taskId);
    if (it != tasks.end()) {
      auto broken = preparedTooEarly(agent.node, it->second.task, agent.secrets, agent.configs);
      if (broken.has_value()) violation(broken->rule, broken->detail);
    }
  }
  agent.operations[operation.taskId] = {operation.operation, operation.call};
  CallOutcome outcome = agent.executor->begin(queue_.now(), operation.taskId, operation.call);
  if (!outcome.at.has_value()) {
    // A WAIT on a process that runs on: it returns when a SHUTDOWN ends the process.
    KJ_ASSERT(operation.call == agent::ExecutorCall::WAIT);
    agent.waitsOnRunningProcesses[operation.taskId] = operation.operation;
    return;
  }
  schedule(*outcome.at, ExecutorFinished{agent.index, agent.incarnation, operation.taskId,
                                         operation.operation, outcome.result});
  // After the call's own answer: a stop returns once the process it stops has exited.
  if (operation.call != agent::ExecutorCall::WAIT) finishWaitOnExit(agent, operation.taskId);
}

// A call other than WAIT began on the task: a WAIT still waiting for its process returns when
// that process exits (a SHUTDOWN ended it), or never (a START or REMOVE replaced it). The WAIT
// was canceled before (one operation per task), so its answer is a canceled operation's second
// one: the shell drops it, and in late-delivery seeds the core is given it.
void World::finishWaitOnExit(AgentHost& agent, const TaskId& task) {
  auto it = agent.waitsOnRunningProcesses.find(task);
  if (it == agent.waitsOnRunningProcesses.end()) return;
  agent::OperationId wait = it->second;
  agent.waitsOnRunningProcesses.erase(it);
  auto process = agent.executor->processes().find(task);
  if (process == agent.executor->processes().end() || !process->second.exited) return;
  CallOutcome outcome = agent.executor->waitOutcome(queue_.now(), task);
  if (!outcome.at.has_value()) return;
  schedule(*outcome.at,
           ExecutorFinished{agent.index, agent.incarnation, task, wait, outcome.result});
}

void World::onExecutorFinished(const ExecutorFinished& finished) {
  AgentHost& agent = agents_[finished.agent];
  if (!agent.alive || agent.gone || finished.incarnation != agent.incarnation) return;
  auto it = agent.operations.find(finished.task);
  if (it == agent.operations.end() || it->second.first != finished.operation) {
    // A canceled operation's second completion, or one a newer operation replaced.
    if (lateDeliveries_) {
      deliverLate(agent, agent::ExecutorDone{finished.task, finished.operation, finished.result});
    }
    return;
  }
  agent.operations.erase(it);
  stepAgent(agent, agent::ExecutorDone{finished.task, finished.operation, finished.result});
}

void World::crashAgent(AgentHost& agent) {
  if (!agent.alive || agent.gone) return;
  // The process dies: the kernel resets its connections, memory and unsynced writes are lost.
  if (agent.connection.has_value()) sendToManager(agent, ClosedNotice{});
  spanEnd(agent.node.value, "session");
  spanBegin(agent.node.value, "down");
  agent.alive = false;
  if (config_.recordTaskStates) sampleTaskStates(agent);
  agent.connection.reset();
  agent.shell = shell::AgentPipeline{};
  if (!agent.staged.empty()) worldProbes_.hit(WorldProbe::AGENT_LOST_UNSYNCED);
  agent.staged.clear();
  agent.operations.clear();
  agent.waitsOnRunningProcesses.clear();
  agent.lastAssignments.reset();
  agent.wakeAt.reset();
}

// The transport noticed the connection is gone (a reset, the leader lost).
void World::dropConnection(AgentHost& agent, const std::string& why) {
  if (!agent.alive || agent.gone || !agent.connection.has_value()) return;
  std::optional<agent::Input> input = agent.shell.connectionLost(agent.connection->generation, why);
  if (input.has_value()) stepAgent(agent, *input);
}

}  // namespace swarmlet::sim
