#include "node/swarmd/event-log.h"

#include "core/format.h"
#include "core/overloaded.h"
#include "node/swarmd/log.h"

namespace swarmlet::node {

namespace {

std::string upper(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

void ManagerEventLog::observe(Instant, const manager::Input& input,
                              const std::vector<manager::Effect>& effects,
                              const manager::ManagerState&) {
  using namespace manager;
  std::visit(
      Overloaded{
          [&](const SessionClosed& closed) {
            log(LogLevel::INFO, "session closed",
                {{"node.id", closed.node.value}, {"session.id", closed.sessionId.value}});
          },
          [&](const Control& control) {
            log(LogLevel::INFO, "control operation", {{"operation", format(control.operation)}});
          },
          [&](const ManagersChanged& changed) {
            log(LogLevel::INFO, "managers changed", {{"managers", format(changed.managers)}});
          },
          [](const auto&) {},
      },
      input);
  for (const Effect& effect : effects) {
    std::visit(
        Overloaded{
            [&](const SessionAnswer& answer) {
              if (answer.error.has_value()) {
                log(LogLevel::WARN, "session refused",
                    {{"node.id", answer.node.value}, {"error", format(*answer.error)}});
              } else {
                log(LogLevel::INFO, "session opened",
                    {{"node.id", answer.node.value}, {"session.id", answer.sessionId.value}});
              }
            },
            [&](const EndSession& end) {
              log(LogLevel::INFO, "session ended",
                  {{"node.id", end.node.value},
                   {"session.id", end.sessionId.value},
                   {"error", format(end.error)}});
            },
            [&](const ControlAnswer& answer) {
              if (answer.error.has_value()) {
                log(LogLevel::WARN, "control operation refused",
                    {{"error", answer.error->message}});
              }
            },
            [&](const Persist& persist) {
              for (const Write& write : persist.writes) {
                const auto* put = std::get_if<Put>(&write);
                if (put == nullptr) {
                  // A deleted record is forgotten here too, so the maps stay as large as the
                  // cluster.
                  const auto& del = std::get<Delete>(write);
                  if (del.kind == RecordKind::TASK) taskState_.erase(TaskId{del.id});
                  if (del.kind == RecordKind::NODE) nodeStatus_.erase(NodeId{del.id});
                  continue;
                }
                if (const auto* node = std::get_if<NodeRecord>(&put->record)) {
                  auto [it, added] = nodeStatus_.try_emplace(node->id, node->status);
                  if (!added && it->second == node->status) continue;
                  it->second = node->status;
                  log(node->status == NodeStatus::DOWN ? LogLevel::WARN : LogLevel::INFO,
                      "node status",
                      {{"node.id", node->id.value},
                       {"hostname", node->description.hostname},
                       {"state", upper(format(node->status))}});
                } else if (const auto* task = std::get_if<Task>(&put->record)) {
                  if (!logs(LogLevel::DEBUG)) continue;
                  auto [it, added] = taskState_.try_emplace(task->id, task->status.state);
                  if (!added && it->second == task->status.state) continue;
                  it->second = task->status.state;
                  log(LogLevel::DEBUG, "task status",
                      {{"task.id", task->id.value},
                       {"service.id", task->serviceId.value},
                       {"node.id", task->nodeId.value},
                       {"state", upper(format(task->status.state))},
                       {"desired", upper(format(task->desiredState))}});
                }
              }
            },
            [](const auto&) {},
        },
        effect);
  }
}

kj::Vector<agent::Effect> LoggedAgentCore::step(Instant now, agent::Input&& input) {
  kj::Vector<agent::Effect> effects = core_.step(now, kj::mv(input));
  for (const agent::Effect& effect : effects) {
    std::visit(Overloaded{
                   [&](const agent::OpenSession& open) {
                     log(LogLevel::DEBUG, "opening a session",
                         {{"node.id", node_.value}, {"manager", format(open.manager)}});
                   },
                   [&](const agent::NotifyRoleChange& change) {
                     log(LogLevel::INFO, "role changed",
                         {{"node.id", node_.value}, {"role", format(change.role)}});
                   },
                   [&](const agent::ExecutorOperation& operation) {
                     log(LogLevel::DEBUG, "executor call",
                         {{"node.id", node_.value},
                          {"task.id", operation.taskId.value},
                          {"service.id",
                           operation.task.has_value() ? operation.task->serviceId.value : ""},
                          {"call", format(operation.call)}});
                   },
                   [&](const agent::AgentStopped& stopped) {
                     if (stopped.error.empty()) {
                       log(LogLevel::INFO, "agent stopped", {{"node.id", node_.value}});
                     } else {
                       log(LogLevel::ERROR, "agent stopped",
                           {{"node.id", node_.value}, {"error", stopped.error}});
                     }
                   },
                   [](const auto&) {},
               },
               effect);
  }
  return effects;
}

}  // namespace swarmlet::node
