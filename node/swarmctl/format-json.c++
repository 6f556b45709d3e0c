#include "node/swarmctl/format-json.h"

#include "core/format.h"

namespace swarmlet::swarmctl {
namespace {

// CPUs as a number: 2 for 2000 thousandths, 1.5 for 1500.
Json cpus(int64_t thousandths) {
  if (thousandths % 1000 == 0) return thousandths / 1000;
  return static_cast<double>(thousandths) / 1000.0;
}

template <typename Id>
Json ids(const std::vector<Id>& values) {
  Json list = Json::array();
  for (const Id& id : values)
    list.push_back(id.value);
  return list;
}

Json object(const std::map<std::string, std::string>& map) {
  Json out = Json::object();
  for (const auto& [key, value] : map)
    out[key] = value;
  return out;
}

}  // namespace

Json nodeJson(const NodeView& view) {
  const manager::NodeRecord& node = view.node;
  Json out;
  out["id"] = node.id.value;
  out["hostname"] = node.description.hostname;
  out["status"] = statusName(node.status);
  out["statusMessage"] = node.statusMessage;
  out["availability"] = availabilityName(node.availability);
  out["role"] = format(node.role);
  out["desiredRole"] = format(node.desiredRole);
  out["managerStatus"] = view.managerStatus;
  out["platform"] = node.description.platform;
  out["cpus"] = cpus(node.description.cpus);
  out["memoryBytes"] = node.description.memoryBytes;
  out["labels"] = object(node.description.labels);
  out["version"] = node.version;
  return out;
}

Json serviceJson(const ServiceView& view) {
  const manager::ServiceSpec& spec = view.service.spec;
  Json out;
  out["id"] = view.service.id.value;
  out["name"] = spec.name;
  out["mode"] = format(spec.mode);
  out["replicas"] = view.desired;
  out["runningTasks"] = view.running;
  out["command"] = spec.task.command;
  out["args"] = spec.task.args;
  out["env"] = object(spec.task.env);
  out["secrets"] = ids(spec.task.secrets);
  out["configs"] = ids(spec.task.configs);
  out["restart"] = Json{{"condition", restartConditionName(spec.restart.condition)},
                        {"delay", formatDuration(spec.restart.delay)},
                        {"maxAttempts", spec.restart.maxAttempts},
                        {"window", formatDuration(spec.restart.window)}};
  out["update"] =
      Json{{"parallelism", spec.update.parallelism}, {"delay", formatDuration(spec.update.delay)}};
  out["version"] = view.service.version;
  return out;
}

Json taskJson(const TaskView& view) {
  const Task& task = view.task;
  Json out;
  out["id"] = task.id.value;
  out["name"] = view.name;
  out["serviceId"] = task.serviceId.value;
  out["serviceName"] = view.serviceName;
  out["slot"] = task.slot;
  out["nodeId"] = task.nodeId.value;
  out["desiredState"] = stateName(task.desiredState);
  out["currentState"] = stateName(task.status.state);
  out["message"] = task.status.message;
  out["error"] = task.status.error;
  out["exitCode"] = task.status.exitCode.has_value() ? Json(*task.status.exitCode) : Json(nullptr);
  out["version"] = task.version;
  return out;
}

Json secretJson(const io::SecretInfo& secret) {
  return Json{{"id", secret.id.value}, {"name", secret.name}, {"size", secret.dataBytes}};
}

Json configJson(const io::ConfigInfo& config) {
  return Json{{"id", config.id.value}, {"name", config.name}, {"size", config.dataBytes}};
}

Json clusterJson(const ClusterInfo& cluster) {
  Json managers = Json::array();
  for (const Peer& peer : cluster.managers)
    managers.push_back(Json{{"nodeId", peer.nodeId.value}, {"address", peer.address}});
  Json out;
  out["id"] = cluster.id;
  out["leader"] = cluster.leader.value;
  out["managers"] = managers;
  out["tokens"] = Json{{"worker", cluster.workerToken}, {"manager", cluster.managerToken}};
  return out;
}

Json idJson(const std::string& id) {
  return Json{{"id", id}};
}

std::string render(const Json& value) {
  return value.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace swarmlet::swarmctl
