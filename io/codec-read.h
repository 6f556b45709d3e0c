// The codec's readers, for its own files (io/codec-*.c++, io/record-codec.c++) only: each reads
// one schema struct into a core value under a path and returns false, with the first error in
// `check`, when anything is wrong. The public decodeX() functions (io/codec-types.h and
// friends) are these readers run through decodeFramed, which also catches malformed messages.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "control.capnp.h"
#include "core/manager/effect.h"
#include "core/manager/store.h"
#include "core/task.h"
#include "core/types.h"
#include "io/codec-check.h"
#include "types.capnp.h"

namespace swarmlet::io::codec {

bool read(Check& check, const Path& at, schema::Peer::Reader reader, Peer& out);
bool read(Check& check, const Path& at, schema::WeightedPeer::Reader reader, WeightedPeer& out);
bool read(Check& check, const Path& at, schema::NodeDescription::Reader reader,
          NodeDescription& out);
bool read(Check& check, const Path& at, schema::NodeInfo::Reader reader, NodeInfo& out);
bool read(Check& check, const Path& at, schema::EncryptionKey::Reader reader, EncryptionKey& out);
bool read(Check& check, const Path& at, schema::SessionMessage::Reader reader, SessionMessage& out);
bool read(Check& check, const Path& at, schema::RpcError::Reader reader, RpcError& out);
bool read(Check& check, const Path& at, schema::TaskSpec::Reader reader, TaskSpec& out);
bool read(Check& check, const Path& at, schema::TaskStatus::Reader reader, TaskStatus& out);
bool read(Check& check, const Path& at, schema::Task::Reader reader, Task& out);
bool read(Check& check, const Path& at, schema::Secret::Reader reader, Secret& out);
bool read(Check& check, const Path& at, schema::Config::Reader reader, Config& out);
bool read(Check& check, const Path& at, schema::AssignmentChange::Reader reader,
          AssignmentChange& out);
bool read(Check& check, const Path& at, schema::AssignmentsMessage::Reader reader,
          AssignmentsMessage& out);
bool read(Check& check, const Path& at, schema::TaskStatusUpdate::Reader reader,
          TaskStatusUpdate& out);
bool read(Check& check, const Path& at, schema::NodeRecord::Reader reader,
          manager::NodeRecord& out);
bool read(Check& check, const Path& at, schema::RestartPolicy::Reader reader,
          manager::RestartPolicy& out);
bool read(Check& check, const Path& at, schema::UpdatePolicy::Reader reader,
          manager::UpdatePolicy& out);
bool read(Check& check, const Path& at, schema::ServiceSpec::Reader reader,
          manager::ServiceSpec& out);
bool read(Check& check, const Path& at, schema::ServiceRecord::Reader reader,
          manager::ServiceRecord& out);

// The enums (io/codec-enums.c++): toSchema cannot fail; readEnum refuses a value the schema
// does not name. TaskState travels as its number and only ALL_TASK_STATES are accepted.
schema::NodeRole toSchema(NodeRole role);
schema::NodeAvailability toSchema(NodeAvailability availability);
schema::ErrorCode toSchema(ErrorCode code);
schema::AssignmentAction toSchema(AssignmentAction action);
schema::AssignmentType toSchema(AssignmentType type);
schema::NodeStatus toSchema(manager::NodeStatus status);
schema::ServiceMode toSchema(manager::ServiceMode mode);
schema::RestartCondition toSchema(manager::RestartCondition condition);
bool readEnum(Check& check, const Path& at, schema::NodeRole value, NodeRole& out);
bool readEnum(Check& check, const Path& at, schema::NodeAvailability value, NodeAvailability& out);
bool readEnum(Check& check, const Path& at, schema::ErrorCode value, ErrorCode& out);
bool readEnum(Check& check, const Path& at, schema::AssignmentAction value, AssignmentAction& out);
bool readEnum(Check& check, const Path& at, schema::AssignmentType value, AssignmentType& out);
bool readEnum(Check& check, const Path& at, schema::NodeStatus value, manager::NodeStatus& out);
bool readEnum(Check& check, const Path& at, schema::ServiceMode value, manager::ServiceMode& out);
bool readEnum(Check& check, const Path& at, schema::RestartCondition value,
              manager::RestartCondition& out);
bool readTaskState(Check& check, const Path& at, uint16_t value, TaskState& out);
// The control API's (control.capnp).
schema::ControlErrorCode toSchema(manager::ControlErrorCode code);
bool readEnum(Check& check, const Path& at, schema::ControlErrorCode value,
              manager::ControlErrorCode& out);

// A string map of at most `maxEntries` entries, keys and values of at most `maxBytes`; keys are
// not empty, do not repeat and, for an environment, contain no '='.
void encodeMap(capnp::List<schema::Entry>::Builder list,
               const std::map<std::string, std::string>& map);
bool readMap(Check& check, const Path& at, capnp::List<schema::Entry>::Reader list,
             size_t maxEntries, size_t maxBytes, bool environment,
             std::map<std::string, std::string>& out);

// A typed id (Id<Tag>).
template <typename Tag>
bool readId(Check& check, const Path& at, capnp::Text::Reader text, Presence presence,
            Id<Tag>& out) {
  return check.id(at, text, presence, out.value);
}

// Reads a required struct field: refused when its pointer is null.
template <typename Reader, typename T>
bool readRequired(Check& check, const Path& at, bool has, Reader reader, T& out) {
  return check.present(at, has) && read(check, at, reader, out);
}

// Runs read() on a root reader inside decodeFramed.
template <typename T, typename Reader>
Decoded<T> decodeRoot(const char* label, Reader reader) {
  return decodeFramed<T>(label, [&](Check& check) -> std::optional<T> {
    T value;
    if (!read(check, Path::root(label), reader, value)) return std::nullopt;
    return value;
  });
}

}  // namespace swarmlet::io::codec
