#include "io/codec-types.h"

#include "io/codec-limits.h"
#include "io/codec-read.h"

// The manager's records (core/manager/store.h): nodes, services and their policies.
namespace swarmlet::io {

using codec::asText;
using codec::setClipped;
using codec::toSchema;

void encode(schema::NodeRecord::Builder builder, const manager::NodeRecord& node) {
  builder.setId(asText(node.id.value));
  encode(builder.initDescription(), node.description);
  builder.setStatus(toSchema(node.status));
  setClipped([&](unsigned int size) { return builder.initStatusMessage(size); }, node.statusMessage,
             limits::ERROR_MESSAGE_LENGTH_MAX);
  builder.setAvailability(toSchema(node.availability));
  builder.setRole(toSchema(node.role));
  builder.setDesiredRole(toSchema(node.desiredRole));
  builder.setVersion(node.version);
}

void encode(schema::RestartPolicy::Builder builder, const manager::RestartPolicy& policy) {
  builder.setCondition(toSchema(policy.condition));
  builder.setDelay(policy.delay.count());
  builder.setMaxAttempts(policy.maxAttempts);
  builder.setWindow(policy.window.count());
}

void encode(schema::UpdatePolicy::Builder builder, const manager::UpdatePolicy& policy) {
  builder.setParallelism(policy.parallelism);
  builder.setDelay(policy.delay.count());
}

void encode(schema::ServiceSpec::Builder builder, const manager::ServiceSpec& spec) {
  builder.setName(asText(spec.name));
  builder.setMode(toSchema(spec.mode));
  builder.setReplicas(spec.replicas);
  encode(builder.initTask(), spec.task);
  encode(builder.initRestart(), spec.restart);
  encode(builder.initUpdate(), spec.update);
}

void encode(schema::ServiceRecord::Builder builder, const manager::ServiceRecord& service) {
  builder.setId(asText(service.id.value));
  encode(builder.initSpec(), service.spec);
  builder.setVersion(service.version);
}

namespace codec {

bool read(Check& check, const Path& at, schema::NodeRecord::Reader reader,
          manager::NodeRecord& out) {
  out.version = reader.getVersion();
  return readId(check, at.field("id"), reader.getId(), Presence::REQUIRED, out.id) &&
         read(check, at.field("description"), reader.getDescription(), out.description) &&
         readEnum(check, at.field("status"), reader.getStatus(), out.status) &&
         check.text(at.field("statusMessage"), reader.getStatusMessage(),
                    limits::ERROR_MESSAGE_LENGTH_MAX, out.statusMessage) &&
         readEnum(check, at.field("availability"), reader.getAvailability(), out.availability) &&
         readEnum(check, at.field("role"), reader.getRole(), out.role) &&
         readEnum(check, at.field("desiredRole"), reader.getDesiredRole(), out.desiredRole);
}

bool read(Check& check, const Path& at, schema::RestartPolicy::Reader reader,
          manager::RestartPolicy& out) {
  out.delay = Duration::nanoseconds(reader.getDelay());
  out.maxAttempts = reader.getMaxAttempts();
  out.window = Duration::nanoseconds(reader.getWindow());
  return readEnum(check, at.field("condition"), reader.getCondition(), out.condition);
}

bool read(Check&, const Path&, schema::UpdatePolicy::Reader reader, manager::UpdatePolicy& out) {
  out.parallelism = reader.getParallelism();
  out.delay = Duration::nanoseconds(reader.getDelay());
  return true;
}

bool read(Check& check, const Path& at, schema::ServiceSpec::Reader reader,
          manager::ServiceSpec& out) {
  out.replicas = reader.getReplicas();
  return check.text(at.field("name"), reader.getName(), limits::NAME_LENGTH_MAX, out.name) &&
         readEnum(check, at.field("mode"), reader.getMode(), out.mode) &&
         read(check, at.field("task"), reader.getTask(), out.task) &&
         read(check, at.field("restart"), reader.getRestart(), out.restart) &&
         read(check, at.field("update"), reader.getUpdate(), out.update);
}

bool read(Check& check, const Path& at, schema::ServiceRecord::Reader reader,
          manager::ServiceRecord& out) {
  out.version = reader.getVersion();
  return readId(check, at.field("id"), reader.getId(), Presence::REQUIRED, out.id) &&
         readRequired(check, at.field("spec"), reader.hasSpec(), reader.getSpec(), out.spec);
}

}  // namespace codec

using codec::decodeRoot;

Decoded<manager::NodeRecord> decodeNodeRecord(schema::NodeRecord::Reader reader) {
  return decodeRoot<manager::NodeRecord>("nodeRecord", reader);
}
Decoded<manager::RestartPolicy> decodeRestartPolicy(schema::RestartPolicy::Reader reader) {
  return decodeRoot<manager::RestartPolicy>("restartPolicy", reader);
}
Decoded<manager::UpdatePolicy> decodeUpdatePolicy(schema::UpdatePolicy::Reader reader) {
  return decodeRoot<manager::UpdatePolicy>("updatePolicy", reader);
}
Decoded<manager::ServiceSpec> decodeServiceSpec(schema::ServiceSpec::Reader reader) {
  return decodeRoot<manager::ServiceSpec>("serviceSpec", reader);
}
Decoded<manager::ServiceRecord> decodeServiceRecord(schema::ServiceRecord::Reader reader) {
  return decodeRoot<manager::ServiceRecord>("serviceRecord", reader);
}

}  // namespace swarmlet::io
