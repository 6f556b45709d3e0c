#include "tests/io/codec-generator.h"

#include <algorithm>
#include <iterator>

#include "io/codec-limits.h"

namespace swarmlet::io::testing {
namespace {

// Lists in generated values stay short so that thousands of values run quickly; the bounds
// themselves are tested one by one in codec-test.c++.
constexpr size_t LIST_MAX = 6;

}  // namespace

template <typename T, typename Make>
std::vector<T> ValueGenerator::some(size_t max, Make make) {
  std::vector<T> values(below(max + 1));
  for (T& value : values)
    value = make();
  return values;
}

size_t ValueGenerator::length(size_t max) {
  uint64_t pick = below(10);
  if (pick < 7) return below(std::min<size_t>(max, 8) + 1);
  if (pick < 9) return below(std::min<size_t>(max, 64) + 1);
  return coin() ? max : below(max + 1);
}

std::string ValueGenerator::id() {
  std::string text(std::max<size_t>(1, length(limits::ID_LENGTH_MAX)), 'x');
  for (char& c : text)
    c = static_cast<char>('!' + below('~' - '!' + 1));
  return text;
}

std::string ValueGenerator::optionalId() {
  return below(4) == 0 ? std::string() : id();
}

std::string ValueGenerator::address() {
  std::string host = id().substr(0, limits::ADDRESS_LENGTH_MAX - 6);
  return host + ":" + std::to_string(below(65536));
}

std::string ValueGenerator::bytes(size_t max) {
  std::string text(length(max), '\0');
  for (char& c : text)
    c = static_cast<char>(below(256));
  return text;
}

std::string ValueGenerator::key(size_t max) {
  std::string text(std::max<size_t>(1, length(max)), 'k');
  for (char& c : text)
    c = static_cast<char>(1 + below(255));
  return text;
}

Peer ValueGenerator::peer() {
  return Peer{NodeId{optionalId()}, address()};
}

WeightedPeer ValueGenerator::weightedPeer() {
  return WeightedPeer{peer(), anyInt64()};
}

NodeDescription ValueGenerator::nodeDescription() {
  NodeDescription description;
  description.hostname = bytes(limits::HOSTNAME_LENGTH_MAX);
  description.platform = bytes(limits::PLATFORM_LENGTH_MAX);
  description.cpus = static_cast<int64_t>(below(uint64_t{1} << 62));
  description.memoryBytes = static_cast<int64_t>(below(uint64_t{1} << 62));
  for (size_t n = below(LIST_MAX); n > 0; --n) {
    description.labels[key(limits::LABEL_LENGTH_MAX)] = bytes(limits::LABEL_LENGTH_MAX);
  }
  return description;
}

NodeInfo ValueGenerator::nodeInfo() {
  auto role = [&] { return coin() ? NodeRole::WORKER : NodeRole::MANAGER; };
  const NodeAvailability AVAILABILITIES[] = {NodeAvailability::ACTIVE, NodeAvailability::PAUSE,
                                             NodeAvailability::DRAIN};
  return NodeInfo{NodeId{id()}, role(), role(), AVAILABILITIES[below(3)]};
}

EncryptionKey ValueGenerator::encryptionKey() {
  return EncryptionKey{bytes(limits::NAME_LENGTH_MAX), bytes(limits::ENCRYPTION_KEY_BYTES_MAX),
                       prng_.next()};
}

SessionMessage ValueGenerator::sessionMessage() {
  SessionMessage message;
  message.managers = some<WeightedPeer>(LIST_MAX, [&] { return weightedPeer(); });
  if (coin()) message.node = nodeInfo();
  if (coin()) {
    message.networkKeys =
        some<EncryptionKey>(limits::NETWORK_KEYS_MAX, [&] { return encryptionKey(); });
  }
  return message;
}

RpcError ValueGenerator::rpcError() {
  return RpcError{static_cast<ErrorCode>(below(8)), bytes(limits::ERROR_MESSAGE_LENGTH_MAX)};
}

TaskState ValueGenerator::taskState() {
  return ALL_TASK_STATES[below(std::size(ALL_TASK_STATES))];
}

TaskSpec ValueGenerator::taskSpec() {
  TaskSpec spec;
  spec.command = bytes(limits::COMMAND_LENGTH_MAX);
  spec.args = some<std::string>(LIST_MAX, [&] { return bytes(limits::ARGUMENT_LENGTH_MAX); });
  for (size_t n = below(LIST_MAX); n > 0; --n) {
    std::string name = key(limits::ARGUMENT_LENGTH_MAX);
    std::replace(name.begin(), name.end(), '=', '_');
    spec.env[name] = bytes(limits::ARGUMENT_LENGTH_MAX);
  }
  spec.secrets = some<SecretId>(LIST_MAX, [&] { return SecretId{id()}; });
  spec.configs = some<ConfigId>(LIST_MAX, [&] { return ConfigId{id()}; });
  return spec;
}

TaskStatus ValueGenerator::taskStatus() {
  TaskStatus status;
  status.state = taskState();
  status.timestamp = Instant::fromNanoseconds(anyInt64());
  status.message = bytes(limits::ERROR_MESSAGE_LENGTH_MAX);
  status.error = bytes(limits::ERROR_MESSAGE_LENGTH_MAX);
  if (coin()) status.exitCode = static_cast<int32_t>(prng_.next());
  return status;
}

Task ValueGenerator::task() {
  Task task;
  task.id = TaskId{id()};
  task.serviceId = ServiceId{optionalId()};
  task.slot = prng_.next();
  task.nodeId = NodeId{optionalId()};
  task.spec = taskSpec();
  task.desiredState = taskState();
  task.status = taskStatus();
  task.version = prng_.next();
  return task;
}

Secret ValueGenerator::secret() {
  return Secret{SecretId{id()}, bytes(limits::NAME_LENGTH_MAX),
                bytes(limits::SECRET_DATA_BYTES_MAX)};
}

Config ValueGenerator::config() {
  return Config{ConfigId{id()}, bytes(limits::NAME_LENGTH_MAX),
                bytes(limits::SECRET_DATA_BYTES_MAX)};
}

AssignmentChange ValueGenerator::assignmentChange() {
  AssignmentChange change;
  change.action = coin() ? AssignmentAction::UPDATE : AssignmentAction::REMOVE;
  uint64_t kind = below(3);
  if (kind == 0) {
    change.item = task();
  } else if (kind == 1) {
    change.item = secret();
  } else {
    change.item = config();
  }
  return change;
}

AssignmentsMessage ValueGenerator::assignmentsMessage() {
  AssignmentsMessage message;
  message.type = coin() ? AssignmentType::COMPLETE : AssignmentType::INCREMENTAL;
  message.appliesTo = optionalId();
  message.resultsIn = optionalId();
  message.changes = some<AssignmentChange>(LIST_MAX, [&] { return assignmentChange(); });
  return message;
}

TaskStatusUpdate ValueGenerator::taskStatusUpdate() {
  return TaskStatusUpdate{TaskId{id()}, taskStatus()};
}

manager::NodeRecord ValueGenerator::nodeRecord() {
  const manager::NodeStatus STATUSES[] = {manager::NodeStatus::UNKNOWN, manager::NodeStatus::DOWN,
                                          manager::NodeStatus::READY,
                                          manager::NodeStatus::DISCONNECTED};
  NodeInfo info = nodeInfo();
  manager::NodeRecord node;
  node.id = info.id;
  node.description = nodeDescription();
  node.status = STATUSES[below(4)];
  node.statusMessage = bytes(limits::ERROR_MESSAGE_LENGTH_MAX);
  node.availability = info.availability;
  node.role = info.role;
  node.desiredRole = info.desiredRole;
  node.version = prng_.next();
  return node;
}

manager::ServiceSpec ValueGenerator::serviceSpec() {
  const manager::RestartCondition CONDITIONS[] = {manager::RestartCondition::ANY,
                                                  manager::RestartCondition::ON_FAILURE,
                                                  manager::RestartCondition::NONE};
  auto nonNegative = [&] { return static_cast<int64_t>(prng_.next() >> 1); };
  manager::ServiceSpec spec;
  spec.name = key(limits::NAME_LENGTH_MAX);
  spec.mode = coin() ? manager::ServiceMode::REPLICATED : manager::ServiceMode::GLOBAL;
  if (spec.mode == manager::ServiceMode::REPLICATED) {
    spec.replicas = static_cast<int64_t>(below(limits::SERVICE_REPLICAS_MAX + 1));
  }
  spec.task = taskSpec();
  if (spec.task.command.empty()) spec.task.command = "/bin/true";
  spec.restart.condition = CONDITIONS[below(3)];
  spec.restart.delay = Duration::nanoseconds(nonNegative());
  spec.restart.maxAttempts = nonNegative();
  spec.restart.window = Duration::nanoseconds(nonNegative());
  spec.update.parallelism = nonNegative();
  spec.update.delay = Duration::nanoseconds(nonNegative());
  return spec;
}

manager::ServiceRecord ValueGenerator::serviceRecord() {
  return manager::ServiceRecord{ServiceId{id()}, serviceSpec(), prng_.next()};
}

shell::OpenSessionCall ValueGenerator::openSessionCall() {
  return shell::OpenSessionCall{SessionId{optionalId()}, nodeDescription()};
}

shell::SessionReply ValueGenerator::sessionReply() {
  shell::SessionReply reply;
  if (below(3) == 0) {
    reply.error = rpcError();
  } else {
    reply.sessionId = SessionId{id()};
    reply.message = sessionMessage();
  }
  return reply;
}

shell::HeartbeatReply ValueGenerator::heartbeatReply() {
  shell::HeartbeatReply reply;
  if (below(3) == 0) {
    reply.error = rpcError();
  } else {
    int64_t span = (limits::HEARTBEAT_PERIOD_MAX - limits::HEARTBEAT_PERIOD_MIN).count();
    reply.period =
        limits::HEARTBEAT_PERIOD_MIN +
        Duration::nanoseconds(static_cast<int64_t>(below(static_cast<uint64_t>(span) + 1)));
  }
  return reply;
}

shell::StatusesCall ValueGenerator::statusesCall(const SessionId& session) {
  return shell::StatusesCall{session, prng_.next(),
                             some<TaskStatusUpdate>(LIST_MAX, [&] { return taskStatusUpdate(); })};
}

shell::StatusesReply ValueGenerator::statusesReply() {
  shell::StatusesReply reply;
  reply.batch = prng_.next();
  if (coin()) reply.error = rpcError();
  return reply;
}

shell::SessionPush ValueGenerator::sessionPush() {
  return shell::SessionPush{SessionId{id()}, sessionMessage()};
}

shell::AssignmentsPush ValueGenerator::assignmentsPush() {
  return shell::AssignmentsPush{SessionId{id()}, assignmentsMessage()};
}

shell::SessionEnd ValueGenerator::sessionEnd() {
  return shell::SessionEnd{SessionId{optionalId()}, rpcError()};
}

manager::ControlOperation ValueGenerator::controlOperation() {
  switch (below(14)) {
    case 0:
      return manager::CreateService{serviceSpec()};
    case 1:
      return manager::UpdateService{ServiceId{id()}, serviceSpec()};
    case 2:
      // Any count: a negative one reaches the core, which explains the refusal.
      return manager::ScaleService{ServiceId{id()}, anyInt64()};
    case 3:
      return manager::RemoveService{ServiceId{id()}};
    case 4:
      return manager::PromoteNode{NodeId{id()}};
    case 5:
      return manager::DemoteNode{NodeId{id()}};
    case 6:
      return manager::DrainNode{NodeId{id()}};
    case 7:
      return manager::PauseNode{NodeId{id()}};
    case 8:
      return manager::ActivateNode{NodeId{id()}};
    case 9:
      return manager::RemoveNode{NodeId{id()}, coin()};
    case 10:
      return manager::CreateSecret{bytes(limits::NAME_LENGTH_MAX),
                                   bytes(limits::SECRET_DATA_BYTES_MAX)};
    case 11:
      return manager::RemoveSecret{SecretId{id()}};
    case 12:
      return manager::CreateConfig{bytes(limits::NAME_LENGTH_MAX),
                                   bytes(limits::SECRET_DATA_BYTES_MAX)};
    default:
      return manager::RemoveConfig{ConfigId{id()}};
  }
}

manager::ControlError ValueGenerator::controlError() {
  return manager::ControlError{static_cast<manager::ControlErrorCode>(below(4)),
                               bytes(limits::ERROR_MESSAGE_LENGTH_MAX)};
}

manager::ControlAnswer ValueGenerator::controlAnswer() {
  manager::ControlAnswer answer;
  if (coin()) {
    answer.error = controlError();
  } else {
    answer.id = optionalId();
  }
  return answer;
}

TaskFilter ValueGenerator::taskFilter() {
  return TaskFilter{ServiceId{optionalId()}, NodeId{optionalId()}};
}

SecretInfo ValueGenerator::secretInfo() {
  return SecretInfo{SecretId{id()}, bytes(limits::NAME_LENGTH_MAX), prng_.next()};
}

ConfigInfo ValueGenerator::configInfo() {
  return ConfigInfo{ConfigId{id()}, bytes(limits::NAME_LENGTH_MAX), prng_.next()};
}

agent::StoredTask ValueGenerator::storedTask() {
  agent::StoredTask record;
  record.task = agent::withoutStatus(task());
  record.assigned = coin();
  if (below(4) != 0) record.status = taskStatus();
  return record;
}

std::vector<Peer> ValueGenerator::peers() {
  return some<Peer>(LIST_MAX, [&] { return peer(); });
}

manager::Record ValueGenerator::managerRecord() {
  switch (below(5)) {
    case 0:
      return nodeRecord();
    case 1:
      return serviceRecord();
    case 2:
      return task();
    case 3:
      return secret();
    default:
      return config();
  }
}

StoreMeta ValueGenerator::storeMeta() {
  return StoreMeta{static_cast<uint32_t>(1 + below(1000)),
                   coin() ? StoreKind::AGENT : StoreKind::MANAGER};
}

}  // namespace swarmlet::io::testing
