// What reaches the cores besides the operator's workload and the faults (sim/input-mix.h): control
// requests the API must refuse, nodes promoted and demoted, managers lists that change and carry
// entries no agent can dial, hostile agents forging statuses, node descriptions that change or
// fail, and a node that first starts with credentials the managers refuse. Each family has its
// rule (sim/rules.h): what the cores must make of such an input.
#include <algorithm>

#include "core/format.h"
#include "core/limits.h"
#include "sim/world-impl.h"

namespace swarmlet::sim {

using manager::ControlErrorCode;
using swarmlet::format;

namespace {

// An address no simulated manager serves: a dial there is refused.
constexpr const char* UNKNOWN_MANAGER_ADDRESS = "10.0.9.9:4242";

manager::ServiceSpec validSpec(const std::string& name) {
  manager::ServiceSpec spec;
  spec.name = name;
  spec.replicas = 1;
  spec.task.command = "/usr/bin/app";
  return spec;
}

}  // namespace

void World::inputStep() {
  Instant now = queue_.now();
  if (healing_ || now >= Instant::origin() + config_.duration) return;
  std::vector<void (World::*)()> steps;
  if (inputs_.invalidControls) steps.push_back(&World::invalidControlStep);
  if (inputs_.nodeRoles) steps.push_back(&World::nodeRoleStep);
  if (inputs_.managerLists) steps.push_back(&World::managersListStep);
  if (inputs_.hostileAgents) steps.push_back(&World::hostileStatusStep);
  if (inputs_.restarts) steps.push_back(&World::restartStep);
  if (steps.empty()) return;
  if (leader_.has_value()) (this->*steps[inputsPrng_.uniform(steps.size())])();
  schedule(now + Duration::seconds(2) + inputsPrng_.uniformDuration(Duration::seconds(10)),
           InputStep{});
}

// One request the control API must refuse, and the code it must refuse it with, drawn among
// those the cluster's current records make invalid.
void World::invalidControlStep() {
  ManagerHost& leader = managers_[*leader_];
  // A step first runs whatever is due; a Tick at the same instant runs it now, so that the
  // request is invalid against the records its own step finds, and its step has nothing else to
  // change. (A Tick with nothing due is harmless: the core contract.)
  stepManager(leader, manager::Tick{});
  if (stopped() || leader_ != leader.index) return;
  const manager::ClusterState& cluster = leader.core->state().cluster;
  // Data past the limit is made only for the request drawn (half a megabyte each).
  struct Candidate {
    manager::ControlOperation operation;
    ControlErrorCode code;
    bool oversized = false;
  };
  std::vector<Candidate> candidates;
  auto add = [&](manager::ControlOperation operation, ControlErrorCode code,
                 bool oversized = false) {
    candidates.push_back(Candidate{std::move(operation), code, oversized});
  };
  const auto INVALID = ControlErrorCode::INVALID_ARGUMENT;
  const auto NOT_FOUND = ControlErrorCode::NOT_FOUND;
  const auto EXISTS = ControlErrorCode::ALREADY_EXISTS;
  const auto PRECONDITION = ControlErrorCode::FAILED_PRECONDITION;

  manager::ServiceSpec spec = validSpec("");
  add(manager::CreateService{spec}, INVALID);  // an empty name
  spec = validSpec(std::string(limits::NAME_LENGTH_MAX + 1, 'n'));
  add(manager::CreateService{spec}, INVALID);
  spec = validSpec("refused-0");
  spec.task.command.clear();
  add(manager::CreateService{spec}, INVALID);
  spec.task.command = "/" + std::string(limits::COMMAND_LENGTH_MAX, 'c');
  add(manager::CreateService{spec}, INVALID);
  spec = validSpec("refused-1");
  spec.replicas = -1 - static_cast<int64_t>(inputsPrng_.uniform(3));
  add(manager::CreateService{spec}, INVALID);
  spec.replicas = limits::SERVICE_REPLICAS_MAX + 1;
  add(manager::CreateService{spec}, INVALID);
  spec = validSpec("refused-2");
  spec.mode = manager::ServiceMode::GLOBAL;
  spec.replicas = 3;
  add(manager::CreateService{spec}, INVALID);
  spec = validSpec("refused-3");
  switch (inputsPrng_.uniform(5)) {
    case 0:
      spec.restart.delay = Duration::seconds(-1);
      break;
    case 1:
      spec.restart.maxAttempts = -1;
      break;
    case 2:
      spec.restart.window = Duration::seconds(-1);
      break;
    case 3:
      spec.update.parallelism = -1;
      break;
    default:
      spec.update.delay = Duration::seconds(-1);
  }
  add(manager::CreateService{spec}, INVALID);
  spec = validSpec("refused-4");
  spec.task.secrets = {SecretId{"no-such-secret"}};
  add(manager::CreateService{spec}, NOT_FOUND);
  spec.task.secrets.clear();
  spec.task.configs = {ConfigId{"no-such-config"}};
  add(manager::CreateService{spec}, NOT_FOUND);
  add(manager::UpdateService{ServiceId{"no-such-service"}, validSpec("refused-5")}, NOT_FOUND);
  add(manager::ScaleService{ServiceId{"no-such-service"}, 1}, NOT_FOUND);
  add(manager::RemoveService{ServiceId{"no-such-service"}}, NOT_FOUND);
  NodeId nobody{"no-such-node"};
  add(manager::PromoteNode{nobody}, NOT_FOUND);
  add(manager::DemoteNode{nobody}, NOT_FOUND);
  add(manager::DrainNode{nobody}, NOT_FOUND);
  add(manager::PauseNode{nobody}, NOT_FOUND);
  add(manager::ActivateNode{nobody}, NOT_FOUND);
  add(manager::RemoveNode{nobody, inputsPrng_.uniform(2) == 1}, NOT_FOUND);
  add(manager::CreateSecret{"", "data"}, INVALID);
  add(manager::CreateSecret{"refused-secret", ""}, INVALID);
  add(manager::CreateSecret{"refused-secret", ""}, INVALID, true);
  add(manager::RemoveSecret{SecretId{"no-such-secret"}}, NOT_FOUND);
  add(manager::CreateConfig{std::string(limits::NAME_LENGTH_MAX + 1, 'n'), "data"}, INVALID);
  add(manager::CreateConfig{"refused-config", ""}, INVALID, true);
  add(manager::RemoveConfig{ConfigId{"no-such-config"}}, NOT_FOUND);

  // Those that the records make invalid: names in use, modes that cannot change, scaling a
  // global service, removing what a service uses, a live node without force, the last manager.
  for (const auto& [id, service] : cluster.services) {
    add(manager::CreateService{service.spec}, EXISTS);
    manager::ServiceSpec changed = service.spec;
    changed.mode = changed.mode == manager::ServiceMode::GLOBAL ? manager::ServiceMode::REPLICATED
                                                                : manager::ServiceMode::GLOBAL;
    changed.replicas = changed.mode == manager::ServiceMode::GLOBAL ? 0 : 1;
    add(manager::UpdateService{id, changed}, INVALID);
    changed = service.spec;
    changed.task.command.clear();
    add(manager::UpdateService{id, changed}, INVALID);
    if (service.spec.mode == manager::ServiceMode::GLOBAL) {
      add(manager::ScaleService{id, 2}, PRECONDITION);
    } else {
      add(manager::ScaleService{id, -1}, INVALID);
    }
    for (const SecretId& secret : service.spec.task.secrets)
      add(manager::RemoveSecret{secret}, PRECONDITION);
    for (const ConfigId& config : service.spec.task.configs)
      add(manager::RemoveConfig{config}, PRECONDITION);
  }
  for (const auto& [id, secret] : cluster.secrets)
    add(manager::CreateSecret{secret.name, "other"}, EXISTS);
  for (const auto& [id, config] : cluster.configs)
    add(manager::CreateConfig{config.name, "other"}, EXISTS);
  std::vector<NodeId> managers;
  for (const auto& [id, node] : cluster.nodes) {
    if (node.role == NodeRole::MANAGER || node.desiredRole == NodeRole::MANAGER) {
      managers.push_back(id);
      add(manager::RemoveNode{id, inputsPrng_.uniform(2) == 1}, PRECONDITION);
    } else if (node.status != manager::NodeStatus::DOWN) {
      add(manager::RemoveNode{id, false}, PRECONDITION);
    }
  }
  if (managers.size() == 1) add(manager::DemoteNode{managers.front()}, PRECONDITION);

  auto& [operation, code, oversized] = candidates[inputsPrng_.uniform(candidates.size())];
  if (oversized) {
    std::string data(limits::SECRET_DATA_BYTES_MAX + 1, 'd');
    if (auto* secret = std::get_if<manager::CreateSecret>(&operation)) secret->data = data;
    if (auto* config = std::get_if<manager::CreateConfig>(&operation)) config->data = data;
  }
  ControlledRecords before = controlledRecords(cluster);
  std::string asked = format(operation);
  RequestId request = control(std::move(operation), code);
  if (request == 0 || stopped()) return;
  if (auto broken =
          refusedButChanged(before, controlledRecords(leader.core->state().cluster), asked)) {
    violation(broken->rule, broken->detail);
  }
}

// A refused request's answer: the code the request's flaw calls for.
void World::checkRefusal(ManagerHost& manager, RequestId request,
                         const std::optional<manager::ControlError>& error) {
  auto expected = manager.refusalsExpected.extract(request);
  if (expected.empty()) return;
  worldProbes_.hit(WorldProbe::INVALID_CONTROL_REFUSED);
  const manager::ControlOperation& asked = manager.controls.at(request);
  if (auto broken = refusalAnswered(expected.mapped(), error, format(asked))) {
    violation(broken->rule, broken->detail);
  }
}

// A node promoted or demoted; when only one node is a manager, demoting it is refused.
void World::nodeRoleStep() {
  const manager::ClusterState& cluster = managers_[*leader_].core->state().cluster;
  std::optional<NodeId> node = drawNode(inputsPrng_);
  if (!node) return;
  const manager::NodeRecord& record = cluster.nodes.at(*node);
  if (record.desiredRole == NodeRole::MANAGER) {
    control(manager::DemoteNode{*node});
  } else {
    control(manager::PromoteNode{*node});
  }
}

// The leader learns a new managers list: reordered, shrunk to some of the managers, or carrying
// an entry without an address or one no manager serves. It always names a real manager, so that
// every agent can still find the leader through a follower.
void World::managersListStep() {
  ManagerHost& leader = managers_[*leader_];
  std::vector<Peer> list{leader.peer};
  for (const ManagerHost& m : managers_) {
    if (m.index != leader.index && inputsPrng_.uniform(3) != 0) list.push_back(m.peer);
  }
  switch (inputsPrng_.uniform(5)) {
    case 0:
      list.push_back(Peer{NodeId{"manager-unaddressed"}, ""});
      break;
    case 1:
      list.push_back(Peer{NodeId{"manager-gone"}, UNKNOWN_MANAGER_ADDRESS});
      break;
    case 2: {
      // A node of the cluster named as a manager (promoted elsewhere, its manager not up yet):
      // if it registers for the first time now, it joins as one.
      const AgentHost& agent = agents_[inputsPrng_.uniform(agents_.size())];
      list.push_back(Peer{agent.node, UNKNOWN_MANAGER_ADDRESS});
      break;
    }
    default:
      break;
  }
  for (size_t i = list.size(); i > 2; --i)  // the leader stays first
    std::swap(list[i - 1], list[1 + inputsPrng_.uniform(i - 1)]);
  stepManager(leader, manager::ManagersChanged{list});
}

// An agent with a session reports a status it may not: a task of another node (the manager
// refuses the whole call), or its own task moving backwards (the manager ignores the update).
// The agent's shell drops the answer: it names a batch the agent never sent.
void World::hostileStatusStep() {
  ManagerHost& leader = managers_[*leader_];
  const manager::ManagerState& state = leader.core->state();
  std::vector<const Task*> reported;
  for (const auto& [id, task] : state.cluster.tasks) {
    if (task.status.state >= TaskState::ASSIGNED && !task.nodeId.value.empty()) {
      reported.push_back(&task);
    }
  }
  if (reported.empty() || state.registry.empty()) return;
  auto registered = state.registry.begin();
  std::advance(registered, static_cast<long>(inputsPrng_.uniform(state.registry.size())));
  const NodeId& forger = registered->first;
  std::optional<shell::ConnectionId> connection = leader.shell.streamOf(forger);
  if (!connection.has_value()) return;
  const Task& task = *reported[inputsPrng_.uniform(reported.size())];
  TaskStatus status = task.status;
  status.message = std::string(FORGED_STATUS_PREFIX) + forger.value;
  bool foreign = task.nodeId != forger;
  if (!foreign) {
    if (task.status.state <= TaskState::ACCEPTED) return;
    status.state = TaskState::ACCEPTED;
  } else {
    status.state = TaskState::FAILED;
  }
  shell::StatusesCall call{registered->second.sessionId,
                           FORGED_BATCH_FIRST + forgeries_++,
                           {TaskStatusUpdate{task.id, status}}};
  manager::Input input = leader.shell.arrive(*connection, forger, shell::AgentCall(call));
  RequestId request = std::get<manager::StatusesReceived>(input).request;
  if (foreign) leader.forgedCalls[request] = task.id;
  forgedTasks_.insert(task.id);
  worldProbes_.hit(foreign ? WorldProbe::FOREIGN_STATUS_FORGED
                           : WorldProbe::STATUS_BACKWARDS_FORGED);
  stepManager(leader, input);
}

// The answer to a forged report of another node's task: refused, as permission denied.
void World::checkForgedAnswer(ManagerHost& manager, shell::Reply& reply) {
  auto forged = manager.forgedCalls.extract(reply.request);
  if (forged.empty()) return;
  if (auto broken = forgedReportAnswered(forged.mapped(), reply.message)) {
    violation(broken->rule, broken->detail);
  }
}

// After each of the leader's steps: no task holds a status its own agent did not report.
void World::checkForgedStatuses(const ManagerHost& manager) {
  if (forgedTasks_.empty() || stopped()) return;
  if (auto broken = forgedStatusHeld(manager.core->state().cluster.tasks, forgedTasks_)) {
    violation(broken->rule, broken->detail);
  }
}

// The executor's answer to DescribeNode: the node as it is, or (in a descriptions run, before the
// heal) changed memory or labels, a failure, or the same answer again a little later.
void World::describeFinished(AgentHost& agent, const DescribeFinished& finished) {
  std::optional<NodeDescription> answer =
      NodeDescription{agent.node.value, "linux/amd64", 2000, int64_t{1} << 32, {}};
  // The heal phase describes every node as it is, so that each reconnects once at most.
  if (inputs_.descriptions && !finished.again && !healing_) {
    switch (inputsPrng_.uniform(6)) {
      case 0:
        answer.reset();
        break;
      case 1:
        answer->memoryBytes += int64_t{256} << 20;
        break;
      case 2:
        answer->labels["zone"] = "zone-" + std::to_string(inputsPrng_.uniform(3));
        break;
      case 3: {
        DescribeFinished again = finished;
        again.again = true;
        schedule(queue_.now() + inputsPrng_.uniformDuration(Duration::milliseconds(100)), again);
        break;
      }
      default:
        break;
    }
  }
  stepAgent(agent, agent::NodeDescribed{finished.request, answer});
}

// A node whose credentials the managers refused stops; its operator fixes them and starts it
// again.
void World::credentialsRefused(AgentHost& agent, const std::string& error) {
  if (auto broken = credentialsStopped(agent.node, error)) {
    violation(broken->rule, broken->detail);
    return;
  }
  agent.badCredentials = false;
  worldProbes_.hit(WorldProbe::BAD_CREDENTIALS_STOPPED);
  crashAgent(agent);
  schedule(queue_.now() + Duration::seconds(5) + inputsPrng_.uniformDuration(Duration::seconds(10)),
           AgentRestart{agent.index, agent.incarnation});
}

// An operator restarts a node's agent (an upgrade, a configuration change): a clean stop, then a
// start from the same store a few seconds later.
void World::restartStep() {
  AgentHost& agent = agents_[inputsPrng_.uniform(agents_.size())];
  if (!agent.alive || agent.gone || agent.leaving || agent.badCredentials) return;
  agent.restartAfterStop = true;
  stepAgent(agent, agent::StopRequested{});
}

void World::stoppedForRestart(AgentHost& agent) {
  agent.restartAfterStop = false;
  worldProbes_.hit(WorldProbe::AGENT_RESTARTED);
  crashAgent(agent);
  schedule(queue_.now() + Duration::seconds(1) + inputsPrng_.uniformDuration(Duration::seconds(9)),
           AgentRestart{agent.index, agent.incarnation});
}

// As production's RPC system may: the answer to a session open is sent once its promise
// resolves, after the pushes the manager made on the agent's streams meanwhile, so a session's
// first assignments can overtake the answer that opens it (docs/shell-pipelines.md, rule 4).
// Here, half the time, an open's answer moves behind the pushes to its connection that follow it
// in the same batch.
void World::overtakeOpenAnswers(std::vector<shell::ManagerPortOp>& ops) {
  for (size_t i = 0; i < ops.size(); ++i) {
    const auto* reply = std::get_if<shell::Reply>(&ops[i]);
    if (reply == nullptr || !std::holds_alternative<shell::SessionReply>(reply->message)) continue;
    size_t last = i;
    for (size_t j = i + 1; j < ops.size(); ++j) {
      const auto* push = std::get_if<shell::Push>(&ops[j]);
      if (push != nullptr && push->connection == reply->connection) last = j;
    }
    if (last == i || inputsPrng_.uniform(2) == 0) continue;
    worldProbes_.hit(WorldProbe::PUSHES_OVERTOOK_ANSWER);
    std::rotate(ops.begin() + static_cast<long>(i), ops.begin() + static_cast<long>(i) + 1,
                ops.begin() + static_cast<long>(last) + 1);
    i = last;
  }
}

}  // namespace swarmlet::sim
