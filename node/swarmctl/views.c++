#include "node/swarmctl/views.h"

#include <kj/debug.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "core/format.h"

namespace swarmlet::swarmctl {
namespace {

std::string upper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

bool wantedRunning(const Task& task) {
  return task.desiredState == TaskState::RUNNING;
}

template <typename Record, typename Key>
std::map<Key, const Record*> byId(const std::vector<Record>& records) {
  std::map<Key, const Record*> index;
  for (const Record& record : records)
    index.emplace(record.id, &record);
  return index;
}

}  // namespace

std::string managerStatus(const manager::NodeRecord& node,
                          const std::optional<ClusterInfo>& cluster) {
  if (!cluster.has_value() || node.role != NodeRole::MANAGER) return "";
  if (node.id == cluster->leader) return "Leader";
  return node.status == manager::NodeStatus::READY ? "Reachable" : "Unreachable";
}

std::vector<NodeView> nodeViews(const std::vector<manager::NodeRecord>& nodes,
                                const std::optional<ClusterInfo>& cluster) {
  std::vector<NodeView> views;
  for (const manager::NodeRecord& node : nodes)
    views.push_back(NodeView{node, managerStatus(node, cluster)});
  std::sort(views.begin(), views.end(), [](const NodeView& a, const NodeView& b) {
    return std::tie(a.node.description.hostname, a.node.id) <
           std::tie(b.node.description.hostname, b.node.id);
  });
  return views;
}

ServiceView serviceView(const manager::ServiceRecord& service, const std::vector<Task>& tasks) {
  ServiceView view{service, 0, 0};
  int64_t wanted = 0;
  for (const Task& task : tasks) {
    if (task.serviceId != service.id || !wantedRunning(task)) continue;
    ++wanted;
    if (task.status.state == TaskState::RUNNING) ++view.running;
  }
  view.desired = service.spec.mode == manager::ServiceMode::GLOBAL ? wanted : service.spec.replicas;
  return view;
}

std::vector<ServiceView> serviceViews(const std::vector<manager::ServiceRecord>& services,
                                      const std::vector<Task>& tasks) {
  std::vector<ServiceView> views;
  for (const manager::ServiceRecord& service : services)
    views.push_back(serviceView(service, tasks));
  std::sort(views.begin(), views.end(), [](const ServiceView& a, const ServiceView& b) {
    return std::tie(a.service.spec.name, a.service.id) <
           std::tie(b.service.spec.name, b.service.id);
  });
  return views;
}

std::string taskName(const Task& task, const std::string& serviceName) {
  if (task.slot == 0) return serviceName + "." + task.nodeId.value;
  return serviceName + "." + std::to_string(task.slot);
}

std::vector<TaskView> taskViews(const std::vector<Task>& tasks,
                                const std::vector<manager::ServiceRecord>& services,
                                const std::vector<manager::NodeRecord>& nodes) {
  auto serviceIndex = byId<manager::ServiceRecord, ServiceId>(services);
  auto nodeIndex = byId<manager::NodeRecord, NodeId>(nodes);
  std::vector<TaskView> views;
  for (const Task& task : tasks) {
    TaskView view{task, "", task.serviceId.value, task.nodeId.value};
    auto service = serviceIndex.find(task.serviceId);
    if (service != serviceIndex.end()) view.serviceName = service->second->spec.name;
    auto node = nodeIndex.find(task.nodeId);
    if (node != nodeIndex.end()) view.nodeName = node->second->description.hostname;
    view.name = taskName(task, view.serviceName);
    views.push_back(std::move(view));
  }
  std::sort(views.begin(), views.end(), [](const TaskView& a, const TaskView& b) {
    return std::tie(a.serviceName, a.task.slot, a.task.nodeId, a.task.desiredState, a.task.id) <
           std::tie(b.serviceName, b.task.slot, b.task.nodeId, b.task.desiredState, b.task.id);
  });
  return views;
}

std::string stateName(TaskState state) {
  return upper(format(state));
}

std::string statusName(manager::NodeStatus status) {
  return upper(format(status));
}

std::string availabilityName(NodeAvailability availability) {
  return upper(format(availability));
}

std::string restartConditionName(manager::RestartCondition condition) {
  switch (condition) {
    case manager::RestartCondition::ANY:
      return "any";
    case manager::RestartCondition::ON_FAILURE:
      return "on-failure";
    case manager::RestartCondition::NONE:
      return "none";
  }
  KJ_UNREACHABLE;
}

std::vector<Candidate> nodeCandidates(const std::vector<manager::NodeRecord>& nodes) {
  std::vector<Candidate> candidates;
  for (const manager::NodeRecord& node : nodes)
    candidates.push_back(Candidate{node.id.value, node.description.hostname, true});
  return candidates;
}

std::vector<Candidate> serviceCandidates(const std::vector<manager::ServiceRecord>& services) {
  std::vector<Candidate> candidates;
  for (const manager::ServiceRecord& service : services)
    candidates.push_back(Candidate{service.id.value, service.spec.name, true});
  return candidates;
}

std::vector<Candidate> taskCandidates(const std::vector<Task>& tasks,
                                      const std::vector<manager::ServiceRecord>& services) {
  std::vector<Candidate> candidates;
  for (const TaskView& view : taskViews(tasks, services, {}))
    candidates.push_back(Candidate{view.task.id.value, view.name, wantedRunning(view.task)});
  return candidates;
}

std::vector<Candidate> secretCandidates(const std::vector<io::SecretInfo>& secrets) {
  std::vector<Candidate> candidates;
  for (const io::SecretInfo& secret : secrets)
    candidates.push_back(Candidate{secret.id.value, secret.name, true});
  return candidates;
}

std::vector<Candidate> configCandidates(const std::vector<io::ConfigInfo>& configs) {
  std::vector<Candidate> candidates;
  for (const io::ConfigInfo& config : configs)
    candidates.push_back(Candidate{config.id.value, config.name, true});
  return candidates;
}

}  // namespace swarmlet::swarmctl
