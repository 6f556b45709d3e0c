#include "io/codec-types.h"

#include <algorithm>
#include <iterator>

#include "core/format.h"
#include "io/codec-limits.h"
#include "io/codec-read.h"

namespace swarmlet::io {
namespace {

using codec::asData;
using codec::asText;
using codec::Check;
using codec::encodeMap;
using codec::Path;
using codec::Presence;
using codec::readId;
using codec::setClipped;
using codec::toSchema;

// --- helpers for lists and maps ---------------------------------------------------------------

template <typename Tag>
void encodeIds(capnp::List<capnp::Text>::Builder list, const std::vector<Id<Tag>>& ids) {
  for (unsigned int i = 0; i < list.size(); ++i)
    list.set(i, asText(ids[i].value));
}

template <typename Tag>
bool readIds(Check& check, const Path& at, capnp::List<capnp::Text>::Reader list, size_t maxItems,
             std::vector<Id<Tag>>& out) {
  if (!check.count(at, list.size(), maxItems)) return false;
  out.resize(list.size());
  for (unsigned int i = 0; i < list.size(); ++i) {
    if (!readId(check, at.index(i), list[i], Presence::REQUIRED, out[i])) return false;
  }
  return true;
}

}  // namespace

// --- encoders ---------------------------------------------------------------------------------

void encode(schema::Peer::Builder builder, const Peer& peer) {
  builder.setNodeId(asText(peer.nodeId.value));
  builder.setAddress(asText(peer.address));
}

void encode(schema::WeightedPeer::Builder builder, const WeightedPeer& peer) {
  encode(builder.initPeer(), peer.peer);
  builder.setWeight(peer.weight);
}

void encode(schema::NodeDescription::Builder builder, const NodeDescription& description) {
  builder.setHostname(asText(description.hostname));
  builder.setPlatform(asText(description.platform));
  builder.setCpus(description.cpus);
  builder.setMemoryBytes(description.memoryBytes);
  encodeMap(builder.initLabels(static_cast<unsigned int>(description.labels.size())),
            description.labels);
}

void encode(schema::NodeInfo::Builder builder, const NodeInfo& node) {
  builder.setId(asText(node.id.value));
  builder.setRole(toSchema(node.role));
  builder.setDesiredRole(toSchema(node.desiredRole));
  builder.setAvailability(toSchema(node.availability));
}

void encode(schema::EncryptionKey::Builder builder, const EncryptionKey& key) {
  builder.setSubsystem(asText(key.subsystem));
  builder.setKey(asData(key.key));
  builder.setLamportTime(key.lamportTime);
}

void encode(schema::SessionMessage::Builder builder, const SessionMessage& message) {
  auto managers = builder.initManagers(static_cast<unsigned int>(message.managers.size()));
  encodeAll<schema::WeightedPeer>(managers, message.managers);
  if (message.node.has_value()) {
    encode(builder.getNode().initValue(), *message.node);
  } else {
    builder.getNode().setNone();
  }
  if (message.networkKeys.has_value()) {
    auto keys =
        builder.getNetworkKeys().initValue(static_cast<unsigned int>(message.networkKeys->size()));
    encodeAll<schema::EncryptionKey>(keys, *message.networkKeys);
  } else {
    builder.getNetworkKeys().setNone();
  }
}

void encode(schema::RpcError::Builder builder, const RpcError& error) {
  builder.setCode(toSchema(error.code));
  setClipped([&](unsigned int size) { return builder.initMessage(size); }, error.message,
             limits::ERROR_MESSAGE_LENGTH_MAX);
}

void encode(schema::TaskSpec::Builder builder, const TaskSpec& spec) {
  builder.setCommand(asText(spec.command));
  auto args = builder.initArgs(static_cast<unsigned int>(spec.args.size()));
  for (unsigned int i = 0; i < args.size(); ++i)
    args.set(i, asText(spec.args[i]));
  encodeMap(builder.initEnv(static_cast<unsigned int>(spec.env.size())), spec.env);
  encodeIds(builder.initSecrets(static_cast<unsigned int>(spec.secrets.size())), spec.secrets);
  encodeIds(builder.initConfigs(static_cast<unsigned int>(spec.configs.size())), spec.configs);
}

void encode(schema::TaskStatus::Builder builder, const TaskStatus& status) {
  builder.setState(static_cast<uint16_t>(status.state));
  builder.setTimestamp(status.timestamp.sinceOrigin());
  setClipped([&](unsigned int size) { return builder.initMessage(size); }, status.message,
             limits::ERROR_MESSAGE_LENGTH_MAX);
  setClipped([&](unsigned int size) { return builder.initError(size); }, status.error,
             limits::ERROR_MESSAGE_LENGTH_MAX);
  if (status.exitCode.has_value()) {
    builder.getExitCode().setValue(*status.exitCode);
  } else {
    builder.getExitCode().setNone();
  }
}

void encode(schema::Task::Builder builder, const Task& task) {
  builder.setId(asText(task.id.value));
  builder.setServiceId(asText(task.serviceId.value));
  builder.setSlot(task.slot);
  builder.setNodeId(asText(task.nodeId.value));
  encode(builder.initSpec(), task.spec);
  builder.setDesiredState(static_cast<uint16_t>(task.desiredState));
  encode(builder.initStatus(), task.status);
  builder.setVersion(task.version);
}

void encode(schema::Secret::Builder builder, const Secret& secret) {
  builder.setId(asText(secret.id.value));
  builder.setName(asText(secret.name));
  builder.setData(asData(secret.data));
}

void encode(schema::Config::Builder builder, const Config& config) {
  builder.setId(asText(config.id.value));
  builder.setName(asText(config.name));
  builder.setData(asData(config.data));
}

void encode(schema::AssignmentChange::Builder builder, const AssignmentChange& change) {
  builder.setAction(toSchema(change.action));
  auto item = builder.getItem();
  if (const auto* task = std::get_if<Task>(&change.item)) {
    encode(item.initTask(), *task);
  } else if (const auto* secret = std::get_if<Secret>(&change.item)) {
    encode(item.initSecret(), *secret);
  } else {
    encode(item.initConfig(), std::get<Config>(change.item));
  }
}

void encode(schema::AssignmentsMessage::Builder builder, const AssignmentsMessage& message) {
  builder.setType(toSchema(message.type));
  builder.setAppliesTo(asText(message.appliesTo));
  builder.setResultsIn(asText(message.resultsIn));
  auto changes = builder.initChanges(static_cast<unsigned int>(message.changes.size()));
  encodeAll<schema::AssignmentChange>(changes, message.changes);
}

void encode(schema::TaskStatusUpdate::Builder builder, const TaskStatusUpdate& update) {
  builder.setTaskId(asText(update.taskId.value));
  encode(builder.initStatus(), update.status);
}

// --- readers ----------------------------------------------------------------------------------

namespace codec {

void encodeMap(capnp::List<schema::Entry>::Builder list,
               const std::map<std::string, std::string>& map) {
  unsigned int i = 0;
  for (const auto& [key, value] : map) {
    list[i].setKey(asText(key));
    list[i].setValue(asText(value));
    ++i;
  }
}

bool readMap(Check& check, const Path& at, capnp::List<schema::Entry>::Reader list,
             size_t maxEntries, size_t maxBytes, bool environment,
             std::map<std::string, std::string>& out) {
  if (!check.count(at, list.size(), maxEntries)) return false;
  for (unsigned int i = 0; i < list.size(); ++i) {
    Path entry = at.index(i);
    std::string key, value;
    if (!check.text(entry.field("key"), list[i].getKey(), maxBytes, key)) return false;
    if (!check.text(entry.field("value"), list[i].getValue(), maxBytes, value)) return false;
    if (key.empty()) return check.fail(entry.field("key"), "must not be empty");
    if (environment && key.find('=') != std::string::npos) {
      return check.fail(entry.field("key"), "must not contain '='");
    }
    if (out.count(key) != 0) return check.fail(entry.field("key"), "duplicate key " + quote(key));
    out.emplace(std::move(key), std::move(value));
  }
  return true;
}

bool read(Check& check, const Path& at, schema::Peer::Reader reader, Peer& out) {
  return readId(check, at.field("nodeId"), reader.getNodeId(), Presence::OPTIONAL, out.nodeId) &&
         check.address(at.field("address"), reader.getAddress(), out.address);
}

bool read(Check& check, const Path& at, schema::WeightedPeer::Reader reader, WeightedPeer& out) {
  out.weight = reader.getWeight();
  return readRequired(check, at.field("peer"), reader.hasPeer(), reader.getPeer(), out.peer);
}

bool read(Check& check, const Path& at, schema::NodeDescription::Reader reader,
          NodeDescription& out) {
  out.cpus = reader.getCpus();
  out.memoryBytes = reader.getMemoryBytes();
  return check.text(at.field("hostname"), reader.getHostname(), limits::HOSTNAME_LENGTH_MAX,
                    out.hostname) &&
         check.text(at.field("platform"), reader.getPlatform(), limits::PLATFORM_LENGTH_MAX,
                    out.platform) &&
         check.notNegative(at.field("cpus"), out.cpus) &&
         check.notNegative(at.field("memoryBytes"), out.memoryBytes) &&
         readMap(check, at.field("labels"), reader.getLabels(), limits::NODE_LABELS_MAX,
                 limits::LABEL_LENGTH_MAX, false, out.labels);
}

bool read(Check& check, const Path& at, schema::NodeInfo::Reader reader, NodeInfo& out) {
  return readId(check, at.field("id"), reader.getId(), Presence::REQUIRED, out.id) &&
         readEnum(check, at.field("role"), reader.getRole(), out.role) &&
         readEnum(check, at.field("desiredRole"), reader.getDesiredRole(), out.desiredRole) &&
         readEnum(check, at.field("availability"), reader.getAvailability(), out.availability);
}

bool read(Check& check, const Path& at, schema::EncryptionKey::Reader reader, EncryptionKey& out) {
  out.lamportTime = reader.getLamportTime();
  return check.text(at.field("subsystem"), reader.getSubsystem(), limits::NAME_LENGTH_MAX,
                    out.subsystem) &&
         check.data(at.field("key"), reader.getKey(), limits::ENCRYPTION_KEY_BYTES_MAX, out.key);
}

bool read(Check& check, const Path& at, schema::SessionMessage::Reader reader,
          SessionMessage& out) {
  // A longer manager list is truncated, as core/limits.h says: the agent keeps the first ones.
  auto managers = reader.getManagers();
  size_t kept = std::min<size_t>(managers.size(), limits::MANAGERS_MAX);
  out.managers.resize(kept);
  Path managersAt = at.field("managers");
  for (unsigned int i = 0; i < kept; ++i) {
    if (!read(check, managersAt.index(i), managers[i], out.managers[i])) return false;
  }
  auto node = reader.getNode();
  switch (node.which()) {
    case schema::SessionMessage::Node::NONE:
      break;
    case schema::SessionMessage::Node::VALUE:
      out.node.emplace();
      if (!readRequired(check, at.field("node"), node.hasValue(), node.getValue(), *out.node)) {
        return false;
      }
      break;
    default:
      return check.unknownValue(at.field("node"), static_cast<uint16_t>(node.which()));
  }
  auto keys = reader.getNetworkKeys();
  switch (keys.which()) {
    case schema::SessionMessage::NetworkKeys::NONE:
      return true;
    case schema::SessionMessage::NetworkKeys::VALUE: {
      Path keysAt = at.field("networkKeys");
      auto list = keys.getValue();
      if (!check.count(keysAt, list.size(), limits::NETWORK_KEYS_MAX)) return false;
      out.networkKeys.emplace(list.size());
      for (unsigned int i = 0; i < list.size(); ++i) {
        if (!read(check, keysAt.index(i), list[i], (*out.networkKeys)[i])) return false;
      }
      return true;
    }
  }
  return check.unknownValue(at.field("networkKeys"), static_cast<uint16_t>(keys.which()));
}

bool read(Check& check, const Path& at, schema::RpcError::Reader reader, RpcError& out) {
  return readEnum(check, at.field("code"), reader.getCode(), out.code) &&
         check.text(at.field("message"), reader.getMessage(), limits::ERROR_MESSAGE_LENGTH_MAX,
                    out.message);
}

bool read(Check& check, const Path& at, schema::TaskSpec::Reader reader, TaskSpec& out) {
  if (!check.text(at.field("command"), reader.getCommand(), limits::COMMAND_LENGTH_MAX,
                  out.command)) {
    return false;
  }
  Path argsAt = at.field("args");
  auto args = reader.getArgs();
  if (!check.count(argsAt, args.size(), limits::TASK_ARGS_MAX)) return false;
  out.args.resize(args.size());
  for (unsigned int i = 0; i < args.size(); ++i) {
    if (!check.text(argsAt.index(i), args[i], limits::ARGUMENT_LENGTH_MAX, out.args[i])) {
      return false;
    }
  }
  return readMap(check, at.field("env"), reader.getEnv(), limits::TASK_ENV_MAX,
                 limits::ARGUMENT_LENGTH_MAX, true, out.env) &&
         readIds(check, at.field("secrets"), reader.getSecrets(), limits::SECRETS_MAX,
                 out.secrets) &&
         readIds(check, at.field("configs"), reader.getConfigs(), limits::CONFIGS_MAX, out.configs);
}

bool read(Check& check, const Path& at, schema::TaskStatus::Reader reader, TaskStatus& out) {
  out.timestamp = Instant::fromNanoseconds(reader.getTimestamp());
  if (!readTaskState(check, at.field("state"), reader.getState(), out.state) ||
      !check.text(at.field("message"), reader.getMessage(), limits::ERROR_MESSAGE_LENGTH_MAX,
                  out.message) ||
      !check.text(at.field("error"), reader.getError(), limits::ERROR_MESSAGE_LENGTH_MAX,
                  out.error)) {
    return false;
  }
  auto exitCode = reader.getExitCode();
  switch (exitCode.which()) {
    case schema::TaskStatus::ExitCode::NONE:
      return true;
    case schema::TaskStatus::ExitCode::VALUE:
      out.exitCode = exitCode.getValue();
      return true;
  }
  return check.unknownValue(at.field("exitCode"), static_cast<uint16_t>(exitCode.which()));
}

bool read(Check& check, const Path& at, schema::Task::Reader reader, Task& out) {
  out.slot = reader.getSlot();
  out.version = reader.getVersion();
  return readId(check, at.field("id"), reader.getId(), Presence::REQUIRED, out.id) &&
         readId(check, at.field("serviceId"), reader.getServiceId(), Presence::OPTIONAL,
                out.serviceId) &&
         readId(check, at.field("nodeId"), reader.getNodeId(), Presence::OPTIONAL, out.nodeId) &&
         read(check, at.field("spec"), reader.getSpec(), out.spec) &&
         readTaskState(check, at.field("desiredState"), reader.getDesiredState(),
                       out.desiredState) &&
         read(check, at.field("status"), reader.getStatus(), out.status);
}

bool read(Check& check, const Path& at, schema::Secret::Reader reader, Secret& out) {
  return readId(check, at.field("id"), reader.getId(), Presence::REQUIRED, out.id) &&
         check.text(at.field("name"), reader.getName(), limits::NAME_LENGTH_MAX, out.name) &&
         check.data(at.field("data"), reader.getData(), limits::SECRET_DATA_BYTES_MAX, out.data);
}

bool read(Check& check, const Path& at, schema::Config::Reader reader, Config& out) {
  return readId(check, at.field("id"), reader.getId(), Presence::REQUIRED, out.id) &&
         check.text(at.field("name"), reader.getName(), limits::NAME_LENGTH_MAX, out.name) &&
         check.data(at.field("data"), reader.getData(), limits::SECRET_DATA_BYTES_MAX, out.data);
}

bool read(Check& check, const Path& at, schema::AssignmentChange::Reader reader,
          AssignmentChange& out) {
  if (!readEnum(check, at.field("action"), reader.getAction(), out.action)) return false;
  auto item = reader.getItem();
  switch (item.which()) {
    case schema::AssignmentChange::Item::TASK:
      return readRequired(check, at.field("item").field("task"), item.hasTask(), item.getTask(),
                          out.item.emplace<Task>());
    case schema::AssignmentChange::Item::SECRET:
      return readRequired(check, at.field("item").field("secret"), item.hasSecret(),
                          item.getSecret(), out.item.emplace<Secret>());
    case schema::AssignmentChange::Item::CONFIG:
      return readRequired(check, at.field("item").field("config"), item.hasConfig(),
                          item.getConfig(), out.item.emplace<Config>());
  }
  return check.unknownValue(at.field("item"), static_cast<uint16_t>(item.which()));
}

bool read(Check& check, const Path& at, schema::AssignmentsMessage::Reader reader,
          AssignmentsMessage& out) {
  if (!readEnum(check, at.field("type"), reader.getType(), out.type) ||
      !check.id(at.field("appliesTo"), reader.getAppliesTo(), Presence::OPTIONAL, out.appliesTo) ||
      !check.id(at.field("resultsIn"), reader.getResultsIn(), Presence::OPTIONAL, out.resultsIn)) {
    return false;
  }
  Path changesAt = at.field("changes");
  auto changes = reader.getChanges();
  if (!check.count(changesAt, changes.size(), limits::ASSIGNMENT_CHANGES_MAX)) return false;
  // No message may name more items of a kind than a node holds (the worker requires it).
  size_t tasks = 0, secrets = 0, configs = 0;
  for (unsigned int i = 0; i < changes.size(); ++i) {
    // Grown one by one: a short hostile message claiming many (empty) entries is refused at its
    // first bad entry, before it makes the decoder allocate for all of them.
    if (!read(check, changesAt.index(i), changes[i], out.changes.emplace_back())) return false;
    const auto& item = out.changes.back().item;
    tasks += std::holds_alternative<Task>(item) ? 1 : 0;
    secrets += std::holds_alternative<Secret>(item) ? 1 : 0;
    configs += std::holds_alternative<Config>(item) ? 1 : 0;
  }
  auto tooMany = [&](size_t n, size_t max, const char* kind) {
    return check.fail(changesAt, std::to_string(n) + " " + kind + ", at most " +
                                     std::to_string(max) + " allowed");
  };
  if (tasks > limits::TASKS_MAX) return tooMany(tasks, limits::TASKS_MAX, "tasks");
  if (secrets > limits::SECRETS_MAX) return tooMany(secrets, limits::SECRETS_MAX, "secrets");
  if (configs > limits::CONFIGS_MAX) return tooMany(configs, limits::CONFIGS_MAX, "configs");
  return true;
}

bool read(Check& check, const Path& at, schema::TaskStatusUpdate::Reader reader,
          TaskStatusUpdate& out) {
  return readId(check, at.field("taskId"), reader.getTaskId(), Presence::REQUIRED, out.taskId) &&
         readRequired(check, at.field("status"), reader.hasStatus(), reader.getStatus(),
                      out.status);
}

}  // namespace codec

// --- public decoders --------------------------------------------------------------------------

using codec::decodeRoot;

Decoded<Peer> decodePeer(schema::Peer::Reader reader) {
  return decodeRoot<Peer>("peer", reader);
}
Decoded<WeightedPeer> decodeWeightedPeer(schema::WeightedPeer::Reader reader) {
  return decodeRoot<WeightedPeer>("weightedPeer", reader);
}
Decoded<NodeDescription> decodeNodeDescription(schema::NodeDescription::Reader reader) {
  return decodeRoot<NodeDescription>("nodeDescription", reader);
}
Decoded<NodeInfo> decodeNodeInfo(schema::NodeInfo::Reader reader) {
  return decodeRoot<NodeInfo>("nodeInfo", reader);
}
Decoded<EncryptionKey> decodeEncryptionKey(schema::EncryptionKey::Reader reader) {
  return decodeRoot<EncryptionKey>("encryptionKey", reader);
}
Decoded<SessionMessage> decodeSessionMessage(schema::SessionMessage::Reader reader) {
  return decodeRoot<SessionMessage>("sessionMessage", reader);
}
Decoded<RpcError> decodeRpcError(schema::RpcError::Reader reader) {
  return decodeRoot<RpcError>("rpcError", reader);
}
Decoded<TaskSpec> decodeTaskSpec(schema::TaskSpec::Reader reader) {
  return decodeRoot<TaskSpec>("taskSpec", reader);
}
Decoded<TaskStatus> decodeTaskStatus(schema::TaskStatus::Reader reader) {
  return decodeRoot<TaskStatus>("taskStatus", reader);
}
Decoded<Task> decodeTask(schema::Task::Reader reader) {
  return decodeRoot<Task>("task", reader);
}
Decoded<Secret> decodeSecret(schema::Secret::Reader reader) {
  return decodeRoot<Secret>("secret", reader);
}
Decoded<Config> decodeConfig(schema::Config::Reader reader) {
  return decodeRoot<Config>("config", reader);
}
Decoded<AssignmentChange> decodeAssignmentChange(schema::AssignmentChange::Reader reader) {
  return decodeRoot<AssignmentChange>("assignmentChange", reader);
}
Decoded<AssignmentsMessage> decodeAssignmentsMessage(schema::AssignmentsMessage::Reader reader) {
  return decodeRoot<AssignmentsMessage>("assignmentsMessage", reader);
}
Decoded<TaskStatusUpdate> decodeTaskStatusUpdate(schema::TaskStatusUpdate::Reader reader) {
  return decodeRoot<TaskStatusUpdate>("taskStatusUpdate", reader);
}
}  // namespace swarmlet::io
