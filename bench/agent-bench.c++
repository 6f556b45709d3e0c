// The agent core's work half under load: applying a COMPLETE set of 1,000 tasks (new, and
// resent unchanged as after every reconnect), an INCREMENTAL of 200 changes, and a mixed event
// stream (executor results, assignment diffs, status acks, heartbeats). Reports items per
// second of core time alone; targets in ../shared/design/targets.md.
#include <benchmark/benchmark.h>

#include <deque>
#include <memory>
#include <string>

#include "core/agent/agent.h"

namespace swarmlet::agent {
namespace {

const Peer M1{NodeId{"m1"}, "10.0.0.1:4242"};

Task makeTask(int index, uint64_t version) {
  Task task;
  task.id = TaskId{"task-" + std::to_string(index)};
  task.serviceId = ServiceId{"svc-" + std::to_string(index % 10)};
  task.slot = static_cast<uint64_t>(index);
  task.desiredState = TaskState::RUNNING;
  task.status.state = TaskState::ASSIGNED;
  task.version = version;
  task.spec.command = "/bin/server";
  task.spec.args = {"--port", std::to_string(8000 + index % 1000)};
  task.spec.env = {{"VERSION", std::to_string(version)}};
  return task;
}

AssignmentsMessage completeOf(int count, uint64_t version, const std::string& resultsIn) {
  AssignmentsMessage message;
  message.type = AssignmentType::COMPLETE;
  message.resultsIn = resultsIn;
  for (int i = 0; i < count; ++i)
    message.changes.push_back({AssignmentAction::UPDATE, makeTask(i, version)});
  return message;
}

// A started agent with a registered session (generation 1).
std::unique_ptr<Agent> registeredAgent(Instant now) {
  auto agent = std::make_unique<Agent>(AgentConfig{1});
  agent->step(now, Start{NodeDescription{"n1", "", 0, 0, {}}, {M1}, NodeRole::WORKER, {}});
  agent->step(now, SessionOpened{1, SessionId{"s1"}, {}});
  agent->step(now, HeartbeatAcked{1, Duration::hours(1)});
  agent->takeEffects();
  return agent;
}

// A fresh agent per iteration receives 1,000 new tasks: stored, and a RESOLVE each.
void BM_CompleteOf1000NewTasks(benchmark::State& state) {
  // The message is decoded once; each iteration hands the core a fresh copy of it (made outside
  // the timed region) the way the shell hands over a decoded message it no longer needs.
  const AssignmentsMessage message = completeOf(1000, 1, "r1");
  Instant now;
  for (auto _ : state) {
    state.PauseTiming();
    auto agent = registeredAgent(now);
    Input input = AssignmentsReceived{1, message};
    state.ResumeTiming();
    agent->step(now, kj::mv(input));
    benchmark::DoNotOptimize(agent->takeEffects());
    state.PauseTiming();
    agent.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_CompleteOf1000NewTasks)->Unit(benchmark::kMicrosecond);

// The same 1,000 tasks resent as a COMPLETE (what every reconnect brings): nothing changes.
void BM_CompleteOf1000KnownTasks(benchmark::State& state) {
  Instant now;
  auto agent = registeredAgent(now);
  agent->step(now, AssignmentsReceived{1, completeOf(1000, 1, "r0")});
  agent->takeEffects();
  const Input input = AssignmentsReceived{1, completeOf(1000, 1, "r1")};
  for (auto _ : state) {
    agent->step(now, input);
    benchmark::DoNotOptimize(agent->takeEffects());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_CompleteOf1000KnownTasks)->Unit(benchmark::kMicrosecond);

// On top of 1,000 tasks: an INCREMENTAL of 100 spec updates and 100 new tasks, then (with
// `removal` set) one removing those 100 new tasks again, so that the task count stays bounded.
// Times and counts exactly one of the two messages; everything else happens outside the timed
// region. `removal` selects which: false times the 200 changes, true the 100 removals.
void runIncrementals(benchmark::State& state, bool removal) {
  Instant now;
  auto agent = registeredAgent(now);
  agent->step(now, AssignmentsReceived{1, completeOf(1000, 1, "r0")});
  agent->takeEffects();
  uint64_t round = 0;
  std::string previous = "r0";
  for (auto _ : state) {
    state.PauseTiming();
    AssignmentsMessage update;
    update.type = AssignmentType::INCREMENTAL;
    update.appliesTo = previous;
    update.resultsIn = "u" + std::to_string(round);
    for (int i = 0; i < 100; ++i)
      update.changes.push_back({AssignmentAction::UPDATE, makeTask(i, 2 + round)});
    for (int i = 0; i < 100; ++i)
      update.changes.push_back({AssignmentAction::UPDATE, makeTask(1000 + i, 1)});
    AssignmentsMessage gone;
    gone.type = AssignmentType::INCREMENTAL;
    gone.appliesTo = update.resultsIn;
    gone.resultsIn = "v" + std::to_string(round);
    for (int i = 0; i < 100; ++i) {
      Task task;
      task.id = TaskId{"task-" + std::to_string(1000 + i)};
      gone.changes.push_back({AssignmentAction::REMOVE, task});
    }
    previous = gone.resultsIn;
    Input updateInput = AssignmentsReceived{1, kj::mv(update)};
    Input removalInput = AssignmentsReceived{1, kj::mv(gone)};
    if (removal) {
      agent->step(now, kj::mv(updateInput));
      agent->takeEffects();
      state.ResumeTiming();
      agent->step(now, kj::mv(removalInput));
      benchmark::DoNotOptimize(agent->takeEffects());
      state.PauseTiming();
    } else {
      state.ResumeTiming();
      agent->step(now, kj::mv(updateInput));
      benchmark::DoNotOptimize(agent->takeEffects());
      state.PauseTiming();
      agent->step(now, kj::mv(removalInput));
    }
    // The removed tasks' operations complete so that their records go.
    for (int pass = 0; pass < 4; ++pass) {
      std::vector<ExecutorDone> done;
      for (const auto& [id, entry] : agent->state().worker.tasks) {
        if (!entry.assigned && entry.operation.has_value()) {
          done.push_back({id, *entry.operation, ExecutorResult{}});
        }
      }
      for (const auto& d : done)
        agent->step(now, d);
    }
    agent->takeEffects();
    round++;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * (removal ? 100 : 200));
}

void BM_IncrementalOf200Changes(benchmark::State& state) {
  runIncrementals(state, false);
}
BENCHMARK(BM_IncrementalOf200Changes)->Unit(benchmark::kMicrosecond);

// The second message of each round above: 100 tasks removed (each marked unassigned in the
// store and shut down through the executor).
void BM_IncrementalOf100Removals(benchmark::State& state) {
  runIncrementals(state, true);
}
BENCHMARK(BM_IncrementalOf100Removals)->Unit(benchmark::kMicrosecond);

// A running node with 100 tasks: every input is one event. Executor calls complete in order
// (tasks run to COMPLETE), status batches and heartbeats are answered, and each finished task
// is replaced through an INCREMENTAL (remove the old one, add a new one), whose removal again
// goes through the executor.
void BM_MixedEvents(benchmark::State& state) {
  Instant now;
  auto agent = registeredAgent(now);
  int nextTask = 0;
  AssignmentsMessage first;
  first.type = AssignmentType::COMPLETE;
  first.resultsIn = "r0";
  for (; nextTask < 100; ++nextTask)
    first.changes.push_back({AssignmentAction::UPDATE, makeTask(nextTask, 1)});
  std::string previous = "r0";
  std::deque<ExecutorOperation> operations;
  std::optional<BatchId> batch;
  bool heartbeat = false;
  std::vector<TaskId> finished;
  auto absorb = [&](const Input& input) {
    agent->step(now, input);
    for (Effect& effect : agent->takeEffects()) {
      if (auto* operation = std::get_if<ExecutorOperation>(&effect)) {
        operations.push_back(*operation);
      } else if (auto* send = std::get_if<SendStatuses>(&effect)) {
        batch = send->batch;
        for (const auto& update : send->updates) {
          if (update.status.state == TaskState::COMPLETE) finished.push_back(update.taskId);
        }
      } else if (std::holds_alternative<SendHeartbeat>(effect)) {
        heartbeat = true;
      }
    }
  };
  absorb(AssignmentsReceived{1, first});
  uint64_t round = 0;
  for (auto _ : state) {
    if (batch.has_value()) {
      BatchId b = *batch;
      batch.reset();
      absorb(StatusesAcked{1, b});
    } else if (heartbeat) {
      heartbeat = false;
      absorb(HeartbeatAcked{1, Duration::hours(1)});
    } else if (!finished.empty() && (operations.empty() || finished.size() >= 10)) {
      AssignmentsMessage diff;
      diff.type = AssignmentType::INCREMENTAL;
      diff.appliesTo = previous;
      diff.resultsIn = "r" + std::to_string(++round);
      previous = diff.resultsIn;
      for (const TaskId& id : finished) {
        Task gone;
        gone.id = id;
        diff.changes.push_back({AssignmentAction::REMOVE, gone});
        diff.changes.push_back({AssignmentAction::UPDATE, makeTask(nextTask++, 1)});
      }
      finished.clear();
      absorb(AssignmentsReceived{1, diff});
    } else if (!operations.empty()) {
      ExecutorOperation operation = operations.front();
      operations.pop_front();
      ExecutorResult result;
      if (operation.call == ExecutorCall::WAIT) result.exitCode = 0;
      absorb(ExecutorDone{operation.taskId, operation.operation, result});
    } else {
      now = now + Duration::seconds(1);
      absorb(Tick{});
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["tasks"] = static_cast<double>(agent->state().worker.tasks.size());
}
BENCHMARK(BM_MixedEvents);

}  // namespace
}  // namespace swarmlet::agent

BENCHMARK_MAIN();
