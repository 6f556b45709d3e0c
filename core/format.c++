#include "core/format.h"

#include "core/overloaded.h"

#include <kj/debug.h>

namespace swarmlet {
namespace {

template <typename T, typename Render>
std::string joined(const std::vector<T>& items, Render render) {
  std::string text = "(";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += " ";
    text += render(items[i]);
  }
  return text + ")";
}

std::string yesNo(bool value) {
  return value ? "yes" : "no";
}

std::string formatSessionId(const SessionId& id) {
  return id.empty() ? "none" : id.value;
}

}  // namespace

std::string quote(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\t':
        quoted += "\\t";
        break;
      default:
        quoted += c;
    }
  }
  return quoted + "\"";
}

std::string format(ErrorCode code) {
  switch (code) {
    case ErrorCode::UNAVAILABLE:
      return "unavailable";
    case ErrorCode::DEADLINE_EXCEEDED:
      return "deadline-exceeded";
    case ErrorCode::NOT_FOUND:
      return "not-found";
    case ErrorCode::INVALID_ARGUMENT:
      return "invalid-argument";
    case ErrorCode::PERMISSION_DENIED:
      return "permission-denied";
    case ErrorCode::ABORTED:
      return "aborted";
    case ErrorCode::UNAUTHENTICATED:
      return "unauthenticated";
    case ErrorCode::INTERNAL:
      return "internal";
  }
  KJ_UNREACHABLE;
}

std::string format(const RpcError& error) {
  if (error.message.empty()) return format(error.code);
  return format(error.code) + " " + quote(error.message);
}

std::string format(NodeRole role) {
  return role == NodeRole::MANAGER ? "manager" : "worker";
}

std::string format(NodeAvailability availability) {
  switch (availability) {
    case NodeAvailability::ACTIVE:
      return "active";
    case NodeAvailability::PAUSE:
      return "pause";
    case NodeAvailability::DRAIN:
      return "drain";
  }
  KJ_UNREACHABLE;
}

std::string format(const Peer& peer) {
  return peer.nodeId.empty() ? peer.address : peer.nodeId.value + "@" + peer.address;
}

std::string format(const std::vector<Peer>& peers) {
  return joined(peers, [](const Peer& p) { return format(p); });
}

std::string format(const std::vector<WeightedPeer>& peers) {
  return joined(
      peers, [](const WeightedPeer& p) { return format(p.peer) + "=" + std::to_string(p.weight); });
}

std::string format(const std::vector<EncryptionKey>& keys) {
  return joined(keys, [](const EncryptionKey& k) {
    return k.subsystem + ":" + std::to_string(k.lamportTime);
  });
}

std::string format(const NodeDescription& d) {
  std::string text = "hostname=" + (d.hostname.empty() ? std::string("none") : d.hostname);
  if (!d.platform.empty()) text += " platform=" + d.platform;
  if (d.cpus != 0) text += " cpus=" + std::to_string(d.cpus);
  if (d.memoryBytes != 0) text += " memory=" + std::to_string(d.memoryBytes);
  if (!d.labels.empty()) {
    text += " labels=(";
    bool first = true;
    for (const auto& [key, value] : d.labels) {
      text += (first ? "" : " ") + key + "=" + value;
      first = false;
    }
    text += ")";
  }
  return text;
}

std::string format(const NodeInfo& node) {
  return "node=" + node.id.value + " role=" + format(node.role) +
         " desired-role=" + format(node.desiredRole) + " availability=" + format(node.availability);
}

std::string format(const SessionMessage& message) {
  std::string text = "managers=" + format(message.managers);
  if (message.node.has_value()) text += " " + format(*message.node);
  if (message.networkKeys.has_value()) text += " keys=" + format(*message.networkKeys);
  return text;
}

std::string format(const Remotes& remotes) {
  std::string text = "remotes";
  if (remotes.empty()) return text + " none";
  for (const auto& [peer, weight] : remotes.weights()) {
    text += " " + format(peer) + "=" + std::to_string(weight);
  }
  return text;
}

std::string format(TaskState state) {
  switch (state) {
    case TaskState::NEW:
      return "new";
    case TaskState::PENDING:
      return "pending";
    case TaskState::ASSIGNED:
      return "assigned";
    case TaskState::ACCEPTED:
      return "accepted";
    case TaskState::PREPARING:
      return "preparing";
    case TaskState::READY:
      return "ready";
    case TaskState::STARTING:
      return "starting";
    case TaskState::RUNNING:
      return "running";
    case TaskState::COMPLETE:
      return "complete";
    case TaskState::SHUTDOWN:
      return "shutdown";
    case TaskState::FAILED:
      return "failed";
    case TaskState::REJECTED:
      return "rejected";
    case TaskState::REMOVE:
      return "remove";
    case TaskState::ORPHANED:
      return "orphaned";
  }
  KJ_UNREACHABLE;
}

std::optional<TaskState> parseTaskState(const std::string& text) {
  for (TaskState state : ALL_TASK_STATES) {
    if (format(state) == text) return state;
  }
  return std::nullopt;
}

std::string format(const TaskStatus& status) {
  std::string text = format(status.state) + " at " + formatInstant(status.timestamp);
  if (!status.message.empty()) text += " message=" + quote(status.message);
  if (!status.error.empty()) text += " error=" + quote(status.error);
  if (status.exitCode.has_value()) text += " exit=" + std::to_string(*status.exitCode);
  return text;
}

std::string format(const TaskSpec& spec) {
  std::string text = "command=" + quote(spec.command);
  if (!spec.args.empty()) {
    text += " args=" + joined(spec.args, [](const std::string& a) { return quote(a); });
  }
  if (!spec.env.empty()) {
    std::vector<std::string> pairs;
    for (const auto& [key, value] : spec.env)
      pairs.push_back(key + "=" + value);
    text += " env=" + joined(pairs, [](const std::string& p) { return p; });
  }
  if (!spec.secrets.empty()) {
    text += " secrets=" + joined(spec.secrets, [](const SecretId& id) { return id.value; });
  }
  if (!spec.configs.empty()) {
    text += " configs=" + joined(spec.configs, [](const ConfigId& id) { return id.value; });
  }
  return text;
}

std::string format(const Task& task) {
  std::string text = "task " + task.id.value;
  if (!task.serviceId.empty()) text += " service=" + task.serviceId.value;
  if (task.slot != 0) text += " slot=" + std::to_string(task.slot);
  if (!task.nodeId.empty()) text += " node=" + task.nodeId.value;
  text += " desired=" + format(task.desiredState) + " version=" + std::to_string(task.version);
  return text + " status=(" + format(task.status) + ") " + format(task.spec);
}

std::string format(const AssignmentChange& change) {
  bool remove = change.action == AssignmentAction::REMOVE;
  return std::visit(Overloaded{
                        [&](const Task& t) {
                          return remove ? "remove task " + t.id.value : "update " + format(t);
                        },
                        [&](const Secret& s) {
                          return (remove ? "remove secret " : "update secret ") + s.id.value +
                                 (remove ? "" : " name=" + s.name);
                        },
                        [&](const Config& c) {
                          return (remove ? "remove config " : "update config ") + c.id.value +
                                 (remove ? "" : " name=" + c.name);
                        },
                    },
                    change.item);
}

std::string format(const AssignmentsMessage& message) {
  std::string text = message.type == AssignmentType::COMPLETE ? "complete" : "incremental";
  text += " applies-to=" + (message.appliesTo.empty() ? std::string("none") : message.appliesTo);
  text += " results-in=" + message.resultsIn;
  return text +
         " changes=" + joined(message.changes, [](const AssignmentChange& c) { return format(c); });
}

std::string format(const TaskStatusUpdate& update) {
  return update.taskId.value + " " + format(update.status);
}

std::string format(const agent::StoreOp& op) {
  using namespace agent;
  return std::visit(Overloaded{
                        [](const PutTask& e) {
                          const Task& t = e.task;
                          std::string text = "put-task " + t.id.value;
                          if (!t.serviceId.empty()) text += " service=" + t.serviceId.value;
                          if (t.slot != 0) text += " slot=" + std::to_string(t.slot);
                          return text + " desired=" + format(t.desiredState) +
                                 " version=" + std::to_string(t.version) + " " + format(t.spec);
                        },
                        [](const SetAssigned& e) {
                          return "set-assigned " + e.taskId.value + " " + yesNo(e.assigned);
                        },
                        [](const PutStatus& e) {
                          return "put-status " + e.taskId.value + " " + format(e.status);
                        },
                        [](const DeleteTask& e) { return "delete-task " + e.taskId.value; },
                    },
                    op);
}

std::string format(agent::ExecutorCall call) {
  switch (call) {
    case agent::ExecutorCall::RESOLVE:
      return "resolve";
    case agent::ExecutorCall::UPDATE:
      return "update";
    case agent::ExecutorCall::PREPARE:
      return "prepare";
    case agent::ExecutorCall::START:
      return "start";
    case agent::ExecutorCall::WAIT:
      return "wait";
    case agent::ExecutorCall::SHUTDOWN:
      return "shutdown";
    case agent::ExecutorCall::REMOVE:
      return "remove";
  }
  KJ_UNREACHABLE;
}

std::string format(agent::ErrorClass errorClass) {
  switch (errorClass) {
    case agent::ErrorClass::NONE:
      return "ok";
    case agent::ErrorClass::TEMPORARY:
      return "temporary";
    case agent::ErrorClass::FATAL:
      return "fatal";
    case agent::ErrorClass::CANCELED:
      return "canceled";
  }
  KJ_UNREACHABLE;
}

std::string format(const agent::ExecutorResult& result) {
  std::string text = format(result.errorClass);
  if (!result.message.empty()) text += " message=" + quote(result.message);
  if (result.exitCode.has_value()) text += " exit=" + std::to_string(*result.exitCode);
  return text;
}

std::string format(agent::ControllerState controller) {
  switch (controller) {
    case agent::ControllerState::UNRESOLVED:
      return "unresolved";
    case agent::ControllerState::RESOLVED:
      return "resolved";
    case agent::ControllerState::FAILED:
      return "failed";
    case agent::ControllerState::REMOVED:
      return "removed";
  }
  KJ_UNREACHABLE;
}

std::string format(const agent::TaskEntry& entry) {
  std::string text = "task " + entry.task.id.value +
                     (entry.assigned ? " assigned" : " unassigned") +
                     " desired=" + format(entry.task.desiredState) +
                     " version=" + std::to_string(entry.task.version) + " status=(" +
                     format(entry.task.status) + ") controller=" + format(entry.controller);
  if (entry.operation.has_value()) {
    text += " op=" + std::to_string(*entry.operation) + ":" + format(entry.call);
  }
  if (entry.cancelRequested) text += " cancel-requested";
  if (entry.specChanged) text += " spec-changed";
  if (entry.failures != 0) text += " failures=" + std::to_string(entry.failures);
  if (entry.retryAt.has_value()) text += " retry " + formatInstant(*entry.retryAt);
  return text;
}

std::string format(const agent::ReporterState& reporter) {
  std::vector<std::string> pending;
  for (const auto& [id, status] : reporter.pending)
    pending.push_back(id.value + ":" + format(status.state));
  std::string text = "reporter pending=" + joined(pending, [](const std::string& p) { return p; });
  if (reporter.inFlight.has_value()) {
    text += " in-flight=batch-" + std::to_string(reporter.inFlight->batch) + "(" +
            std::to_string(reporter.inFlight->updates.size()) + " updates)";
  }
  return text;
}

std::string format(const agent::Input& input) {
  using namespace agent;
  auto gen = [](Generation g) { return "gen=" + std::to_string(g); };
  return std::visit(
      Overloaded{
          [](const Start& e) {
            std::string text = "start " + format(e.description) + " role=" + format(e.role) +
                               " managers=" + format(e.managers);
            if (e.store.empty()) return text;
            std::vector<std::string> ids;
            for (const auto& [id, record] : e.store)
              ids.push_back(id.value);
            return text + " store=" + joined(ids, [](const std::string& i) { return i; });
          },
          [](const Tick&) { return std::string("tick"); },
          [&](const SessionOpened& e) {
            return "session-opened " + gen(e.generation) +
                   " session=" + formatSessionId(e.sessionId) + " " + format(e.firstMessage);
          },
          [&](const SessionFailed& e) {
            return "session-failed " + gen(e.generation) + " error=" + format(e.error);
          },
          [&](const SessionMessageReceived& e) {
            return "session-message " + gen(e.generation) + " " + format(e.message);
          },
          [&](const HeartbeatAcked& e) {
            return "heartbeat-acked " + gen(e.generation) + " period=" + formatDuration(e.period);
          },
          [&](const HeartbeatFailed& e) {
            return "heartbeat-failed " + gen(e.generation) + " error=" + format(e.error);
          },
          [](const NodeDescribed& e) {
            std::string text = "node-described request=" + std::to_string(e.request);
            return text + (e.description.has_value() ? " " + format(*e.description) : " failed");
          },
          [](const LeaveRequested&) { return std::string("leave-requested"); },
          [](const StopRequested&) { return std::string("stop-requested"); },
          [&](const AssignmentsReceived& e) {
            return "assignments " + gen(e.generation) + " " + format(e.message);
          },
          [](const ExecutorDone& e) {
            return "executor-done op=" + std::to_string(e.operation) + " " + e.task.value + " " +
                   format(e.result);
          },
          [&](const StatusesAcked& e) {
            return "statuses-acked " + gen(e.generation) + " batch=" + std::to_string(e.batch);
          },
          [&](const StatusesFailed& e) {
            return "statuses-failed " + gen(e.generation) + " batch=" + std::to_string(e.batch) +
                   " error=" + format(e.error);
          },
      },
      input);
}

std::string format(const agent::Effect& effect) {
  using namespace agent;
  auto gen = [](Generation g) { return "gen=" + std::to_string(g); };
  return std::visit(
      Overloaded{
          [&](const OpenSession& e) {
            return "open-session " + gen(e.generation) + " manager=" + format(e.manager) +
                   " previous-session=" + formatSessionId(e.previousSessionId) + " " +
                   format(e.description);
          },
          [&](const CloseSession& e) {
            std::string reason = e.reason == CloseReason::FAILURE ? "failure"
                                 : e.reason == CloseReason::STOP  ? "stop"
                                                                  : "description-changed";
            std::string text = "close-session " + gen(e.generation) + " reason=" + reason;
            return e.error.has_value() ? text + " error=" + format(*e.error) : text;
          },
          [&](const SendHeartbeat& e) {
            return "send-heartbeat " + gen(e.generation) +
                   " session=" + formatSessionId(e.sessionId);
          },
          [](const DescribeNode& e) {
            return "describe-node request=" + std::to_string(e.request);
          },
          [](const PersistManagers& e) { return "persist-managers " + format(e.managers); },
          [](const NotifyNodeChange& e) { return "notify-node-change " + format(e.node); },
          [](const NotifyRoleChange& e) { return "notify-role-change role=" + format(e.role); },
          [](const SetNetworkKeys& e) { return "set-network-keys " + format(e.keys); },
          [](const SignalReady&) { return std::string("signal-ready"); },
          [](const SignalLeft&) { return std::string("signal-left"); },
          [](const AgentStopped& e) {
            return e.error.empty() ? std::string("agent-stopped")
                                   : "agent-stopped error=" + quote(e.error);
          },
          [](const Persist& e) {
            std::string text = "persist (";
            for (size_t i = 0; i < e.ops.size(); ++i)
              text += (i == 0 ? "" : "; ") + format(e.ops[i]);
            return text + ")";
          },
          [](const ExecutorOperation& e) {
            std::string text = "executor op=" + std::to_string(e.operation) + " " + e.taskId.value +
                               " " + format(e.call);
            if (e.task.has_value()) {
              text += " desired=" + format(e.task->desiredState) +
                      " version=" + std::to_string(e.task->version);
            }
            return text;
          },
          [](const CancelOperation& e) {
            return "cancel-operation op=" + std::to_string(e.operation) + " " + e.taskId.value;
          },
          [](const UpdateDependencies& e) {
            std::string text = "update-dependencies";
            auto secret = [](const Secret& s) { return s.id.value; };
            auto config = [](const Config& c) { return c.id.value; };
            auto id = [](const auto& i) { return i.value; };
            if (!e.secretsAdded.empty()) text += " add-secrets=" + joined(e.secretsAdded, secret);
            if (!e.secretsRemoved.empty())
              text += " remove-secrets=" + joined(e.secretsRemoved, id);
            if (!e.configsAdded.empty()) text += " add-configs=" + joined(e.configsAdded, config);
            if (!e.configsRemoved.empty())
              text += " remove-configs=" + joined(e.configsRemoved, id);
            return text;
          },
          [&](const SendStatuses& e) {
            std::string text = "send-statuses " + gen(e.generation) +
                               " batch=" + std::to_string(e.batch) +
                               " session=" + formatSessionId(e.sessionId) + " (";
            for (size_t i = 0; i < e.updates.size(); ++i)
              text += (i == 0 ? "" : "; ") + format(e.updates[i]);
            return text + ")";
          },
          [&](const ResyncAssignments& e) {
            return "resync-assignments " + gen(e.generation) +
                   " session=" + formatSessionId(e.sessionId);
          },
      },
      effect);
}

std::string format(agent::SessionPhase phase) {
  switch (phase) {
    case agent::SessionPhase::DELAYING:
      return "delaying";
    case agent::SessionPhase::OPENING:
      return "opening";
    case agent::SessionPhase::REGISTERED:
      return "registered";
  }
  KJ_UNREACHABLE;
}

namespace agent {
kj::String KJ_STRINGIFY(SessionPhase phase) {
  std::string text = format(phase);
  return kj::heapString(text.data(), text.size());
}
}  // namespace agent

std::string format(const agent::SessionState& s) {
  std::string text = "gen=" + std::to_string(s.generation) + " " + format(s.phase);
  switch (s.phase) {
    case agent::SessionPhase::DELAYING:
      return text + " delay=" + formatDuration(s.drawnDelay) + " until " +
             formatInstant(s.delayUntil);
    case agent::SessionPhase::OPENING:
      return text + " manager=" + format(*s.manager) + " timeout " + formatInstant(s.openDeadline);
    case agent::SessionPhase::REGISTERED:
      return text + " manager=" + format(*s.manager) + " session=" + formatSessionId(s.sessionId) +
             (s.heartbeatOutstanding ? " heartbeat-timeout " : " heartbeat-due ") +
             formatInstant(s.heartbeatAt);
  }
  KJ_UNREACHABLE;
}

std::string format(const agent::AgentState& state) {
  std::string phase = state.phase == agent::AgentPhase::RUNNING   ? "running"
                      : state.phase == agent::AgentPhase::STOPPED ? "stopped"
                                                                  : "not-started";
  return "agent " + phase + " ready=" + yesNo(state.ready) + " left=" + yesNo(state.left) +
         " role=" + format(state.role) + " backoff=" + formatDuration(state.backoff) +
         " failures=" + std::to_string(state.consecutiveFailures) + " session=(" +
         format(state.session) + ") previous-session=" + formatSessionId(state.previousSessionId);
}

}  // namespace swarmlet
