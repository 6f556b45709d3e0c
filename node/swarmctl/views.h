// What swarmctl shows of each record: the record itself and what only the cluster around it can
// say (a node's manager status, a service's running tasks, a task's name and its node's
// hostname), computed once here from the list queries' results so that the table, the JSON and
// the text output agree. Also the candidates each kind of reference is resolved among
// (resolve.h). Pure functions over values; safe from any thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/manager/store.h"
#include "core/task.h"
#include "io/codec-control.h"
#include "node/swarmctl/cluster-info.h"
#include "node/swarmctl/resolve.h"

namespace swarmlet::swarmctl {

struct NodeView {
  manager::NodeRecord node;
  // "Leader", "Reachable", "Unreachable", or empty for a worker (and for every node when the
  // cluster could not be inspected).
  std::string managerStatus;

  bool operator==(const NodeView&) const = default;
};

struct ServiceView {
  manager::ServiceRecord service;
  // Tasks wanted: the replica count, or for a global service the tasks it wants running.
  int64_t desired = 0;
  // Tasks wanted running that are running.
  int64_t running = 0;

  bool operator==(const ServiceView&) const = default;
};

struct TaskView {
  Task task;
  // "web.2", or "web.<node id>" for a task of a global service.
  std::string name;
  // The service's name; its id once the service is gone.
  std::string serviceName;
  // The hostname of the task's node; its id when the node is unknown; empty while not placed.
  std::string nodeName;

  bool operator==(const TaskView&) const = default;
};

// The manager status of `node` in `cluster` (nullopt: unknown, empty for all).
std::string managerStatus(const manager::NodeRecord& node,
                          const std::optional<ClusterInfo>& cluster);

// Sorted by hostname, then id.
std::vector<NodeView> nodeViews(const std::vector<manager::NodeRecord>& nodes,
                                const std::optional<ClusterInfo>& cluster);
// Sorted by name. `tasks` may hold every task of the cluster.
std::vector<ServiceView> serviceViews(const std::vector<manager::ServiceRecord>& services,
                                      const std::vector<Task>& tasks);
ServiceView serviceView(const manager::ServiceRecord& service, const std::vector<Task>& tasks);
// Sorted by service name, slot (or node), the current task before the ones it replaced, id.
std::vector<TaskView> taskViews(const std::vector<Task>& tasks,
                                const std::vector<manager::ServiceRecord>& services,
                                const std::vector<manager::NodeRecord>& nodes);

std::string taskName(const Task& task, const std::string& serviceName);

// Upper case, as the tables show states: "RUNNING", "READY", "ACTIVE".
std::string stateName(TaskState state);
std::string statusName(manager::NodeStatus status);
std::string availabilityName(NodeAvailability availability);
// "any", "on-failure", "none".
std::string restartConditionName(manager::RestartCondition condition);

// Secrets or configs by name, then id.
template <typename Info>
std::vector<Info> sortedByName(std::vector<Info> infos) {
  std::sort(infos.begin(), infos.end(), [](const Info& a, const Info& b) {
    return a.name != b.name ? a.name < b.name : a.id < b.id;
  });
  return infos;
}

std::vector<Candidate> nodeCandidates(const std::vector<manager::NodeRecord>& nodes);
std::vector<Candidate> serviceCandidates(const std::vector<manager::ServiceRecord>& services);
// Named as the task tables name them; a task its service wants running is preferred.
std::vector<Candidate> taskCandidates(const std::vector<Task>& tasks,
                                      const std::vector<manager::ServiceRecord>& services);
std::vector<Candidate> secretCandidates(const std::vector<io::SecretInfo>& secrets);
std::vector<Candidate> configCandidates(const std::vector<io::ConfigInfo>& configs);

}  // namespace swarmlet::swarmctl
