#include "node/swarmctl/format-text.h"

#include "core/format.h"
#include "node/swarmctl/format-table.h"
#include "node/swarmctl/table.h"

namespace swarmlet::swarmctl {
namespace {

// Builds "Key: value" lines; values print on one line (control characters as spaces).
class Lines {
 public:
  Lines& add(const std::string& key, const std::string& value) {
    text_ += key + ":" + (value.empty() ? "" : " " + printable(value)) + "\n";
    return *this;
  }
  Lines& item(const std::string& value) {
    text_ += "  " + printable(value) + "\n";
    return *this;
  }
  Lines& map(const std::string& key, const std::map<std::string, std::string>& entries) {
    add(key, "");
    for (const auto& [name, value] : entries)
      item(name + "=" + value);
    return *this;
  }
  template <typename Id>
  Lines& ids(const std::string& key, const std::vector<Id>& values) {
    add(key, "");
    for (const Id& id : values)
      item(id.value);
    return *this;
  }
  std::string text() const { return text_; }

 private:
  std::string text_;
};

std::string cpus(int64_t thousandths) {
  std::string whole = std::to_string(thousandths / 1000);
  int64_t rest = thousandths % 1000;
  if (rest == 0) return whole;
  std::string fraction = std::to_string(1000 + rest).substr(1);
  while (fraction.back() == '0')
    fraction.pop_back();
  return whole + "." + fraction;
}

}  // namespace

std::string clusterText(const ClusterInfo& cluster) {
  Lines lines;
  lines.add("ID", cluster.id).add("Leader", cluster.leader.value).add("Managers", "");
  for (const Peer& peer : cluster.managers)
    lines.item(peer.nodeId.value + " " + peer.address);
  lines.add("Worker token", cluster.workerToken).add("Manager token", cluster.managerToken);
  return lines.text();
}

std::string nodeText(const NodeView& view) {
  const manager::NodeRecord& node = view.node;
  return Lines()
      .add("ID", node.id.value)
      .add("Hostname", node.description.hostname)
      .add("Status", statusName(node.status))
      .add("Status message", node.statusMessage)
      .add("Availability", availabilityName(node.availability))
      .add("Role", format(node.role))
      .add("Desired role", format(node.desiredRole))
      .add("Manager status", view.managerStatus)
      .add("Platform", node.description.platform)
      .add("CPUs", cpus(node.description.cpus))
      .add("Memory bytes", std::to_string(node.description.memoryBytes))
      .map("Labels", node.description.labels)
      .add("Version", std::to_string(node.version))
      .text();
}

std::string serviceText(const ServiceView& view) {
  const manager::ServiceSpec& spec = view.service.spec;
  return Lines()
      .add("ID", view.service.id.value)
      .add("Name", spec.name)
      .add("Mode", format(spec.mode))
      .add("Replicas", std::to_string(view.running) + "/" + std::to_string(view.desired))
      .add("Command", commandLine(spec.task))
      .map("Env", spec.task.env)
      .ids("Secrets", spec.task.secrets)
      .ids("Configs", spec.task.configs)
      .add("Restart condition", restartConditionName(spec.restart.condition))
      .add("Restart delay", formatDuration(spec.restart.delay))
      .add("Restart max attempts", std::to_string(spec.restart.maxAttempts))
      .add("Restart window", formatDuration(spec.restart.window))
      .add("Update parallelism", std::to_string(spec.update.parallelism))
      .add("Update delay", formatDuration(spec.update.delay))
      .add("Version", std::to_string(view.service.version))
      .text();
}

std::string taskText(const TaskView& view) {
  const Task& task = view.task;
  std::string exitCode =
      task.status.exitCode.has_value() ? std::to_string(*task.status.exitCode) : "";
  return Lines()
      .add("ID", task.id.value)
      .add("Name", view.name)
      .add("Service", view.serviceName + " (" + task.serviceId.value + ")")
      .add("Slot", std::to_string(task.slot))
      .add("Node", task.nodeId.empty() ? "" : view.nodeName + " (" + task.nodeId.value + ")")
      .add("Desired state", stateName(task.desiredState))
      .add("Current state", stateName(task.status.state))
      .add("Message", task.status.message)
      .add("Error", task.status.error)
      .add("Exit code", exitCode)
      .add("Command", commandLine(task.spec))
      .add("Version", std::to_string(task.version))
      .text();
}

}  // namespace swarmlet::swarmctl
