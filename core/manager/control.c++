// The control API: service, node, secret and config operations. A request is validated in full
// before anything changes; an invalid one is answered with an error and changes nothing. Every
// answer is emitted after the commit that persists the change it reports.
#include <kj/debug.h>

#include "core/overloaded.h"

#include <algorithm>

#include "core/limits.h"
#include "core/manager/manager.h"

namespace swarmlet::manager {
namespace {

ControlAnswer refuse(ControlErrorCode code, std::string message) {
  return ControlAnswer{0, ControlError{code, std::move(message)}, ""};
}

ControlAnswer done(std::string id = "") {
  return ControlAnswer{0, std::nullopt, std::move(id)};
}

std::optional<ControlError> invalid(std::string message) {
  return ControlError{ControlErrorCode::INVALID_ARGUMENT, std::move(message)};
}

std::optional<ControlError> checkName(const std::string& kind, const std::string& name) {
  if (name.empty()) return invalid(kind + " name must not be empty");
  if (name.size() > limits::NAME_LENGTH_MAX) {
    return invalid(kind + " name must be at most " + std::to_string(limits::NAME_LENGTH_MAX) +
                   " characters");
  }
  return std::nullopt;
}

std::optional<ControlError> checkPolicies(const ServiceSpec& spec) {
  if (spec.restart.delay < Duration()) return invalid("restart delay must not be negative");
  if (spec.restart.maxAttempts < 0) return invalid("restart max attempts must not be negative");
  if (spec.restart.window < Duration()) return invalid("restart window must not be negative");
  if (spec.update.parallelism < 0) return invalid("update parallelism must not be negative");
  if (spec.update.delay < Duration()) return invalid("update delay must not be negative");
  return std::nullopt;
}

std::optional<ControlError> checkReplicas(ServiceMode mode, int64_t replicas) {
  if (mode == ServiceMode::GLOBAL) {
    if (replicas != 0) return invalid("a global service takes no replica count");
    return std::nullopt;
  }
  if (replicas < 0) {
    return invalid("replicas must not be negative (got " + std::to_string(replicas) + ")");
  }
  if (replicas > limits::SERVICE_REPLICAS_MAX) {
    return invalid("replicas must be at most " + std::to_string(limits::SERVICE_REPLICAS_MAX) +
                   " (got " + std::to_string(replicas) + ")");
  }
  return std::nullopt;
}

}  // namespace

void Manager::handleControl(const Control& control) {
  ControlAnswer answer = std::visit(
      Overloaded{
          [&](const CreateService& op) { return createService(op); },
          [&](const UpdateService& op) { return updateService(op); },
          [&](const ScaleService& op) { return scaleService(op); },
          [&](const RemoveService& op) { return removeService(op); },
          [&](const PromoteNode& op) { return changeRole(op.node, NodeRole::MANAGER); },
          [&](const DemoteNode& op) { return changeRole(op.node, NodeRole::WORKER); },
          [&](const DrainNode& op) { return changeAvailability(op.node, NodeAvailability::DRAIN); },
          [&](const PauseNode& op) { return changeAvailability(op.node, NodeAvailability::PAUSE); },
          [&](const ActivateNode& op) {
            return changeAvailability(op.node, NodeAvailability::ACTIVE);
          },
          [&](const RemoveNode& op) { return removeNode(op); },
          [&](const CreateSecret& op) { return createSecret(op); },
          [&](const RemoveSecret& op) { return removeSecret(op); },
          [&](const CreateConfig& op) { return createConfig(op); },
          [&](const RemoveConfig& op) { return removeConfig(op); },
      },
      control.operation);
  answer.request = control.request;
  emitAfterCommit(std::move(answer));
}

std::optional<ControlError> Manager::validateSpec(const ServiceSpec& spec,
                                                  const ServiceId* updating) const {
  if (auto error = checkName("service", spec.name)) return error;
  for (const auto& [id, service] : state_.cluster.services) {
    if (service.spec.name == spec.name && (updating == nullptr || id != *updating)) {
      return ControlError{ControlErrorCode::ALREADY_EXISTS,
                          "service name " + spec.name + " is already in use"};
    }
  }
  if (spec.task.command.empty()) return invalid("task command must not be empty");
  if (spec.task.command.size() > limits::COMMAND_LENGTH_MAX) {
    return invalid("task command is longer than " + std::to_string(limits::COMMAND_LENGTH_MAX));
  }
  if (auto error = checkReplicas(spec.mode, spec.replicas)) return error;
  if (auto error = checkPolicies(spec)) return error;
  for (const SecretId& id : spec.task.secrets) {
    if (!state_.cluster.secrets.count(id)) {
      return ControlError{ControlErrorCode::NOT_FOUND, "secret " + id.value + " not found"};
    }
  }
  for (const ConfigId& id : spec.task.configs) {
    if (!state_.cluster.configs.count(id)) {
      return ControlError{ControlErrorCode::NOT_FOUND, "config " + id.value + " not found"};
    }
  }
  return std::nullopt;
}

ControlAnswer Manager::createService(const CreateService& op) {
  if (auto error = validateSpec(op.spec, nullptr)) return ControlAnswer{0, error, ""};
  ServiceRecord service{ServiceId{drawId('s')}, op.spec, nextVersion()};
  std::string id = service.id.value;
  putService(std::move(service));
  return done(id);
}

ControlAnswer Manager::updateService(const UpdateService& op) {
  auto it = state_.cluster.services.find(op.service);
  if (it == state_.cluster.services.end()) {
    return refuse(ControlErrorCode::NOT_FOUND, "service " + op.service.value + " not found");
  }
  if (op.spec.mode != it->second.spec.mode) {
    return refuse(ControlErrorCode::INVALID_ARGUMENT, "a service's mode cannot change");
  }
  if (auto error = validateSpec(op.spec, &op.service)) return ControlAnswer{0, error, ""};
  if (op.spec == it->second.spec) return done();
  ServiceRecord service = it->second;
  service.spec = op.spec;
  service.version = nextVersion();
  putService(std::move(service));
  // A user's change gives every unit a fresh start (units the restart policy gave up on too).
  clearDeadUnits(op.service);
  return done();
}

ControlAnswer Manager::scaleService(const ScaleService& op) {
  auto it = state_.cluster.services.find(op.service);
  if (it == state_.cluster.services.end()) {
    return refuse(ControlErrorCode::NOT_FOUND, "service " + op.service.value + " not found");
  }
  if (it->second.spec.mode == ServiceMode::GLOBAL) {
    return refuse(ControlErrorCode::FAILED_PRECONDITION,
                  "scale applies only to replicated services");
  }
  if (auto error = checkReplicas(ServiceMode::REPLICATED, op.replicas)) {
    return ControlAnswer{0, error, ""};
  }
  if (op.replicas == it->second.spec.replicas) return done();
  ServiceRecord service = it->second;
  service.spec.replicas = op.replicas;
  service.version = nextVersion();
  putService(std::move(service));
  clearDeadUnits(op.service);
  return done();
}

// The record goes at once (its name is free again); its tasks are told to stop and are deleted
// once their agents confirm (or at once if no agent ever had them).
ControlAnswer Manager::removeService(const RemoveService& op) {
  if (!state_.cluster.services.count(op.service)) {
    return refuse(ControlErrorCode::NOT_FOUND, "service " + op.service.value + " not found");
  }
  for (const Task* task : tasksOf(op.service)) {
    TaskId id = task->id;  // a copy: the record may go
    if (isTerminal(task->status.state)) {
      deleteTask(id);
    } else {
      stopTask(id);
    }
  }
  forgetService(op.service);
  deleteService(op.service);
  return done();
}

ControlAnswer Manager::changeRole(const NodeId& id, NodeRole role) {
  auto it = state_.cluster.nodes.find(id);
  if (it == state_.cluster.nodes.end()) {
    return refuse(ControlErrorCode::NOT_FOUND, "node " + id.value + " not found");
  }
  if (it->second.desiredRole == role && it->second.role == role) return done();
  if (role == NodeRole::WORKER) {
    auto managers = std::count_if(
        state_.cluster.nodes.begin(), state_.cluster.nodes.end(),
        [](const auto& entry) { return entry.second.desiredRole == NodeRole::MANAGER; });
    if (managers <= 1) {
      return refuse(ControlErrorCode::FAILED_PRECONDITION, "cannot demote the last manager");
    }
  }
  // Without raft membership to wait for, the role follows the desired role at once.
  NodeRecord node = it->second;
  node.desiredRole = role;
  node.role = role;
  putNode(std::move(node));
  return done();
}

ControlAnswer Manager::changeAvailability(const NodeId& id, NodeAvailability availability) {
  auto it = state_.cluster.nodes.find(id);
  if (it == state_.cluster.nodes.end()) {
    return refuse(ControlErrorCode::NOT_FOUND, "node " + id.value + " not found");
  }
  if (it->second.availability == availability) return done();
  NodeRecord node = it->second;
  node.availability = availability;
  putNode(std::move(node));
  onNodeChanged(id);
  return done();
}

ControlAnswer Manager::removeNode(const RemoveNode& op) {
  auto it = state_.cluster.nodes.find(op.node);
  if (it == state_.cluster.nodes.end()) {
    return refuse(ControlErrorCode::NOT_FOUND, "node " + op.node.value + " not found");
  }
  if (it->second.role == NodeRole::MANAGER || it->second.desiredRole == NodeRole::MANAGER) {
    return refuse(ControlErrorCode::FAILED_PRECONDITION,
                  "node " + op.node.value + " is a manager: demote it first");
  }
  if (it->second.status != NodeStatus::DOWN && !op.force) {
    return refuse(ControlErrorCode::FAILED_PRECONDITION,
                  "node " + op.node.value + " is not down and can't be removed (use force)");
  }
  endSession(op.node, RpcError{ErrorCode::ABORTED, "node removed from the cluster"});
  auto registered = state_.registry.find(op.node);
  if (registered != state_.registry.end()) {
    expiries_.erase({registered->second.expiresAt, op.node});
    setQuietUntil(op.node, std::nullopt);
    state_.registry.erase(registered);
  }
  state_.registrations.erase(op.node);
  // A registration in flight must not bring the node back.
  auto& pending = state_.batch.registrations;
  for (auto it = pending.begin(); it != pending.end();) {
    if (it->node != op.node) {
      ++it;
      continue;
    }
    emitAfterCommit(SessionAnswer{it->request,
                                  op.node,
                                  {},
                                  {},
                                  RpcError{ErrorCode::ABORTED, "node removed from the cluster"}});
    it = pending.erase(it);
  }
  state_.orchestrator.downSince.erase(op.node);
  // Its tasks can no longer be confirmed by an agent: they go with the node, and their services
  // place replacements.
  auto byNode = tasksByNode_.find(op.node);
  std::vector<TaskId> onNode;
  if (byNode != tasksByNode_.end()) onNode.assign(byNode->second.begin(), byNode->second.end());
  for (const TaskId& id : onNode) {
    servicesToReconcile_.insert(state_.cluster.tasks.at(id).serviceId);
    deleteTask(id);
  }
  probes_.hit(ManagerProbe::NODE_REMOVED);
  deleteNode(op.node);
  globalsToReconcile_ = true;
  return done();
}

ControlAnswer Manager::createSecret(const CreateSecret& op) {
  if (auto error = checkName("secret", op.name)) return ControlAnswer{0, error, ""};
  for (const auto& [id, secret] : state_.cluster.secrets) {
    if (secret.name == op.name) {
      return refuse(ControlErrorCode::ALREADY_EXISTS,
                    "secret name " + op.name + " is already in use");
    }
  }
  if (op.data.empty()) return refuse(ControlErrorCode::INVALID_ARGUMENT, "secret data is empty");
  if (op.data.size() > limits::SECRET_DATA_BYTES_MAX) {
    return refuse(
        ControlErrorCode::INVALID_ARGUMENT,
        "secret data must be at most " + std::to_string(limits::SECRET_DATA_BYTES_MAX) + " bytes");
  }
  Secret secret{SecretId{drawId('x')}, op.name, op.data};
  std::string id = secret.id.value;
  putSecret(std::move(secret));
  return done(id);
}

ControlAnswer Manager::removeSecret(const RemoveSecret& op) {
  if (!state_.cluster.secrets.count(op.secret)) {
    return refuse(ControlErrorCode::NOT_FOUND, "secret " + op.secret.value + " not found");
  }
  for (const auto& [id, service] : state_.cluster.services) {
    const auto& used = service.spec.task.secrets;
    if (std::find(used.begin(), used.end(), op.secret) != used.end()) {
      probes_.hit(ManagerProbe::DEPENDENCY_REMOVAL_REFUSED);
      return refuse(ControlErrorCode::FAILED_PRECONDITION,
                    "secret " + op.secret.value + " is in use by service " + service.spec.name);
    }
  }
  deleteSecret(op.secret);
  return done();
}

ControlAnswer Manager::createConfig(const CreateConfig& op) {
  if (auto error = checkName("config", op.name)) return ControlAnswer{0, error, ""};
  for (const auto& [id, config] : state_.cluster.configs) {
    if (config.name == op.name) {
      return refuse(ControlErrorCode::ALREADY_EXISTS,
                    "config name " + op.name + " is already in use");
    }
  }
  if (op.data.size() > limits::SECRET_DATA_BYTES_MAX) {
    return refuse(
        ControlErrorCode::INVALID_ARGUMENT,
        "config data must be at most " + std::to_string(limits::SECRET_DATA_BYTES_MAX) + " bytes");
  }
  Config config{ConfigId{drawId('c')}, op.name, op.data};
  std::string id = config.id.value;
  putConfig(std::move(config));
  return done(id);
}

ControlAnswer Manager::removeConfig(const RemoveConfig& op) {
  if (!state_.cluster.configs.count(op.config)) {
    return refuse(ControlErrorCode::NOT_FOUND, "config " + op.config.value + " not found");
  }
  for (const auto& [id, service] : state_.cluster.services) {
    const auto& used = service.spec.task.configs;
    if (std::find(used.begin(), used.end(), op.config) != used.end()) {
      probes_.hit(ManagerProbe::DEPENDENCY_REMOVAL_REFUSED);
      return refuse(ControlErrorCode::FAILED_PRECONDITION,
                    "config " + op.config.value + " is in use by service " + service.spec.name);
    }
  }
  deleteConfig(op.config);
  return done();
}

}  // namespace swarmlet::manager
