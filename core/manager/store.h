// The manager's persisted records: what a Persist effect writes and what Start restores. Plain
// values (copyable, comparable, printable through core/format.h); the shell maps each record to
// one key of its store (LevelDB today) and never interprets them.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/task.h"
#include "core/time.h"
#include "core/types.h"

namespace swarmlet::manager {

// SwarmKit's NodeStatus_State, minus the deprecated values.
enum class NodeStatus : uint8_t {
  UNKNOWN,       // restored after a manager restart or leader change; not yet heard from
  DOWN,          // no heartbeat within the grace period
  READY,         // registered and heartbeating
  DISCONNECTED,  // the node closed its session; it may come back before its heartbeat lapses
};

struct NodeRecord {
  NodeId id;
  NodeDescription description;
  NodeStatus status = NodeStatus::UNKNOWN;
  std::string statusMessage;
  NodeAvailability availability = NodeAvailability::ACTIVE;
  NodeRole role = NodeRole::WORKER;
  NodeRole desiredRole = NodeRole::WORKER;
  // The store version of the record's last write.
  uint64_t version = 0;

  bool operator==(const NodeRecord&) const = default;
};

enum class ServiceMode : uint8_t { REPLICATED, GLOBAL };
enum class RestartCondition : uint8_t { ANY, ON_FAILURE, NONE };

struct RestartPolicy {
  RestartCondition condition = RestartCondition::ANY;
  Duration delay = Duration::seconds(5);
  // 0: unlimited. Otherwise at most this many restarts of one slot (or node) within `window`.
  int64_t maxAttempts = 0;
  // 0: the attempts count over the whole life of the service.
  Duration window;

  bool operator==(const RestartPolicy&) const = default;
};

// A rolling update replaces `parallelism` tasks at a time (0: all at once) and waits `delay`
// after each batch is running before starting the next.
struct UpdatePolicy {
  int64_t parallelism = 1;
  Duration delay;

  bool operator==(const UpdatePolicy&) const = default;
};

// What a user asks for. `replicas` is signed so that a negative request reaches validation as
// data; a stored spec always has replicas >= 0 (and 0 for a global service).
struct ServiceSpec {
  std::string name;
  ServiceMode mode = ServiceMode::REPLICATED;
  int64_t replicas = 0;
  TaskSpec task;
  RestartPolicy restart;
  UpdatePolicy update;

  bool operator==(const ServiceSpec&) const = default;
};

struct ServiceRecord {
  ServiceId id;
  ServiceSpec spec;
  // The store version of the last change of the spec.
  uint64_t version = 0;

  bool operator==(const ServiceRecord&) const = default;
};

enum class RecordKind : uint8_t { NODE, SERVICE, TASK, SECRET, CONFIG };

using Record = std::variant<NodeRecord, ServiceRecord, Task, Secret, Config>;

struct Put {
  Record record;

  bool operator==(const Put&) const = default;
};

struct Delete {
  RecordKind kind = RecordKind::TASK;
  std::string id;

  bool operator==(const Delete&) const = default;
};

using Write = std::variant<Put, Delete>;

// The store's whole content, as Start receives it. Order does not matter.
struct StoreSnapshot {
  std::vector<NodeRecord> nodes;
  std::vector<ServiceRecord> services;
  std::vector<Task> tasks;
  std::vector<Secret> secrets;
  std::vector<Config> configs;

  bool operator==(const StoreSnapshot&) const = default;
  bool empty() const {
    return nodes.empty() && services.empty() && tasks.empty() && secrets.empty() && configs.empty();
  }
};

}  // namespace swarmlet::manager
