#include "io/record-codec.h"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include "io/codec-read.h"
#include "io/codec-types.h"
#include "io/codec.h"
#include "storage.capnp.h"

namespace swarmlet::io {

static_assert(STORE_SCHEMA_VERSION == schema::STORE_SCHEMA_VERSION,
              "io/record-codec.h and schemas/storage.capnp disagree on the store's version");

namespace codec {
namespace {

// A spec the manager core could have stored: what its control API validates on the way in
// (core/manager/control.c++), so that a damaged record cannot reach the core.
bool checkStoredSpec(Check& check, const Path& at, const manager::ServiceSpec& spec) {
  if (spec.name.empty()) return check.fail(at.field("name"), "must not be empty");
  if (spec.task.command.empty()) {
    return check.fail(at.field("task").field("command"), "must not be empty");
  }
  if (spec.mode == manager::ServiceMode::GLOBAL && spec.replicas != 0) {
    return check.fail(at.field("replicas"),
                      "must be 0 for a global service (got " + std::to_string(spec.replicas) + ")");
  }
  if (spec.replicas < 0 || spec.replicas > limits::SERVICE_REPLICAS_MAX) {
    return check.fail(at.field("replicas"), std::to_string(spec.replicas) + " is outside [0, " +
                                                std::to_string(limits::SERVICE_REPLICAS_MAX) + "]");
  }
  Path restart = at.field("restart");
  Path update = at.field("update");
  return check.notNegative(restart.field("delay"), spec.restart.delay.count()) &&
         check.notNegative(restart.field("maxAttempts"), spec.restart.maxAttempts) &&
         check.notNegative(restart.field("window"), spec.restart.window.count()) &&
         check.notNegative(update.field("parallelism"), spec.update.parallelism) &&
         check.notNegative(update.field("delay"), spec.update.delay.count());
}

}  // namespace

bool read(Check& check, const Path& at, schema::StoredTask::Reader reader, agent::StoredTask& out) {
  out.assigned = reader.getAssigned();
  if (!readRequired(check, at.field("task"), reader.hasTask(), reader.getTask(), out.task)) {
    return false;
  }
  auto status = reader.getStatus();
  switch (status.which()) {
    case schema::StoredTask::Status::NONE:
      return true;
    case schema::StoredTask::Status::VALUE:
      return readRequired(check, at.field("status"), status.hasValue(), status.getValue(),
                          out.status.emplace());
  }
  return check.unknownValue(at.field("status"), static_cast<uint16_t>(status.which()));
}

bool read(Check& check, const Path& at, schema::ManagerList::Reader reader,
          std::vector<Peer>& out) {
  auto managers = reader.getManagers();
  // Truncated like a session message's list: the agent starts with at most MANAGERS_MAX.
  size_t kept = std::min<size_t>(managers.size(), limits::MANAGERS_MAX);
  out.resize(kept);
  Path managersAt = at.field("managers");
  for (unsigned int i = 0; i < kept; ++i) {
    if (!read(check, managersAt.index(i), managers[i], out[i])) return false;
  }
  return true;
}

bool read(Check& check, const Path& at, schema::Record::Reader reader, manager::Record& out) {
  switch (reader.which()) {
    case schema::Record::NODE:
      return readRequired(check, at.field("node"), reader.hasNode(), reader.getNode(),
                          out.emplace<manager::NodeRecord>());
    case schema::Record::SERVICE: {
      Path service = at.field("service");
      auto& record = out.emplace<manager::ServiceRecord>();
      return readRequired(check, service, reader.hasService(), reader.getService(), record) &&
             checkStoredSpec(check, service.field("spec"), record.spec);
    }
    case schema::Record::TASK:
      return readRequired(check, at.field("task"), reader.hasTask(), reader.getTask(),
                          out.emplace<Task>());
    case schema::Record::SECRET:
      return readRequired(check, at.field("secret"), reader.hasSecret(), reader.getSecret(),
                          out.emplace<Secret>());
    case schema::Record::CONFIG:
      return readRequired(check, at.field("config"), reader.hasConfig(), reader.getConfig(),
                          out.emplace<Config>());
  }
  return check.fail(at, "unknown kind " + std::to_string(static_cast<uint16_t>(reader.which())) +
                            " (written by a newer version?)");
}

bool read(Check& check, const Path& at, schema::StoreMeta::Reader reader, StoreMeta& out) {
  out.schemaVersion = reader.getSchemaVersion();
  if (out.schemaVersion == 0) return check.fail(at.field("schemaVersion"), "must not be 0");
  switch (reader.getKind()) {
    case schema::StoreKind::AGENT:
      out.kind = StoreKind::AGENT;
      return true;
    case schema::StoreKind::MANAGER:
      out.kind = StoreKind::MANAGER;
      return true;
  }
  return check.unknownValue(at.field("kind"), static_cast<uint16_t>(reader.getKind()));
}

}  // namespace codec

namespace {

// One record as a flat array: its own message, built and copied out.
template <typename Root, typename Fill>
kj::Array<capnp::word> flat(Fill&& fill) {
  capnp::MallocMessageBuilder message;
  fill(message.initRoot<Root>());
  return capnp::messageToFlatArray(message);
}

template <typename Root, typename T>
Decoded<T> decodeRecord(const char* label, kj::ArrayPtr<const capnp::word> words) {
  return decodeMessage<Root, T>(
      label, words, limits::RECORD_TRAVERSAL_LIMIT_WORDS,
      [&](typename Root::Reader reader) { return codec::decodeRoot<T>(label, reader); });
}

const char* kindName(StoreKind kind) {
  return kind == StoreKind::AGENT ? "an agent's" : "a manager's";
}

}  // namespace

kj::Array<capnp::word> encodeStoredTask(const agent::StoredTask& record) {
  return flat<schema::StoredTask>([&](schema::StoredTask::Builder builder) {
    encode(builder.initTask(), record.task);
    builder.setAssigned(record.assigned);
    if (record.status.has_value()) {
      encode(builder.getStatus().initValue(), *record.status);
    } else {
      builder.getStatus().setNone();
    }
  });
}

Decoded<agent::StoredTask> decodeStoredTask(kj::ArrayPtr<const capnp::word> words) {
  return decodeRecord<schema::StoredTask, agent::StoredTask>("storedTask", words);
}

kj::Array<capnp::word> encodePeers(const std::vector<Peer>& peers) {
  return flat<schema::ManagerList>([&](schema::ManagerList::Builder builder) {
    encodeAll<schema::Peer>(builder.initManagers(static_cast<unsigned int>(peers.size())), peers);
  });
}

Decoded<std::vector<Peer>> decodePeers(kj::ArrayPtr<const capnp::word> words) {
  return decodeRecord<schema::ManagerList, std::vector<Peer>>("managerList", words);
}

kj::Array<capnp::word> encodeManagerRecord(const manager::Record& record) {
  return flat<schema::Record>([&](schema::Record::Builder builder) {
    std::visit(
        [&](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, manager::NodeRecord>) {
            encode(builder.initNode(), value);
          } else if constexpr (std::is_same_v<T, manager::ServiceRecord>) {
            encode(builder.initService(), value);
          } else if constexpr (std::is_same_v<T, Task>) {
            encode(builder.initTask(), value);
          } else if constexpr (std::is_same_v<T, Secret>) {
            encode(builder.initSecret(), value);
          } else {
            static_assert(std::is_same_v<T, Config>, "a record kind is missing");
            encode(builder.initConfig(), value);
          }
        },
        record);
  });
}

Decoded<manager::Record> decodeManagerRecord(kj::ArrayPtr<const capnp::word> words) {
  return decodeRecord<schema::Record, manager::Record>("record", words);
}

kj::Array<capnp::word> encodeStoreMeta(const StoreMeta& meta) {
  return flat<schema::StoreMeta>([&](schema::StoreMeta::Builder builder) {
    builder.setSchemaVersion(meta.schemaVersion);
    builder.setKind(meta.kind == StoreKind::AGENT ? schema::StoreKind::AGENT
                                                  : schema::StoreKind::MANAGER);
  });
}

Decoded<StoreMeta> decodeStoreMeta(kj::ArrayPtr<const capnp::word> words) {
  return decodeRecord<schema::StoreMeta, StoreMeta>("storeMeta", words);
}

std::optional<std::string> checkStoreMeta(const StoreMeta& meta, StoreKind expected) {
  if (meta.kind != expected) {
    return std::string("the state directory holds ") + kindName(meta.kind) + " store, not " +
           kindName(expected) + ": point this node at its own state directory";
  }
  if (meta.schemaVersion > STORE_SCHEMA_VERSION) {
    return "the store was written with layout version " + std::to_string(meta.schemaVersion) +
           ", newer than this binary's " + std::to_string(STORE_SCHEMA_VERSION) +
           ": run a newer swarmlet on it";
  }
  if (meta.schemaVersion < STORE_SCHEMA_VERSION) {
    return "the store has layout version " + std::to_string(meta.schemaVersion) +
           ", which this binary cannot read (it reads " + std::to_string(STORE_SCHEMA_VERSION) +
           "): migrate it with the version that wrote it";
  }
  return std::nullopt;
}

}  // namespace swarmlet::io
