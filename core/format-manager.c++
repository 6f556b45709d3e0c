// The manager half of the one printer (core/format.h): inputs, effects, records and a one-line
// state summary. Stable text: transcripts depend on it.
#include <kj/debug.h>

#include "core/overloaded.h"

#include "core/format.h"

namespace swarmlet {
namespace {

std::string orNone(const std::string& text) {
  return text.empty() ? "none" : text;
}

std::string formatError(const std::optional<RpcError>& error) {
  return error.has_value() ? "error=" + format(*error) : "ok";
}

std::string formatKind(manager::RecordKind kind) {
  switch (kind) {
    case manager::RecordKind::NODE:
      return "node";
    case manager::RecordKind::SERVICE:
      return "service";
    case manager::RecordKind::TASK:
      return "task";
    case manager::RecordKind::SECRET:
      return "secret";
    case manager::RecordKind::CONFIG:
      return "config";
  }
  KJ_UNREACHABLE;
}

std::string formatRestart(const manager::RestartPolicy& policy) {
  std::string condition = policy.condition == manager::RestartCondition::ANY          ? "any"
                          : policy.condition == manager::RestartCondition::ON_FAILURE ? "on-failure"
                                                                                      : "none";
  return "restart=(" + condition + " delay=" + formatDuration(policy.delay) +
         " max-attempts=" + std::to_string(policy.maxAttempts) +
         " window=" + formatDuration(policy.window) + ")";
}

// "node:n1" style keys of the records a Persist writes.
std::string writeKey(const manager::Write& write) {
  return std::visit(
      Overloaded{
          [](const manager::Put& put) {
            return std::visit(
                Overloaded{
                    [](const manager::NodeRecord& r) { return "node:" + r.id.value; },
                    [](const manager::ServiceRecord& r) { return "service:" + r.id.value; },
                    [](const Task& r) { return "task:" + r.id.value; },
                    [](const Secret& r) { return "secret:" + r.id.value; },
                    [](const Config& r) { return "config:" + r.id.value; },
                },
                put.record);
          },
          [](const manager::Delete& del) { return formatKind(del.kind) + ":" + del.id; },
      },
      write);
}

std::string formatPersist(const manager::Persist& persist) {
  std::string puts, deletes;
  for (const manager::Write& write : persist.writes) {
    std::string& list = std::holds_alternative<manager::Put>(write) ? puts : deletes;
    list += (list.empty() ? "" : " ") + writeKey(write);
  }
  std::string text = "persist";
  if (!puts.empty()) text += " put=(" + puts + ")";
  if (!deletes.empty()) text += " delete=(" + deletes + ")";
  return text;
}

}  // namespace

std::string format(manager::NodeStatus status) {
  switch (status) {
    case manager::NodeStatus::UNKNOWN:
      return "unknown";
    case manager::NodeStatus::DOWN:
      return "down";
    case manager::NodeStatus::READY:
      return "ready";
    case manager::NodeStatus::DISCONNECTED:
      return "disconnected";
  }
  KJ_UNREACHABLE;
}

std::string format(manager::ServiceMode mode) {
  return mode == manager::ServiceMode::GLOBAL ? "global" : "replicated";
}

std::string format(manager::ControlErrorCode code) {
  switch (code) {
    case manager::ControlErrorCode::INVALID_ARGUMENT:
      return "invalid-argument";
    case manager::ControlErrorCode::NOT_FOUND:
      return "not-found";
    case manager::ControlErrorCode::ALREADY_EXISTS:
      return "already-exists";
    case manager::ControlErrorCode::FAILED_PRECONDITION:
      return "failed-precondition";
  }
  KJ_UNREACHABLE;
}

std::string format(const manager::NodeRecord& node) {
  std::string text = "node " + node.id.value + " status=" + format(node.status);
  if (!node.statusMessage.empty()) text += " message=" + quote(node.statusMessage);
  return text + " availability=" + format(node.availability) + " role=" + format(node.role) +
         " desired-role=" + format(node.desiredRole) + " version=" + std::to_string(node.version) +
         " " + format(node.description);
}

std::string format(const manager::ServiceSpec& spec) {
  std::string text = "name=" + orNone(spec.name) + " " + format(spec.mode);
  if (spec.mode == manager::ServiceMode::REPLICATED) {
    text += " replicas=" + std::to_string(spec.replicas);
  }
  return text + " " + format(spec.task) + " " + formatRestart(spec.restart) +
         " update=(parallelism=" + std::to_string(spec.update.parallelism) +
         " delay=" + formatDuration(spec.update.delay) + ")";
}

std::string format(const manager::ServiceRecord& service) {
  return "service " + service.id.value + " version=" + std::to_string(service.version) + " " +
         format(service.spec);
}

std::string format(const manager::Write& write) {
  return std::visit(Overloaded{
                        [](const manager::Put& put) {
                          return "put " +
                                 std::visit(
                                     Overloaded{
                                         [](const manager::NodeRecord& r) { return format(r); },
                                         [](const manager::ServiceRecord& r) { return format(r); },
                                         [](const Task& r) { return format(r); },
                                         [](const Secret& r) {
                                           return "secret " + r.id.value + " name=" + r.name;
                                         },
                                         [](const Config& r) {
                                           return "config " + r.id.value + " name=" + r.name;
                                         },
                                     },
                                     put.record);
                        },
                        [](const manager::Delete& del) {
                          return "delete " + formatKind(del.kind) + " " + del.id;
                        },
                    },
                    write);
}

std::string format(const manager::ControlOperation& operation) {
  using namespace manager;
  return std::visit(
      Overloaded{
          [](const CreateService& op) { return "create-service " + format(op.spec); },
          [](const UpdateService& op) {
            return "update-service " + op.service.value + " " + format(op.spec);
          },
          [](const ScaleService& op) {
            return "scale-service " + op.service.value + " replicas=" + std::to_string(op.replicas);
          },
          [](const RemoveService& op) { return "remove-service " + op.service.value; },
          [](const PromoteNode& op) { return "promote-node " + op.node.value; },
          [](const DemoteNode& op) { return "demote-node " + op.node.value; },
          [](const DrainNode& op) { return "drain-node " + op.node.value; },
          [](const PauseNode& op) { return "pause-node " + op.node.value; },
          [](const ActivateNode& op) { return "activate-node " + op.node.value; },
          [](const RemoveNode& op) {
            return "remove-node " + op.node.value + (op.force ? " force" : "");
          },
          [](const CreateSecret& op) {
            return "create-secret name=" + orNone(op.name) +
                   " bytes=" + std::to_string(op.data.size());
          },
          [](const RemoveSecret& op) { return "remove-secret " + op.secret.value; },
          [](const CreateConfig& op) {
            return "create-config name=" + orNone(op.name) +
                   " bytes=" + std::to_string(op.data.size());
          },
          [](const RemoveConfig& op) { return "remove-config " + op.config.value; },
      },
      operation);
}

std::string format(const manager::Input& input) {
  using namespace manager;
  auto request = [](RequestId r) { return "request=" + std::to_string(r); };
  return std::visit(
      Overloaded{
          [](const Start& e) {
            const StoreSnapshot& s = e.store;
            return "start store=(nodes=" + std::to_string(s.nodes.size()) +
                   " services=" + std::to_string(s.services.size()) +
                   " tasks=" + std::to_string(s.tasks.size()) +
                   " secrets=" + std::to_string(s.secrets.size()) +
                   " configs=" + std::to_string(s.configs.size()) + ")";
          },
          [](const Tick&) { return std::string("tick"); },
          [&](const SessionRequested& e) {
            return "session-requested " + request(e.request) + " node=" + e.node.value +
                   " previous-session=" + orNone(e.previousSessionId.value) + " " +
                   format(e.description);
          },
          [&](const HeartbeatReceived& e) {
            return "heartbeat " + request(e.request) + " node=" + e.node.value +
                   " session=" + orNone(e.sessionId.value);
          },
          [&](const StatusesReceived& e) {
            std::string text = "statuses " + request(e.request) + " node=" + e.node.value +
                               " session=" + orNone(e.sessionId.value) + " updates=(";
            for (size_t i = 0; i < e.updates.size(); ++i) {
              text += (i ? "; " : "") + format(e.updates[i]);
            }
            return text + ")";
          },
          [](const ResyncRequested& e) {
            return "resync node=" + e.node.value + " session=" + orNone(e.sessionId.value);
          },
          [](const SessionClosed& e) {
            return "session-closed node=" + e.node.value + " session=" + orNone(e.sessionId.value);
          },
          [&](const Control& e) {
            return "control " + request(e.request) + " " + format(e.operation);
          },
          [](const ManagersChanged& e) {
            return "managers-changed managers=" + format(e.managers);
          },
      },
      input);
}

std::string format(const manager::Effect& effect) {
  using namespace manager;
  auto request = [](RequestId r) { return "request=" + std::to_string(r); };
  return std::visit(
      Overloaded{
          [](const Persist& e) { return formatPersist(e); },
          [&](const SessionAnswer& e) {
            std::string text = "session-answer " + request(e.request) + " node=" + e.node.value;
            if (e.error.has_value()) return text + " error=" + format(*e.error);
            return text + " session=" + e.sessionId.value + " " + format(e.message);
          },
          [&](const HeartbeatAnswer& e) {
            std::string text = "heartbeat-answer " + request(e.request) + " node=" + e.node.value;
            if (e.error.has_value()) return text + " error=" + format(*e.error);
            return text + " period=" + formatDuration(e.period);
          },
          [&](const StatusesAnswer& e) {
            return "statuses-answer " + request(e.request) + " node=" + e.node.value + " " +
                   formatError(e.error);
          },
          [](const SendSessionMessage& e) {
            return "send-session-message node=" + e.node.value + " session=" + e.sessionId.value +
                   " " + format(e.message);
          },
          [](const SendAssignments& e) {
            return "send-assignments node=" + e.node.value + " session=" + e.sessionId.value + " " +
                   format(e.message);
          },
          [](const EndSession& e) {
            return "end-session node=" + e.node.value + " session=" + e.sessionId.value +
                   " error=" + format(e.error);
          },
          [&](const ControlAnswer& e) {
            std::string text = "control-answer " + request(e.request);
            if (e.error.has_value()) {
              return text + " error=" + format(e.error->code) + " " + quote(e.error->message);
            }
            return text + " ok" + (e.id.empty() ? "" : " id=" + e.id);
          },
      },
      effect);
}

std::string format(const manager::ManagerState& state) {
  using namespace manager;
  if (state.phase == ManagerPhase::NOT_STARTED) return "manager not-started";
  size_t ready = 0, live = 0, sessions = 0;
  for (const auto& [id, node] : state.cluster.nodes)
    ready += node.status == NodeStatus::READY;
  for (const auto& [id, task] : state.cluster.tasks)
    live += task.desiredState <= TaskState::RUNNING;
  for (const auto& [id, node] : state.registry)
    sessions += node.stream.open;
  const OrchestratorState& o = state.orchestrator;
  return "manager running nodes=" + std::to_string(state.cluster.nodes.size()) +
         " ready=" + std::to_string(ready) +
         " services=" + std::to_string(state.cluster.services.size()) +
         " tasks=" + std::to_string(state.cluster.tasks.size()) + " live=" + std::to_string(live) +
         " secrets=" + std::to_string(state.cluster.secrets.size()) +
         " configs=" + std::to_string(state.cluster.configs.size()) +
         " registered=" + std::to_string(state.registry.size()) +
         " sessions=" + std::to_string(sessions) +
         " batch=(statuses=" + std::to_string(state.batch.statuses.size()) +
         " registrations=" + std::to_string(state.batch.registrations.size()) + ")" +
         " restarts-due=" + std::to_string(o.restartsDue.size()) +
         " dead-units=" + std::to_string(o.deadUnits.size()) +
         " updating=" + std::to_string(o.updates.size()) +
         " store-version=" + std::to_string(state.storeVersion);
}

}  // namespace swarmlet
