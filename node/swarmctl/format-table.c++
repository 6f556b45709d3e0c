#include "node/swarmctl/format-table.h"

#include "core/format.h"

namespace swarmlet::swarmctl {

std::string commandLine(const TaskSpec& spec) {
  std::string line = spec.command;
  for (const std::string& arg : spec.args)
    line += " " + arg;
  return line;
}

std::string taskMessage(const TaskStatus& status) {
  if (status.error.empty()) return status.message;
  if (status.message.empty()) return status.error;
  return status.message + ": " + status.error;
}

Table nodeTable(const std::vector<NodeView>& nodes) {
  Table table{{"ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS"}, {}};
  for (const NodeView& view : nodes) {
    table.rows.push_back({view.node.id.value, view.node.description.hostname,
                          statusName(view.node.status), availabilityName(view.node.availability),
                          view.managerStatus});
  }
  return table;
}

Table serviceTable(const std::vector<ServiceView>& services) {
  Table table{{"ID", "NAME", "MODE", "REPLICAS", "COMMAND"}, {}};
  for (const ServiceView& view : services) {
    const manager::ServiceSpec& spec = view.service.spec;
    table.rows.push_back({view.service.id.value, spec.name, format(spec.mode),
                          std::to_string(view.running) + "/" + std::to_string(view.desired),
                          commandLine(spec.task)});
  }
  return table;
}

Table taskTable(const std::vector<TaskView>& tasks) {
  Table table{{"ID", "NAME", "NODE", "DESIRED STATE", "CURRENT STATE", "MESSAGE"}, {}};
  for (const TaskView& view : tasks) {
    table.rows.push_back({view.task.id.value, view.name, view.nodeName,
                          stateName(view.task.desiredState), stateName(view.task.status.state),
                          taskMessage(view.task.status)});
  }
  return table;
}

Table secretTable(const std::vector<io::SecretInfo>& secrets) {
  Table table{{"ID", "NAME", "SIZE"}, {}};
  for (const io::SecretInfo& secret : secrets)
    table.rows.push_back({secret.id.value, secret.name, std::to_string(secret.dataBytes)});
  return table;
}

Table configTable(const std::vector<io::ConfigInfo>& configs) {
  Table table{{"ID", "NAME", "SIZE"}, {}};
  for (const io::ConfigInfo& config : configs)
    table.rows.push_back({config.id.value, config.name, std::to_string(config.dataBytes)});
  return table;
}

}  // namespace swarmlet::swarmctl
