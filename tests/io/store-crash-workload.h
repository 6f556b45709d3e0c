// The numbered group commits of the crash test, shared by the child that writes them
// (store-crash-child.c++) and the test that kills it and checks what survived
// (store-crash-test.c++). Commit 0 creates SHARED tasks; commit i >= 1 adds GROUP tasks of its
// own, sets every shared task's status message to i, and deletes the group of commit i - KEEP.
// A store holding commits 0..n and nothing of a later one has exactly: the shared tasks, all
// with message n, and the groups of commits max(1, n - KEEP + 1)..n, complete. Anything else
// means some commit was torn or lost. Test-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/agent/store.h"

namespace swarmlet::io::test::crash {

inline constexpr uint64_t GROUP = 10;
inline constexpr uint64_t SHARED = 5;
inline constexpr uint64_t KEEP = 20;
// The child stops after this many commits if nobody killed it.
inline constexpr uint64_t COMMITS_MAX = 100'000;

inline TaskId groupTaskId(uint64_t commit, uint64_t index) {
  return TaskId{"g" + std::to_string(commit) + "-" + std::to_string(index)};
}
inline TaskId sharedTaskId(uint64_t index) {
  return TaskId{"shared-" + std::to_string(index)};
}

inline Task taskOf(const TaskId& id, uint64_t commit) {
  Task task;
  task.id = id;
  task.serviceId = ServiceId{"svc"};
  task.slot = commit;
  task.nodeId = NodeId{"node"};
  task.spec.command = "/bin/server";
  task.spec.args = {"--commit", std::to_string(commit)};
  task.desiredState = TaskState::RUNNING;
  task.version = commit;
  return task;
}

inline TaskStatus statusOf(uint64_t commit) {
  TaskStatus status;
  status.state = TaskState::RUNNING;
  status.timestamp = Instant() + Duration::milliseconds(static_cast<int64_t>(commit));
  status.message = std::to_string(commit);
  return status;
}

inline std::vector<agent::StoreOp> opsOf(uint64_t commit) {
  std::vector<agent::StoreOp> ops;
  auto create = [&](const TaskId& id) {
    ops.push_back(agent::PutTask{taskOf(id, commit)});
    ops.push_back(agent::SetAssigned{id, true});
    ops.push_back(agent::PutStatus{id, statusOf(commit)});
  };
  if (commit == 0) {
    for (uint64_t k = 0; k < SHARED; ++k)
      create(sharedTaskId(k));
    return ops;
  }
  for (uint64_t j = 0; j < GROUP; ++j)
    create(groupTaskId(commit, j));
  for (uint64_t k = 0; k < SHARED; ++k)
    ops.push_back(agent::PutStatus{sharedTaskId(k), statusOf(commit)});
  if (commit > KEEP) {
    for (uint64_t j = 0; j < GROUP; ++j)
      ops.push_back(agent::DeleteTask{groupTaskId(commit - KEEP, j)});
  }
  return ops;
}

// The number of the last commit `store` holds completely (std::nullopt for an empty store), or
// in `problem` what is wrong with it.
struct Verdict {
  std::optional<uint64_t> lastCommit;
  std::string problem;
};

inline Verdict check(const agent::StoreSnapshot& store) {
  if (store.empty()) return {};
  auto shared = store.find(sharedTaskId(0));
  if (shared == store.end() || !shared->second.status.has_value())
    return {{}, "shared-0 is missing or has no status"};
  const std::string& message = shared->second.status->message;
  uint64_t last = std::stoull(message);
  auto expect = [&](const TaskId& id, uint64_t createdBy) -> std::string {
    auto it = store.find(id);
    if (it == store.end()) return id.value + " is missing";
    agent::StoredTask want{agent::withoutStatus(taskOf(id, createdBy)), true, statusOf(last)};
    if (createdBy != 0) want.status = statusOf(createdBy);
    if (it->second != want)
      return id.value + " is not as commit " + std::to_string(last) + " left it";
    return {};
  };
  size_t expected = 0;
  for (uint64_t k = 0; k < SHARED; ++k, ++expected) {
    std::string wrong = expect(sharedTaskId(k), 0);
    if (!wrong.empty()) return {{}, wrong};
  }
  for (uint64_t i = last > KEEP ? last - KEEP + 1 : 1; i <= last; ++i) {
    for (uint64_t j = 0; j < GROUP; ++j, ++expected) {
      std::string wrong = expect(groupTaskId(i, j), i);
      if (!wrong.empty()) return {{}, wrong};
    }
  }
  if (store.size() != expected) {
    return {{},
            std::to_string(store.size()) + " records where commit " + std::to_string(last) +
                " leaves " + std::to_string(expected)};
  }
  return {last, {}};
}

}  // namespace swarmlet::io::test::crash
