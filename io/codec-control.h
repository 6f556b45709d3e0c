// Conversions between the control API of schemas/control.capnp and the manager core's control
// values (core/manager/input.h, effect.h), with validation (docs/codec.md), and the values that
// only the control API's queries carry (SecretInfo, ConfigInfo, TaskFilter, lookups).
//
// The codec checks shape and bounds (ids, lengths, enum values, a missing operation); what a
// request means (an empty name, a negative replica count, an unknown secret) is the core's to
// judge, so that the user reads the core's own explanation. The request id of a Control input
// never crosses the wire: the server assigns it, and decoded answers carry 0.
//
// encode() cannot fail; decodeX() never throws or asserts and names the first bad field.
// Stateless functions; safe from any thread.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "control.capnp.h"
#include "core/manager/effect.h"
#include "core/manager/input.h"
#include "io/decoded.h"

namespace swarmlet::io {

// A secret as the queries show it: never its data.
struct SecretInfo {
  SecretId id;
  std::string name;
  uint64_t dataBytes = 0;

  auto operator<=>(const SecretInfo&) const = default;
};

struct ConfigInfo {
  ConfigId id;
  std::string name;
  uint64_t dataBytes = 0;

  auto operator<=>(const ConfigInfo&) const = default;
};

SecretInfo secretInfo(const Secret& secret);
ConfigInfo configInfo(const Config& config);

// listTasks' filter: an empty id matches every service (node).
struct TaskFilter {
  ServiceId service;
  NodeId node;

  bool operator==(const TaskFilter&) const = default;
  bool matches(const Task& task) const {
    return (service.empty() || task.serviceId == service) && (node.empty() || task.nodeId == node);
  }
};

// What an inspect query answers: the record, or why not (NOT_FOUND, ...).
template <typename T>
using Lookup = std::variant<T, manager::ControlError>;

void encode(schema::ControlOperation::Builder builder, const manager::ControlOperation& operation);
Decoded<manager::ControlOperation> decodeControlOperation(schema::ControlOperation::Reader reader);

void encode(schema::ControlError::Builder builder, const manager::ControlError& error);
Decoded<manager::ControlError> decodeControlError(schema::ControlError::Reader reader);

// `answer.request` is not encoded; the decoded answer's request is 0.
void encode(schema::ControlResult::Builder builder, const manager::ControlAnswer& answer);
Decoded<manager::ControlAnswer> decodeControlResult(schema::ControlResult::Reader reader);

void encode(schema::TaskFilter::Builder builder, const TaskFilter& filter);
Decoded<TaskFilter> decodeTaskFilter(schema::TaskFilter::Reader reader);

void encode(schema::SecretInfo::Builder builder, const SecretInfo& secret);
Decoded<SecretInfo> decodeSecretInfo(schema::SecretInfo::Reader reader);

void encode(schema::ConfigInfo::Builder builder, const ConfigInfo& config);
Decoded<ConfigInfo> decodeConfigInfo(schema::ConfigInfo::Reader reader);

// An inspect query's `ref`: an id, a name or a hostname. Not empty, at most REF_LENGTH_MAX
// bytes, no control characters.
Decoded<std::string> decodeRef(capnp::Text::Reader ref);

void encode(schema::NodeLookup::Builder builder, const Lookup<manager::NodeRecord>& lookup);
void encode(schema::ServiceLookup::Builder builder, const Lookup<manager::ServiceRecord>& lookup);
void encode(schema::TaskLookup::Builder builder, const Lookup<Task>& lookup);
void encode(schema::SecretLookup::Builder builder, const Lookup<SecretInfo>& lookup);
void encode(schema::ConfigLookup::Builder builder, const Lookup<Config>& lookup);
Decoded<Lookup<manager::NodeRecord>> decodeNodeLookup(schema::NodeLookup::Reader reader);
Decoded<Lookup<manager::ServiceRecord>> decodeServiceLookup(schema::ServiceLookup::Reader reader);
Decoded<Lookup<Task>> decodeTaskLookup(schema::TaskLookup::Reader reader);
Decoded<Lookup<SecretInfo>> decodeSecretLookup(schema::SecretLookup::Reader reader);
Decoded<Lookup<Config>> decodeConfigLookup(schema::ConfigLookup::Reader reader);

// The list queries' results (encode them with encodeAll, io/codec-types.h). At most
// QUERY_RESULTS_MAX entries.
Decoded<std::vector<manager::NodeRecord>> decodeNodeList(
    capnp::List<schema::NodeRecord>::Reader list);
Decoded<std::vector<manager::ServiceRecord>> decodeServiceList(
    capnp::List<schema::ServiceRecord>::Reader list);
Decoded<std::vector<Task>> decodeTaskList(capnp::List<schema::Task>::Reader list);
Decoded<std::vector<SecretInfo>> decodeSecretList(capnp::List<schema::SecretInfo>::Reader list);
Decoded<std::vector<ConfigInfo>> decodeConfigList(capnp::List<schema::ConfigInfo>::Reader list);

}  // namespace swarmlet::io
