// The LevelDB stores under load (targets in ../shared/design/targets.md):
//
// - durable status writes on the real file system: one synced batch per group of writes (group
//   commit, as the shell commits one loop turn) against one sync per write, measured
//   interleaved in one run with the ratio as a counter;
// - the CPU cost of a commit on the memory Env (no fsync), with the records found through the
//   agent store's cache or through LevelDB reads (AgentRecordSource);
// - an agent restart: open a store of 100,000 tasks and restore it (page cache warm).
//
// Items/s counters; the directories live under $TMPDIR (or /tmp) and are removed afterwards.
#include <benchmark/benchmark.h>
#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/samples.h"
#include "io/agent-store.h"

namespace swarmlet::io {
namespace {

// A fresh directory under $TMPDIR, removed at destruction.
class BenchDir {
 public:
  BenchDir() {
    const char* base = getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/store-bench-XXXXXX";
    KJ_REQUIRE(mkdtemp(pattern.data()) != nullptr, "mkdtemp failed", pattern);
    path_ = pattern;
  }
  ~BenchDir() noexcept {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  KJ_DISALLOW_COPY(BenchDir);

  std::string store() const { return path_ + "/state"; }

 private:
  std::string path_;
};

Task makeTask(size_t index) {
  Task task;
  task.id = TaskId{"task-" + std::to_string(index)};
  task.serviceId = ServiceId{"svc-" + std::to_string(index % 10)};
  task.slot = index;
  task.nodeId = NodeId{"node-1"};
  task.desiredState = TaskState::RUNNING;
  task.version = 1;
  task.spec.command = "/bin/server";
  task.spec.args = {"--port", std::to_string(8000 + index % 1000)};
  task.spec.env = {{"VERSION", "1"}};
  return task;
}

TaskStatus makeStatus(uint64_t sequence) {
  TaskStatus status;
  status.state = TaskState::RUNNING;
  status.timestamp = Instant() + Duration::milliseconds(static_cast<int64_t>(sequence));
  status.message = "started";
  return status;
}

kj::Own<LevelDbStore> openOrDie(const std::string& dir, leveldb::Env* env = nullptr) {
  StoreOptions options;
  options.env = env;
  auto opened = LevelDbStore::open(dir, StoreKind::AGENT, options);
  KJ_REQUIRE(opened.ok(), opened.error().message);
  return kj::mv(opened.value());
}

void commitOrDie(AgentStore& store, const std::vector<agent::StoreOp>& ops) {
  auto failed = store.commit(ops);
  KJ_REQUIRE(!failed.has_value(), failed->message);
}

// Fills `store` with `tasks` assigned tasks, each with a status, 1,000 per batch.
void fill(AgentStore& store, size_t tasks) {
  std::vector<agent::StoreOp> ops;
  for (size_t i = 0; i < tasks; ++i) {
    Task task = makeTask(i);
    ops.push_back(agent::SetAssigned{task.id, true});
    ops.push_back(agent::PutStatus{task.id, makeStatus(0)});
    ops.insert(ops.end() - 2, agent::PutTask{kj::mv(task)});
    if (ops.size() >= 3000 || i + 1 == tasks) {
      commitOrDie(store, ops);
      ops.clear();
    }
  }
}

// `count` status updates of the store's tasks, round robin from `*next`.
std::vector<agent::StoreOp> statusOps(size_t count, size_t tasks, uint64_t* next) {
  std::vector<agent::StoreOp> ops;
  ops.reserve(count);
  for (size_t i = 0; i < count; ++i, ++*next)
    ops.push_back(agent::PutStatus{makeTask(*next % tasks).id, makeStatus(*next)});
  return ops;
}

constexpr size_t STORE_TASKS = 1000;
// Commit latencies kept per benchmark run, for its percentiles.
constexpr size_t LATENCY_SAMPLES_MAX = 100'000;

using Clock = std::chrono::steady_clock;

// The `fraction` percentile of `samples` (0 when empty).
double percentile(std::vector<double> samples, double fraction) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  auto index = static_cast<size_t>(fraction * static_cast<double>(samples.size() - 1));
  return samples[index];
}

// Durable status writes, `range(0)` per synced batch, on the real file system.
void BM_DurableStatusWrites(benchmark::State& state) {
  const size_t group = static_cast<size_t>(state.range(0));
  BenchDir dir;
  auto db = openOrDie(dir.store());
  AgentStore store(*db);
  KJ_REQUIRE(store.restore().ok());
  fill(store, STORE_TASKS);
  uint64_t next = 0;
  std::vector<double> latencies;
  latencies.reserve(LATENCY_SAMPLES_MAX);
  for (auto _ : state) {
    state.PauseTiming();
    auto ops = statusOps(group, STORE_TASKS, &next);
    state.ResumeTiming();
    auto start = Clock::now();
    commitOrDie(store, ops);
    if (latencies.size() < LATENCY_SAMPLES_MAX)
      latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(group));
  bench::writeSamples("commit-ms-per-sync-" + std::to_string(group), latencies);
  state.counters["commit_p50_ms"] = percentile(latencies, 0.50);
  state.counters["commit_p99_ms"] = percentile(latencies, 0.99);
}
// fsync time is not CPU time: rates are per wall-clock second.
BENCHMARK(BM_DurableStatusWrites)
    ->ArgName("per_sync")
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime();

// Group commit against one sync per write in the same run, interleaved so that both see the
// same disk: each iteration makes 100 writes as one synced batch, then 100 writes with one
// synced batch each. Counters: writes/s of each and their ratio.
void BM_GroupCommitAgainstSyncPerWrite(benchmark::State& state) {
  constexpr size_t WRITES = 100;
  BenchDir dir;
  auto db = openOrDie(dir.store());
  AgentStore store(*db);
  KJ_REQUIRE(store.restore().ok());
  fill(store, STORE_TASKS);
  uint64_t next = 0;
  double groupSeconds = 0;
  double singleSeconds = 0;
  for (auto _ : state) {
    auto batch = statusOps(WRITES, STORE_TASKS, &next);
    std::vector<std::vector<agent::StoreOp>> singles;
    for (size_t i = 0; i < WRITES; ++i)
      singles.push_back(statusOps(1, STORE_TASKS, &next));
    auto start = Clock::now();
    commitOrDie(store, batch);
    auto middle = Clock::now();
    for (const auto& single : singles)
      commitOrDie(store, single);
    auto end = Clock::now();
    groupSeconds += std::chrono::duration<double>(middle - start).count();
    singleSeconds += std::chrono::duration<double>(end - middle).count();
  }
  const double writes = static_cast<double>(state.iterations() * WRITES);
  state.counters["group_writes_per_s"] = writes / groupSeconds;
  state.counters["sync_per_write_writes_per_s"] = writes / singleSeconds;
  state.counters["group_commit_speedup"] = singleSeconds / groupSeconds;
}
BENCHMARK(BM_GroupCommitAgainstSyncPerWrite)->Unit(benchmark::kMillisecond)->UseRealTime();

// The CPU cost of committing status writes, 100 per batch, on the memory Env (no fsync), with
// the modified records found in the cache (0) or read from LevelDB (1), in a store of 10,000
// tasks.
void BM_CommitCpu(benchmark::State& state) {
  constexpr size_t TASKS = 10'000;
  constexpr size_t GROUP = 100;
  const auto source = state.range(0) == 0 ? AgentRecordSource::CACHE : AgentRecordSource::READ;
  std::unique_ptr<leveldb::Env> env(leveldb::NewMemEnv(leveldb::Env::Default()));
  auto db = openOrDie("/mem/state", env.get());
  AgentStore store(*db, AgentStoreOptions{source});
  KJ_REQUIRE(store.restore().ok());
  fill(store, TASKS);
  uint64_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto ops = statusOps(GROUP, TASKS, &next);
    state.ResumeTiming();
    commitOrDie(store, ops);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(GROUP));
  state.SetLabel(source == AgentRecordSource::CACHE ? "cache" : "read");
}
BENCHMARK(BM_CommitCpu)->ArgName("read")->Arg(0)->Arg(1)->UseRealTime();

// An agent restart: open the directory and restore every task (the page cache is warm, as
// after a process restart; a machine's reboot reads the files from disk first).
void BM_Restore(benchmark::State& state) {
  const size_t tasks = static_cast<size_t>(state.range(0));
  const auto source = state.range(1) == 0 ? AgentRecordSource::CACHE : AgentRecordSource::READ;
  BenchDir dir;
  {
    auto db = openOrDie(dir.store());
    AgentStore store(*db);
    KJ_REQUIRE(store.restore().ok());
    fill(store, tasks);
  }
  for (auto _ : state) {
    auto db = openOrDie(dir.store());
    auto store = kj::heap<AgentStore>(*db, AgentStoreOptions{source});
    auto restored = store->restore();
    KJ_REQUIRE(restored.ok() && restored.value().tasks.size() == tasks);
    benchmark::DoNotOptimize(restored.value().tasks.size());
    // Closing the store and dropping the snapshot are not part of a start.
    state.PauseTiming();
    store = nullptr;
    db = nullptr;
    { auto dropped = kj::mv(restored); }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(tasks));
  state.SetLabel(source == AgentRecordSource::CACHE ? "cache" : "read");
}
BENCHMARK(BM_Restore)
    ->ArgNames({"tasks", "read"})
    ->Args({1000, 0})
    ->Args({100'000, 0})
    ->Args({100'000, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace swarmlet::io

BENCHMARK_MAIN();
