#include "io/codec-control.h"

#include "io/codec-limits.h"
#include "io/codec-read.h"
#include "io/codec-types.h"

namespace swarmlet::io {

SecretInfo secretInfo(const Secret& secret) {
  return SecretInfo{secret.id, secret.name, secret.data.size()};
}

ConfigInfo configInfo(const Config& config) {
  return ConfigInfo{config.id, config.name, config.data.size()};
}

namespace codec {
namespace {

using Op = schema::ControlOperation;

// The operations that only name a node.
template <typename NodeOperation>
bool readNodeOperation(Check& check, const Path& at, capnp::Text::Reader node,
                       manager::ControlOperation& out) {
  return readId(check, at, node, Presence::REQUIRED, out.emplace<NodeOperation>().node);
}

bool readUpdateService(Check& check, const Path& at, Op::UpdateService::Reader reader,
                       manager::UpdateService& out) {
  return readId(check, at.field("service"), reader.getService(), Presence::REQUIRED, out.service) &&
         readRequired(check, at.field("spec"), reader.hasSpec(), reader.getSpec(), out.spec);
}

bool readScaleService(Check& check, const Path& at, Op::ScaleService::Reader reader,
                      manager::ScaleService& out) {
  out.replicas = reader.getReplicas();
  return readId(check, at.field("service"), reader.getService(), Presence::REQUIRED, out.service);
}

bool readRemoveNode(Check& check, const Path& at, Op::RemoveNode::Reader reader,
                    manager::RemoveNode& out) {
  out.force = reader.getForce();
  return readId(check, at.field("node"), reader.getNode(), Presence::REQUIRED, out.node);
}

template <typename Group, typename Create>
bool readCreateBlob(Check& check, const Path& at, Group reader, Create& out) {
  return check.text(at.field("name"), reader.getName(), limits::NAME_LENGTH_MAX, out.name) &&
         check.data(at.field("data"), reader.getData(), limits::SECRET_DATA_BYTES_MAX, out.data);
}

}  // namespace

bool read(Check& check, const Path& at, schema::ControlError::Reader reader,
          manager::ControlError& out) {
  return readEnum(check, at.field("code"), reader.getCode(), out.code) &&
         check.text(at.field("message"), reader.getMessage(), limits::ERROR_MESSAGE_LENGTH_MAX,
                    out.message);
}

bool read(Check& check, const Path& at, schema::ControlOperation::Reader reader,
          manager::ControlOperation& out) {
  switch (reader.which()) {
    case Op::NONE:
      return check.fail(at, "no operation given");
    case Op::CREATE_SERVICE:
      return readRequired(check, at.field("createService"), reader.hasCreateService(),
                          reader.getCreateService(), out.emplace<manager::CreateService>().spec);
    case Op::UPDATE_SERVICE:
      return readUpdateService(check, at.field("updateService"), reader.getUpdateService(),
                               out.emplace<manager::UpdateService>());
    case Op::SCALE_SERVICE:
      return readScaleService(check, at.field("scaleService"), reader.getScaleService(),
                              out.emplace<manager::ScaleService>());
    case Op::REMOVE_SERVICE:
      return readId(check, at.field("removeService"), reader.getRemoveService(), Presence::REQUIRED,
                    out.emplace<manager::RemoveService>().service);
    case Op::PROMOTE_NODE:
      return readNodeOperation<manager::PromoteNode>(check, at.field("promoteNode"),
                                                     reader.getPromoteNode(), out);
    case Op::DEMOTE_NODE:
      return readNodeOperation<manager::DemoteNode>(check, at.field("demoteNode"),
                                                    reader.getDemoteNode(), out);
    case Op::DRAIN_NODE:
      return readNodeOperation<manager::DrainNode>(check, at.field("drainNode"),
                                                   reader.getDrainNode(), out);
    case Op::PAUSE_NODE:
      return readNodeOperation<manager::PauseNode>(check, at.field("pauseNode"),
                                                   reader.getPauseNode(), out);
    case Op::ACTIVATE_NODE:
      return readNodeOperation<manager::ActivateNode>(check, at.field("activateNode"),
                                                      reader.getActivateNode(), out);
    case Op::REMOVE_NODE:
      return readRemoveNode(check, at.field("removeNode"), reader.getRemoveNode(),
                            out.emplace<manager::RemoveNode>());
    case Op::CREATE_SECRET:
      return readCreateBlob(check, at.field("createSecret"), reader.getCreateSecret(),
                            out.emplace<manager::CreateSecret>());
    case Op::REMOVE_SECRET:
      return readId(check, at.field("removeSecret"), reader.getRemoveSecret(), Presence::REQUIRED,
                    out.emplace<manager::RemoveSecret>().secret);
    case Op::CREATE_CONFIG:
      return readCreateBlob(check, at.field("createConfig"), reader.getCreateConfig(),
                            out.emplace<manager::CreateConfig>());
    case Op::REMOVE_CONFIG:
      return readId(check, at.field("removeConfig"), reader.getRemoveConfig(), Presence::REQUIRED,
                    out.emplace<manager::RemoveConfig>().config);
  }
  return check.unknownValue(at, static_cast<uint16_t>(reader.which()));
}

bool read(Check& check, const Path& at, schema::ControlResult::Reader reader,
          manager::ControlAnswer& out) {
  switch (reader.which()) {
    case schema::ControlResult::NONE:
      return check.fail(at, "no answer (neither done nor an error)");
    case schema::ControlResult::DONE:
      return check.id(at.field("done"), reader.getDone(), Presence::OPTIONAL, out.id);
    case schema::ControlResult::ERROR:
      return readRequired(check, at.field("error"), reader.hasError(), reader.getError(),
                          out.error.emplace());
  }
  return check.unknownValue(at, static_cast<uint16_t>(reader.which()));
}

bool read(Check& check, const Path& at, schema::TaskFilter::Reader reader, TaskFilter& out) {
  return readId(check, at.field("serviceId"), reader.getServiceId(), Presence::OPTIONAL,
                out.service) &&
         readId(check, at.field("nodeId"), reader.getNodeId(), Presence::OPTIONAL, out.node);
}

bool read(Check& check, const Path& at, schema::SecretInfo::Reader reader, SecretInfo& out) {
  out.dataBytes = reader.getDataBytes();
  return readId(check, at.field("id"), reader.getId(), Presence::REQUIRED, out.id) &&
         check.text(at.field("name"), reader.getName(), limits::NAME_LENGTH_MAX, out.name);
}

bool read(Check& check, const Path& at, schema::ConfigInfo::Reader reader, ConfigInfo& out) {
  out.dataBytes = reader.getDataBytes();
  return readId(check, at.field("id"), reader.getId(), Presence::REQUIRED, out.id) &&
         check.text(at.field("name"), reader.getName(), limits::NAME_LENGTH_MAX, out.name);
}

// A lookup's union: the record found, or an error. Every lookup struct has the same shape.
template <typename Reader, typename T>
bool read(Check& check, const Path& at, Reader reader, Lookup<T>& out) {
  using Which = decltype(reader.which());
  switch (reader.which()) {
    case Which::FOUND:
      return readRequired(check, at.field("found"), reader.hasFound(), reader.getFound(),
                          out.template emplace<T>());
    case Which::ERROR:
      return readRequired(check, at.field("error"), reader.hasError(), reader.getError(),
                          out.template emplace<manager::ControlError>());
  }
  return check.unknownValue(at, static_cast<uint16_t>(reader.which()));
}

template <typename Schema, typename T>
bool readList(Check& check, const Path& at, typename capnp::List<Schema>::Reader list,
              std::vector<T>& out) {
  if (!check.count(at, list.size(), limits::QUERY_RESULTS_MAX)) return false;
  for (unsigned int i = 0; i < list.size(); ++i) {
    // Grown one by one, like an assignment set's changes (io/codec-types.c++).
    if (!read(check, at.index(i), list[i], out.emplace_back())) return false;
  }
  return true;
}

}  // namespace codec

using codec::asData;
using codec::asText;
using codec::decodeRoot;

namespace {

template <typename Builder, typename T>
void encodeLookup(Builder builder, const Lookup<T>& lookup) {
  if (const auto* error = std::get_if<manager::ControlError>(&lookup)) {
    encode(builder.initError(), *error);
  } else {
    encode(builder.initFound(), std::get<T>(lookup));
  }
}

template <typename T, typename Schema>
Decoded<std::vector<T>> decodeList(const char* label, typename capnp::List<Schema>::Reader list) {
  return codec::decodeFramed<std::vector<T>>(
      label, [&](codec::Check& check) -> std::optional<std::vector<T>> {
        std::vector<T> values;
        if (!codec::readList<Schema>(check, codec::Path::root(label), list, values)) {
          return std::nullopt;
        }
        return values;
      });
}

}  // namespace

// --- encoders ---------------------------------------------------------------------------------

void encode(schema::ControlOperation::Builder builder, const manager::ControlOperation& operation) {
  std::visit(
      [&](const auto& op) {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, manager::CreateService>) {
          encode(builder.initCreateService(), op.spec);
        } else if constexpr (std::is_same_v<T, manager::UpdateService>) {
          auto group = builder.initUpdateService();
          group.setService(asText(op.service.value));
          encode(group.initSpec(), op.spec);
        } else if constexpr (std::is_same_v<T, manager::ScaleService>) {
          auto group = builder.initScaleService();
          group.setService(asText(op.service.value));
          group.setReplicas(op.replicas);
        } else if constexpr (std::is_same_v<T, manager::RemoveService>) {
          builder.setRemoveService(asText(op.service.value));
        } else if constexpr (std::is_same_v<T, manager::PromoteNode>) {
          builder.setPromoteNode(asText(op.node.value));
        } else if constexpr (std::is_same_v<T, manager::DemoteNode>) {
          builder.setDemoteNode(asText(op.node.value));
        } else if constexpr (std::is_same_v<T, manager::DrainNode>) {
          builder.setDrainNode(asText(op.node.value));
        } else if constexpr (std::is_same_v<T, manager::PauseNode>) {
          builder.setPauseNode(asText(op.node.value));
        } else if constexpr (std::is_same_v<T, manager::ActivateNode>) {
          builder.setActivateNode(asText(op.node.value));
        } else if constexpr (std::is_same_v<T, manager::RemoveNode>) {
          auto group = builder.initRemoveNode();
          group.setNode(asText(op.node.value));
          group.setForce(op.force);
        } else if constexpr (std::is_same_v<T, manager::CreateSecret>) {
          auto group = builder.initCreateSecret();
          group.setName(asText(op.name));
          group.setData(asData(op.data));
        } else if constexpr (std::is_same_v<T, manager::RemoveSecret>) {
          builder.setRemoveSecret(asText(op.secret.value));
        } else if constexpr (std::is_same_v<T, manager::CreateConfig>) {
          auto group = builder.initCreateConfig();
          group.setName(asText(op.name));
          group.setData(asData(op.data));
        } else {
          static_assert(std::is_same_v<T, manager::RemoveConfig>, "an operation is missing");
          builder.setRemoveConfig(asText(op.config.value));
        }
      },
      operation);
}

void encode(schema::ControlError::Builder builder, const manager::ControlError& error) {
  builder.setCode(codec::toSchema(error.code));
  codec::setClipped([&](unsigned int size) { return builder.initMessage(size); }, error.message,
                    limits::ERROR_MESSAGE_LENGTH_MAX);
}

void encode(schema::ControlResult::Builder builder, const manager::ControlAnswer& answer) {
  if (answer.error.has_value()) {
    encode(builder.initError(), *answer.error);
  } else {
    builder.setDone(asText(answer.id));
  }
}

void encode(schema::TaskFilter::Builder builder, const TaskFilter& filter) {
  builder.setServiceId(asText(filter.service.value));
  builder.setNodeId(asText(filter.node.value));
}

void encode(schema::SecretInfo::Builder builder, const SecretInfo& secret) {
  builder.setId(asText(secret.id.value));
  builder.setName(asText(secret.name));
  builder.setDataBytes(secret.dataBytes);
}

void encode(schema::ConfigInfo::Builder builder, const ConfigInfo& config) {
  builder.setId(asText(config.id.value));
  builder.setName(asText(config.name));
  builder.setDataBytes(config.dataBytes);
}

void encode(schema::NodeLookup::Builder builder, const Lookup<manager::NodeRecord>& lookup) {
  encodeLookup(builder, lookup);
}
void encode(schema::ServiceLookup::Builder builder, const Lookup<manager::ServiceRecord>& lookup) {
  encodeLookup(builder, lookup);
}
void encode(schema::TaskLookup::Builder builder, const Lookup<Task>& lookup) {
  encodeLookup(builder, lookup);
}
void encode(schema::SecretLookup::Builder builder, const Lookup<SecretInfo>& lookup) {
  encodeLookup(builder, lookup);
}
void encode(schema::ConfigLookup::Builder builder, const Lookup<Config>& lookup) {
  encodeLookup(builder, lookup);
}

// --- decoders ---------------------------------------------------------------------------------

Decoded<manager::ControlOperation> decodeControlOperation(schema::ControlOperation::Reader reader) {
  return decodeRoot<manager::ControlOperation>("operation", reader);
}

Decoded<manager::ControlError> decodeControlError(schema::ControlError::Reader reader) {
  return decodeRoot<manager::ControlError>("error", reader);
}

Decoded<manager::ControlAnswer> decodeControlResult(schema::ControlResult::Reader reader) {
  return decodeRoot<manager::ControlAnswer>("result", reader);
}

Decoded<TaskFilter> decodeTaskFilter(schema::TaskFilter::Reader reader) {
  return decodeRoot<TaskFilter>("filter", reader);
}

Decoded<SecretInfo> decodeSecretInfo(schema::SecretInfo::Reader reader) {
  return decodeRoot<SecretInfo>("secret", reader);
}

Decoded<ConfigInfo> decodeConfigInfo(schema::ConfigInfo::Reader reader) {
  return decodeRoot<ConfigInfo>("config", reader);
}

Decoded<std::string> decodeRef(capnp::Text::Reader ref) {
  return codec::decodeFramed<std::string>("ref", [&](codec::Check& check) {
    std::optional<std::string> value;
    codec::Path at = codec::Path::root("ref");
    if (ref.size() == 0) {
      check.fail(at, "must not be empty");
    } else if (std::string text; check.text(at, ref, limits::REF_LENGTH_MAX, text)) {
      bool control = false;
      for (char c : text)
        control = control || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
      if (control) {
        check.fail(at, "must not contain control characters");
      } else {
        value = std::move(text);
      }
    }
    return value;
  });
}

Decoded<Lookup<manager::NodeRecord>> decodeNodeLookup(schema::NodeLookup::Reader reader) {
  return decodeRoot<Lookup<manager::NodeRecord>>("node", reader);
}
Decoded<Lookup<manager::ServiceRecord>> decodeServiceLookup(schema::ServiceLookup::Reader reader) {
  return decodeRoot<Lookup<manager::ServiceRecord>>("service", reader);
}
Decoded<Lookup<Task>> decodeTaskLookup(schema::TaskLookup::Reader reader) {
  return decodeRoot<Lookup<Task>>("task", reader);
}
Decoded<Lookup<SecretInfo>> decodeSecretLookup(schema::SecretLookup::Reader reader) {
  return decodeRoot<Lookup<SecretInfo>>("secret", reader);
}
Decoded<Lookup<Config>> decodeConfigLookup(schema::ConfigLookup::Reader reader) {
  return decodeRoot<Lookup<Config>>("config", reader);
}

Decoded<std::vector<manager::NodeRecord>> decodeNodeList(
    capnp::List<schema::NodeRecord>::Reader list) {
  return decodeList<manager::NodeRecord, schema::NodeRecord>("nodes", list);
}
Decoded<std::vector<manager::ServiceRecord>> decodeServiceList(
    capnp::List<schema::ServiceRecord>::Reader list) {
  return decodeList<manager::ServiceRecord, schema::ServiceRecord>("services", list);
}
Decoded<std::vector<Task>> decodeTaskList(capnp::List<schema::Task>::Reader list) {
  return decodeList<Task, schema::Task>("tasks", list);
}
Decoded<std::vector<SecretInfo>> decodeSecretList(capnp::List<schema::SecretInfo>::Reader list) {
  return decodeList<SecretInfo, schema::SecretInfo>("secrets", list);
}
Decoded<std::vector<ConfigInfo>> decodeConfigList(capnp::List<schema::ConfigInfo>::Reader list) {
  return decodeList<ConfigInfo, schema::ConfigInfo>("configs", list);
}

}  // namespace swarmlet::io
