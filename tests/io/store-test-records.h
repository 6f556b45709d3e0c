// Seeded random records for the store tests: tasks, statuses and manager
// records as the cores write them, plausible enough for the codec's validation (non-empty ids,
// enum values that exist, sizes well within core/limits.h). Test-only values.
#pragma once

#include <kj/debug.h>

#include <cstdint>
#include <iterator>
#include <random>
#include <string>

#include "core/manager/store.h"
#include "core/task.h"

namespace swarmlet::io::test {

class RecordMaker {
 public:
  explicit RecordMaker(uint64_t seed) : random_(seed) {}

  uint64_t below(uint64_t bound) {
    return std::uniform_int_distribution<uint64_t>(0, bound - 1)(random_);
  }
  bool chance(int percent) { return below(100) < static_cast<uint64_t>(percent); }

  TaskStatus status() {
    TaskStatus status;
    status.state = ALL_TASK_STATES[below(std::size(ALL_TASK_STATES))];
    status.timestamp = Instant() + Duration::milliseconds(static_cast<int64_t>(below(1'000'000)));
    status.message = chance(50) ? "started" : "status " + std::to_string(below(1000));
    if (chance(30)) status.error = "exit code " + std::to_string(below(256));
    if (chance(30)) status.exitCode = static_cast<int32_t>(below(256));
    return status;
  }

  TaskSpec spec() {
    TaskSpec spec;
    spec.command = "/usr/bin/server";
    spec.args = {"--port", std::to_string(8000 + below(1000))};
    if (chance(50)) spec.env["MODE"] = chance(50) ? "fast" : "safe";
    if (chance(20)) spec.secrets.push_back(SecretId{"s" + std::to_string(below(5))});
    if (chance(20)) spec.configs.push_back(ConfigId{"c" + std::to_string(below(5))});
    return spec;
  }

  Task task(const std::string& id) {
    Task task;
    task.id = TaskId{id};
    task.serviceId = ServiceId{"svc" + std::to_string(below(4))};
    task.slot = below(10);
    task.nodeId = NodeId{"node" + std::to_string(below(3))};
    task.spec = spec();
    task.desiredState = chance(80) ? TaskState::RUNNING : TaskState::SHUTDOWN;
    task.status = status();
    task.version = below(100);
    return task;
  }

  manager::NodeRecord node(const std::string& id) {
    manager::NodeRecord node;
    node.id = NodeId{id};
    node.description = NodeDescription{"host-" + id,
                                       "linux/amd64",
                                       static_cast<int64_t>(1000 * (1 + below(8))),
                                       static_cast<int64_t>((1 + below(16)) << 30),
                                       {{"zone", chance(50) ? "a" : "b"}}};
    node.status = static_cast<manager::NodeStatus>(below(4));
    node.statusMessage = chance(50) ? "" : "heartbeat lapsed";
    node.availability = static_cast<NodeAvailability>(below(3));
    node.role = chance(80) ? NodeRole::WORKER : NodeRole::MANAGER;
    node.desiredRole = node.role;
    node.version = below(100);
    return node;
  }

  manager::ServiceRecord service(const std::string& id) {
    manager::ServiceRecord service;
    service.id = ServiceId{id};
    service.spec.name = "web-" + id;
    service.spec.mode =
        chance(70) ? manager::ServiceMode::REPLICATED : manager::ServiceMode::GLOBAL;
    service.spec.replicas =
        service.spec.mode == manager::ServiceMode::GLOBAL ? 0 : static_cast<int64_t>(below(10));
    service.spec.task = spec();
    service.spec.restart.condition = static_cast<manager::RestartCondition>(below(3));
    service.spec.restart.maxAttempts = static_cast<int64_t>(below(4));
    service.spec.update.parallelism = static_cast<int64_t>(below(3));
    service.version = below(100);
    return service;
  }

  Secret secret(const std::string& id) {
    return Secret{SecretId{id}, "secret-" + id, "data " + std::to_string(below(1000))};
  }

  Config config(const std::string& id) {
    return Config{ConfigId{id}, "config-" + id, "data " + std::to_string(below(1000))};
  }

  // A record of `kind` with id `id`.
  manager::Record record(manager::RecordKind kind, const std::string& id) {
    switch (kind) {
      case manager::RecordKind::NODE:
        return node(id);
      case manager::RecordKind::SERVICE:
        return service(id);
      case manager::RecordKind::TASK:
        return task(id);
      case manager::RecordKind::SECRET:
        return secret(id);
      case manager::RecordKind::CONFIG:
        return config(id);
    }
    KJ_UNREACHABLE;
  }

 private:
  std::mt19937_64 random_;
};

}  // namespace swarmlet::io::test
