#include "sim/world-rules.h"

#include <set>

#include "core/format.h"

namespace swarmlet::sim {
namespace {

std::optional<Broken> brokenAtAgent(const manager::ClusterState& cluster, const LiveAgent& agent) {
  const agent::AgentState& state = *agent.state;
  const std::string& node = agent.node->value;
  if (state.session.phase != agent::SessionPhase::REGISTERED) {
    return Broken{Rule::LIVENESS_AGENTS_REGISTERED,
                  node + " is not registered after the heal phase: " + format(state)};
  }
  for (const auto& [id, entry] : state.worker.tasks) {
    auto task = cluster.tasks.find(id);
    if (!entry.assigned) continue;
    if (task == cluster.tasks.end()) {
      return Broken{Rule::LIVENESS_VIEWS_AGREE,
                    node + " runs " + id.value + " which the manager does not know"};
    }
    if (task->second.status.state != entry.task.status.state) {
      return Broken{Rule::LIVENESS_VIEWS_AGREE,
                    id.value + " on " + node + " is " + format(entry.task.status.state) +
                        " at the agent but " + format(task->second.status.state) +
                        " at the manager"};
    }
    // A task still running must have heard the manager's last word: told to stop, it stops.
    // (A finished task's desired state may change after its end without the agent needing it.)
    if (!isTerminal(entry.task.status.state) &&
        task->second.desiredState != entry.task.desiredState) {
      return Broken{Rule::LIVENESS_DESIRED_STATE_REACHED,
                    id.value + " on " + node + " is wanted " + format(task->second.desiredState) +
                        " by the manager but " + format(entry.task.desiredState) +
                        " at the agent, which runs it " + format(entry.task.status.state)};
    }
  }
  return std::nullopt;
}

bool runs(const Task& task) {
  return task.desiredState == TaskState::RUNNING && task.status.state == TaskState::RUNNING;
}

std::optional<Broken> brokenGlobal(const manager::ClusterState& cluster,
                                   const std::vector<LiveAgent>& agents) {
  for (const auto& [id, service] : cluster.services) {
    if (service.spec.mode != manager::ServiceMode::GLOBAL) continue;
    for (const LiveAgent& agent : agents) {
      auto node = cluster.nodes.find(*agent.node);
      if (node == cluster.nodes.end() || node->second.status != manager::NodeStatus::READY ||
          node->second.availability != NodeAvailability::ACTIVE) {
        continue;
      }
      int64_t running = 0;
      for (const auto& [taskId, task] : cluster.tasks)
        running += task.serviceId == id && task.nodeId == *agent.node && runs(task);
      if (running != 1) {
        return Broken{Rule::LIVENESS_GLOBAL_ON_EVERY_NODE,
                      "service " + service.spec.name + " runs " + std::to_string(running) +
                          " tasks on " + agent.node->value + ", which is ready and active"};
      }
    }
  }
  return std::nullopt;
}

std::optional<Broken> brokenReplicated(const manager::ClusterState& cluster,
                                       const std::vector<LiveAgent>& agents) {
  std::set<NodeId> live;
  for (const LiveAgent& agent : agents)
    live.insert(*agent.node);
  if (live.empty()) return std::nullopt;
  for (const auto& [id, service] : cluster.services) {
    if (service.spec.mode != manager::ServiceMode::REPLICATED) continue;
    int64_t running = 0;
    for (const auto& [taskId, task] : cluster.tasks)
      running += task.serviceId == id && runs(task) && live.count(task.nodeId) == 1;
    if (running == service.spec.replicas) continue;
    std::string tasks;
    for (const auto& [taskId, task] : cluster.tasks) {
      if (task.serviceId != id || isTerminal(task.desiredState)) continue;
      tasks += " " + taskId.value + "@" + task.nodeId.value +
               (live.count(task.nodeId) ? "" : "(gone)") + ":" + format(task.status.state);
    }
    return Broken{Rule::LIVENESS_SERVICES_AT_COUNT, "service " + service.spec.name + " runs " +
                                                        std::to_string(running) + " of " +
                                                        std::to_string(service.spec.replicas) +
                                                        " replicas on live nodes; tasks:" + tasks};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Broken> preparedTooEarly(const NodeId& node, const Task& task,
                                       const std::set<SecretId>& secrets,
                                       const std::set<ConfigId>& configs) {
  for (const SecretId& secret : task.spec.secrets) {
    if (secrets.count(secret) == 0) {
      return Broken{Rule::WORLD_INSTALLED_BEFORE_PREPARE,
                    node.value + ": " + task.id.value + " prepared without secret " + secret.value};
    }
  }
  for (const ConfigId& config : task.spec.configs) {
    if (configs.count(config) == 0) {
      return Broken{Rule::WORLD_INSTALLED_BEFORE_PREPARE,
                    node.value + ": " + task.id.value + " prepared without config " + config.value};
    }
  }
  return std::nullopt;
}

std::optional<Broken> stoppedWithError(const NodeId& node, const std::string& error) {
  if (error.empty()) return std::nullopt;
  return Broken{Rule::WORLD_AGENT_STOPS_CLEANLY, node.value + ": " + error};
}

ControlledRecords controlledRecords(const manager::ClusterState& cluster) {
  ControlledRecords records{cluster.services, cluster.secrets, cluster.configs, {}};
  for (const auto& [id, node] : cluster.nodes)
    records.nodes.emplace(id, std::tuple(node.availability, node.role, node.desiredRole));
  return records;
}

std::optional<Broken> refusedButChanged(const ControlledRecords& before,
                                        const ControlledRecords& after,
                                        const std::string& request) {
  if (before == after) return std::nullopt;
  std::string what = before.services != after.services ? "services"
                     : before.secrets != after.secrets ? "secrets"
                     : before.configs != after.configs ? "configs"
                                                       : "nodes";
  return Broken{Rule::WORLD_INVALID_CONTROL_REFUSED,
                "a request the API must refuse changed its " + what + ": " + request};
}

std::optional<Broken> refusalAnswered(manager::ControlErrorCode expected,
                                      const std::optional<manager::ControlError>& error,
                                      const std::string& request) {
  if (!error.has_value()) {
    return Broken{Rule::WORLD_INVALID_CONTROL_REFUSED,
                  "a request the API must refuse was done: " + request};
  }
  if (error->code == expected) return std::nullopt;
  return Broken{Rule::WORLD_INVALID_CONTROL_REFUSED,
                "a request refused with the wrong code (" + error->message + "): " + request};
}

std::optional<Broken> forgedReportAnswered(const TaskId& task,
                                           const shell::ManagerMessage& answer) {
  const auto* reply = std::get_if<shell::StatusesReply>(&answer);
  if (reply != nullptr && reply->error.has_value() &&
      reply->error->code == ErrorCode::PERMISSION_DENIED) {
    return std::nullopt;
  }
  return Broken{Rule::WORLD_FORGED_STATUS_REFUSED,
                "a report of task " + task.value + " by another node was not refused"};
}

std::optional<Broken> forgedStatusHeld(const std::map<TaskId, Task>& tasks,
                                       const std::set<TaskId>& forged) {
  for (const TaskId& id : forged) {
    auto task = tasks.find(id);
    if (task == tasks.end() || !task->second.status.message.starts_with(FORGED_STATUS_PREFIX)) {
      continue;
    }
    return Broken{Rule::WORLD_FORGED_STATUS_REFUSED,
                  "task " + id.value + " holds a forged status: " + format(task->second.status)};
  }
  return std::nullopt;
}

std::optional<Broken> credentialsStopped(const NodeId& node, const std::string& error) {
  if (error.find("credentials") != std::string::npos) return std::nullopt;
  return Broken{Rule::WORLD_BAD_CREDENTIALS_STOP,
                node.value + " was refused its credentials but stopped saying: " +
                    (error.empty() ? "nothing" : error)};
}

std::optional<Broken> dialled(const NodeId& node, const Peer& manager) {
  if (!manager.address.empty()) return std::nullopt;
  return Broken{Rule::WORLD_UNADDRESSED_MANAGER_NEVER_DIALLED,
                node.value + " dialled " + manager.nodeId.value + ", which has no address"};
}

std::optional<Broken> firstBrokenLiveness(const manager::ManagerState* leader,
                                          const std::vector<LiveAgent>& agents) {
  if (leader == nullptr) return Broken{Rule::LIVENESS_A_LEADER, "no leader after the heal phase"};
  const manager::ClusterState& cluster = leader->cluster;
  for (const LiveAgent& agent : agents) {
    if (std::optional<Broken> broken = brokenAtAgent(cluster, agent)) return broken;
  }
  if (std::optional<Broken> broken = brokenGlobal(cluster, agents)) return broken;
  return brokenReplicated(cluster, agents);
}

}  // namespace swarmlet::sim
