// Conversions between the shared values of schemas/types.capnp and the core's value types
// (core/types.h, core/task.h, core/manager/store.h), with validation (docs/codec.md).
//
// encode() writes a core value into a builder and cannot fail (free text longer than its bound
// is clipped, see io/codec-check.h). decodeX() reads a reader that may come from anywhere (a
// peer, a store) and returns the value or one line naming the first bad field, its path
// relative to the decoded struct ("status.state: unknown value 901"); it never throws and never
// asserts, whatever the reader holds. Stateless functions; safe from any thread.
#pragma once

#include <capnp/list.h>
#include <kj/debug.h>

#include <vector>

#include "core/manager/store.h"
#include "core/task.h"
#include "core/types.h"
#include "io/decoded.h"
#include "types.capnp.h"

namespace swarmlet::io {

void encode(schema::Peer::Builder builder, const Peer& peer);
void encode(schema::WeightedPeer::Builder builder, const WeightedPeer& peer);
void encode(schema::NodeDescription::Builder builder, const NodeDescription& description);
void encode(schema::NodeInfo::Builder builder, const NodeInfo& node);
void encode(schema::EncryptionKey::Builder builder, const EncryptionKey& key);
void encode(schema::SessionMessage::Builder builder, const SessionMessage& message);
void encode(schema::RpcError::Builder builder, const RpcError& error);
void encode(schema::TaskSpec::Builder builder, const TaskSpec& spec);
void encode(schema::TaskStatus::Builder builder, const TaskStatus& status);
void encode(schema::Task::Builder builder, const Task& task);
void encode(schema::Secret::Builder builder, const Secret& secret);
void encode(schema::Config::Builder builder, const Config& config);
void encode(schema::AssignmentChange::Builder builder, const AssignmentChange& change);
void encode(schema::AssignmentsMessage::Builder builder, const AssignmentsMessage& message);
void encode(schema::TaskStatusUpdate::Builder builder, const TaskStatusUpdate& update);
void encode(schema::NodeRecord::Builder builder, const manager::NodeRecord& node);
void encode(schema::RestartPolicy::Builder builder, const manager::RestartPolicy& policy);
void encode(schema::UpdatePolicy::Builder builder, const manager::UpdatePolicy& policy);
void encode(schema::ServiceSpec::Builder builder, const manager::ServiceSpec& spec);
void encode(schema::ServiceRecord::Builder builder, const manager::ServiceRecord& service);

// Encodes every value into a list initialised with values.size() elements:
// `encodeAll(results.initNodes(nodes.size()), nodes)`.
template <typename Schema, typename T>
void encodeAll(typename capnp::List<Schema>::Builder list, const std::vector<T>& values) {
  KJ_REQUIRE(list.size() == values.size(), "the list was initialised with another size");
  for (unsigned int i = 0; i < list.size(); ++i)
    encode(list[i], values[i]);
}

Decoded<Peer> decodePeer(schema::Peer::Reader reader);
Decoded<WeightedPeer> decodeWeightedPeer(schema::WeightedPeer::Reader reader);
Decoded<NodeDescription> decodeNodeDescription(schema::NodeDescription::Reader reader);
Decoded<NodeInfo> decodeNodeInfo(schema::NodeInfo::Reader reader);
Decoded<EncryptionKey> decodeEncryptionKey(schema::EncryptionKey::Reader reader);
// A manager list longer than MANAGERS_MAX is truncated to its first MANAGERS_MAX entries.
Decoded<SessionMessage> decodeSessionMessage(schema::SessionMessage::Reader reader);
Decoded<RpcError> decodeRpcError(schema::RpcError::Reader reader);
Decoded<TaskSpec> decodeTaskSpec(schema::TaskSpec::Reader reader);
Decoded<TaskStatus> decodeTaskStatus(schema::TaskStatus::Reader reader);
Decoded<Task> decodeTask(schema::Task::Reader reader);
Decoded<Secret> decodeSecret(schema::Secret::Reader reader);
Decoded<Config> decodeConfig(schema::Config::Reader reader);
Decoded<AssignmentChange> decodeAssignmentChange(schema::AssignmentChange::Reader reader);
Decoded<AssignmentsMessage> decodeAssignmentsMessage(schema::AssignmentsMessage::Reader reader);
Decoded<TaskStatusUpdate> decodeTaskStatusUpdate(schema::TaskStatusUpdate::Reader reader);
Decoded<manager::NodeRecord> decodeNodeRecord(schema::NodeRecord::Reader reader);
Decoded<manager::RestartPolicy> decodeRestartPolicy(schema::RestartPolicy::Reader reader);
Decoded<manager::UpdatePolicy> decodeUpdatePolicy(schema::UpdatePolicy::Reader reader);
Decoded<manager::ServiceSpec> decodeServiceSpec(schema::ServiceSpec::Reader reader);
Decoded<manager::ServiceRecord> decodeServiceRecord(schema::ServiceRecord::Reader reader);

}  // namespace swarmlet::io
