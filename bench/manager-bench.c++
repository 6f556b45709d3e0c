// The manager core under load: status updates absorbed (queued, batched, written, acknowledged)
// with the batch flushed by count as the dispatcher does, against a flush after every call; and
// the fan-out of one change to the assignment streams of 1,000 nodes. Reports items per second of
// core time alone (no store, no network).
#include <benchmark/benchmark.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/limits.h"
#include "core/manager/manager.h"

namespace swarmlet::manager {
namespace {

// A manager with `nodes` registered nodes and the session each was given.
struct Cluster {
  explicit Cluster(int nodes) : manager(ManagerConfig{1, {}, Duration()}) {
    manager.step(now, Start{});
    for (int i = 0; i < nodes; ++i) {
      NodeId id{"n" + std::to_string(i)};
      manager.step(now,
                   SessionRequested{++request, id, {}, NodeDescription{id.value, "", 0, 0, {}}});
    }
    advance(limits::UPDATE_BATCH_INTERVAL);
  }

  // Moves time on, ticking at every deadline, and remembers the sessions handed out.
  void advance(Duration by) {
    Instant target = now + by;
    for (;;) {
      Instant next;
      KJ_IF_MAYBE (d, manager.nextDeadline()) {
        next = *d;
      } else {
        break;
      }
      if (next > target) break;
      now = next;
      manager.step(now, Tick{});
      collect();
    }
    now = target;
    manager.step(now, Tick{});
    collect();
  }

  void collect() {
    for (const Effect& effect : manager.takeEffects()) {
      if (const auto* answer = std::get_if<SessionAnswer>(&effect)) {
        if (!answer->error.has_value()) sessions[answer->node] = answer->sessionId;
      }
    }
  }

  void heartbeatAll() {
    for (const auto& [node, session] : sessions) {
      manager.step(now, HeartbeatReceived{++request, node, session});
    }
    manager.takeEffects();
  }

  ServiceId create(ServiceSpec spec) {
    manager.step(now, Control{++request, CreateService{std::move(spec)}});
    ServiceId id;
    for (const Effect& effect : manager.takeEffects()) {
      if (const auto* answer = std::get_if<ControlAnswer>(&effect)) id = ServiceId{answer->id};
    }
    return id;
  }

  Manager manager;
  Instant now;
  RequestId request = 0;
  std::map<NodeId, SessionId> sessions;
};

ServiceSpec spec(ServiceMode mode, int64_t replicas) {
  ServiceSpec s;
  s.name = mode == ServiceMode::GLOBAL ? "agent" : "web";
  s.mode = mode;
  s.replicas = replicas;
  s.task.command = "server";
  s.task.args = {"--port", "80"};
  return s;
}

// 100 nodes x 100 tasks. Each iteration is one status call of 100 RUNNING updates (a fresh
// timestamp each round, so every update is stored). Arg 1: the batch is flushed by count
// (10,000 queued), as the dispatcher does; arg 0: time moves 100 ms after every call, so each
// call gets its own store write.
void BM_StatusesAbsorbed(benchmark::State& state) {
  bool batched = state.range(0) == 1;
  Cluster cluster(100);
  cluster.create(spec(ServiceMode::REPLICATED, 10000));
  cluster.advance(limits::ASSIGNMENT_QUIET_PERIOD);
  std::vector<std::pair<NodeId, std::vector<TaskId>>> byNode;
  for (const auto& [node, session] : cluster.sessions)
    byNode.push_back({node, {}});
  std::map<NodeId, size_t> index;
  for (size_t i = 0; i < byNode.size(); ++i)
    index[byNode[i].first] = i;
  for (const auto& [id, task] : cluster.manager.state().cluster.tasks) {
    byNode[index[task.nodeId]].second.push_back(id);
  }
  size_t call = 0;
  int64_t updates = 0;
  for (auto _ : state) {
    const auto& [node, tasks] = byNode[call % byNode.size()];
    Instant stamp = Instant::origin() + Duration::nanoseconds(static_cast<int64_t>(++call));
    StatusesReceived statuses{++cluster.request, node, cluster.sessions[node], {}};
    statuses.updates.reserve(tasks.size());
    for (const TaskId& id : tasks) {
      statuses.updates.push_back(
          TaskStatusUpdate{id, TaskStatus{TaskState::RUNNING, stamp, "", "", {}}});
    }
    updates += static_cast<int64_t>(tasks.size());
    Input input = std::move(statuses);  // as the shell hands it over: no copy of the updates
    cluster.manager.step(cluster.now, input);
    if (!batched) {
      cluster.now = cluster.now + limits::UPDATE_BATCH_INTERVAL;
      cluster.manager.step(cluster.now, Tick{});
    }
    benchmark::DoNotOptimize(cluster.manager.takeEffects());
    if (!batched && call % 50 == 0) {
      state.PauseTiming();
      cluster.heartbeatAll();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(updates);
}
BENCHMARK(BM_StatusesAbsorbed)->Arg(1)->Arg(0);

// Both sides of BM_StatusesAbsorbed in one run, interleaved so that both see the same machine:
// each iteration makes 50 calls on a cluster whose batch is flushed by count, then 50 calls on
// one where every call gets its own store write. Counters: statuses/s of each and their ratio.
void BM_StatusesAbsorbedBatchedAgainstPerCall(benchmark::State& state) {
  struct Side {
    explicit Side(bool batched) : batched(batched), cluster(100) {
      cluster.create(spec(ServiceMode::REPLICATED, 10000));
      cluster.advance(limits::ASSIGNMENT_QUIET_PERIOD);
      std::map<NodeId, size_t> index;
      for (const auto& [node, session] : cluster.sessions) {
        index[node] = byNode.size();
        byNode.push_back({node, {}});
      }
      for (const auto& [id, task] : cluster.manager.state().cluster.tasks)
        byNode[index[task.nodeId]].second.push_back(id);
    }
    // One call of 100 updates; returns its seconds.
    double call() {
      const auto& [node, tasks] = byNode[calls % byNode.size()];
      Instant stamp = Instant::origin() + Duration::nanoseconds(static_cast<int64_t>(++calls));
      StatusesReceived statuses{++cluster.request, node, cluster.sessions[node], {}};
      statuses.updates.reserve(tasks.size());
      for (const TaskId& id : tasks) {
        statuses.updates.push_back(
            TaskStatusUpdate{id, TaskStatus{TaskState::RUNNING, stamp, "", "", {}}});
      }
      updates += static_cast<double>(tasks.size());
      Input input = std::move(statuses);
      auto start = std::chrono::steady_clock::now();
      cluster.manager.step(cluster.now, input);
      if (!batched) {
        cluster.now = cluster.now + limits::UPDATE_BATCH_INTERVAL;
        cluster.manager.step(cluster.now, Tick{});
      }
      benchmark::DoNotOptimize(cluster.manager.takeEffects());
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!batched && calls % 50 == 0) cluster.heartbeatAll();
      return seconds;
    }
    bool batched;
    Cluster cluster;
    std::vector<std::pair<NodeId, std::vector<TaskId>>> byNode;
    size_t calls = 0;
    double updates = 0;
  };
  Side batched(true);
  Side perCall(false);
  double batchedSeconds = 0;
  double perCallSeconds = 0;
  for (auto _ : state) {
    for (int i = 0; i < 50; ++i)
      batchedSeconds += batched.call();
    for (int i = 0; i < 50; ++i)
      perCallSeconds += perCall.call();
  }
  const double batchedRate = batched.updates / batchedSeconds;
  const double perCallRate = perCall.updates / perCallSeconds;
  state.counters["batched_per_s"] = batchedRate;
  state.counters["per_call_per_s"] = perCallRate;
  state.counters["ratio"] = batchedRate / perCallRate;
  state.SetItemsProcessed(static_cast<int64_t>(batched.updates + perCall.updates));
}
BENCHMARK(BM_StatusesAbsorbedBatchedAgainstPerCall)->Unit(benchmark::kMillisecond);

// 1,000 registered nodes; each iteration is one heartbeat of the next node in turn, answered.
// Time moves 5 ms per heartbeat, so that every node beats once per 5 s period (SwarmKit's
// default) and none goes DOWN.
void BM_HeartbeatsAbsorbed(benchmark::State& state) {
  Cluster cluster(1000);
  std::vector<std::pair<NodeId, SessionId>> sessions(cluster.sessions.begin(),
                                                     cluster.sessions.end());
  size_t next = 0;
  for (auto _ : state) {
    const auto& [node, session] = sessions[next++ % sessions.size()];
    cluster.now = cluster.now + Duration::milliseconds(5);
    cluster.manager.step(cluster.now, HeartbeatReceived{++cluster.request, node, session});
    benchmark::DoNotOptimize(cluster.manager.takeEffects());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_HeartbeatsAbsorbed);

// 1,000 nodes. Each iteration creates a global service (1,000 tasks created, placed and
// persisted) and lets the quiet period pass, so that every node's stream sends one INCREMENTAL.
// Items: assignment messages sent. The service is removed and its tasks confirmed stopped
// outside the timed part.
void BM_AssignmentFanOut(benchmark::State& state) {
  Cluster cluster(1000);
  int64_t messages = 0;
  for (auto _ : state) {
    cluster.manager.step(cluster.now,
                         Control{++cluster.request, CreateService{spec(ServiceMode::GLOBAL, 0)}});
    cluster.manager.takeEffects();
    cluster.now = cluster.now + limits::ASSIGNMENT_QUIET_PERIOD;
    cluster.manager.step(cluster.now, Tick{});
    for (const Effect& effect : cluster.manager.takeEffects()) {
      messages += std::holds_alternative<SendAssignments>(effect);
    }
    state.PauseTiming();
    ServiceId service = cluster.manager.state().cluster.services.begin()->first;
    cluster.manager.step(cluster.now, Control{++cluster.request, RemoveService{service}});
    for (const auto& [node, session] : cluster.sessions) {
      StatusesReceived statuses{++cluster.request, node, session, {}};
      for (const auto& [id, task] : cluster.manager.state().cluster.tasks) {
        if (task.nodeId == node) {
          statuses.updates.push_back(
              TaskStatusUpdate{id, TaskStatus{TaskState::SHUTDOWN, {}, "", "", {}}});
        }
      }
      cluster.manager.step(cluster.now, statuses);
    }
    cluster.advance(limits::UPDATE_BATCH_INTERVAL + limits::ASSIGNMENT_QUIET_PERIOD);
    cluster.heartbeatAll();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(messages);
}
BENCHMARK(BM_AssignmentFanOut)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace swarmlet::manager

BENCHMARK_MAIN();
