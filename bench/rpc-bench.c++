// The manager server over loopback TCP (targets in ../shared/design/targets.md):
//
// - task statuses per second from agents to the manager, 100 updates per updateTaskStatus call
//   against 1 per call, measured interleaved in one run (same server, same agents, same calls in
//   flight) with the ratio as a counter;
// - the heartbeat round trip of one agent, p50 and p99.
//
// Server and agents share one thread and one event loop (the numbers include both sides' CPU).
// The manager's store is LevelDB on its memory Env (a commit costs its CPU but no fsync), or, for
// the `disk` variant of the first benchmark, a LevelDB directory under $TMPDIR (or /tmp).
// The manager core writes a status batch when UPDATE_BATCH_ITEMS_MAX statuses are queued or
// UPDATE_BATCH_INTERVAL after the first, so a call's latency includes that wait.
#include <benchmark/benchmark.h>
#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/samples.h"
#include "io/codec.h"
#include "io/manager-server.h"

namespace swarmlet::io {
namespace {

class NullSink final : public schema::SessionSink::Server {
 public:
  kj::Promise<void> message(MessageContext) override { return kj::READY_NOW; }
  kj::Promise<void> assignments(AssignmentsContext) override { return kj::READY_NOW; }
  kj::Promise<void> end(EndContext) override { return kj::READY_NOW; }
};

struct Agent {
  explicit Agent(kj::Own<kj::AsyncIoStream> s)
      : stream(kj::mv(s)),
        client(*stream),
        dispatcher(client.bootstrap().castAs<schema::Dispatcher>()) {}

  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyClient client;
  schema::Dispatcher::Client dispatcher;
  schema::Session::Client session = nullptr;
  NodeId node;
  std::vector<TaskId> tasks;
  uint64_t batch = 0;
};

// A manager server on loopback with `agents` registered agents and `tasksPerAgent` tasks each.
class World {
 public:
  World(size_t agents, size_t tasksPerAgent, bool disk = false) {
    if (disk) {
      const char* base = getenv("TMPDIR");
      std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/rpc-bench-XXXXXX";
      KJ_REQUIRE(mkdtemp(pattern.data()) != nullptr, "mkdtemp failed", pattern);
      directory_ = pattern;
    }
    auto opened =
        disk ? LevelDbStore::open(directory_ + "/store", StoreKind::MANAGER)
             : LevelDbStore::open("/bench", StoreKind::MANAGER, StoreOptions{memory_.get()});
    KJ_REQUIRE(opened.ok(), opened.error().message);
    db_ = kj::mv(opened.value());
    ManagerServerOptions options;
    options.listenAddress = "127.0.0.1:0";
    options.store = db_.get();
    options.seed = 1;
    // Long enough that no node goes DOWN while the benchmark sends no heartbeats.
    options.heartbeatPeriod = Duration::minutes(10);
    options.managers = {Peer{NodeId{"manager-1"}, "127.0.0.1:4242"}};
    for (size_t i = 0; i < agents; ++i)
      options.credentials[NodeId{"node-" + std::to_string(i)}] = "secret";
    auto server = ManagerServer::open(io_.provider->getTimer(), kj::mv(options));
    KJ_REQUIRE(server.ok(), server.error().message);
    server_ = kj::mv(server.value());
    server_->listen(io_.provider->getNetwork()).wait(waitScope());
    connect(agents);
    if (tasksPerAgent > 0) createService(agents * tasksPerAgent);
  }

  ~World() noexcept(false) {
    agents_.clear();
    server_ = nullptr;
    db_ = nullptr;
    if (!directory_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(directory_, ignored);
    }
  }

  kj::WaitScope& waitScope() { return io_.waitScope; }
  std::vector<kj::Own<Agent>>& agents() { return agents_; }

 private:
  // Connects and registers every agent, all registrations in flight at once.
  void connect(size_t agents) {
    kj::Vector<kj::Promise<void>> opened;
    for (size_t i = 0; i < agents; ++i) {
      std::string node = "node-" + std::to_string(i);
      auto stream = io_.provider->getNetwork()
                        .parseAddress("127.0.0.1", server_->agentPort())
                        .wait(waitScope())
                        ->connect()
                        .wait(waitScope());
      auto agent = kj::heap<Agent>(kj::mv(stream));
      agent->node = NodeId{node};
      auto request = agent->dispatcher.sessionRequest();
      NodeDescription description;
      description.hostname = node;
      encode(request, shell::OpenSessionCall{{}, description});
      request.setSink(kj::heap<NullSink>());
      request.initCredential().setNodeId(node);
      request.getCredential().setSecret(
          capnp::Data::Reader(reinterpret_cast<const kj::byte*>("secret"), 6));
      Agent* registering = agent.get();
      opened.add(request.send().then(
          [registering](capnp::Response<schema::Dispatcher::SessionResults>&& response) {
            KJ_REQUIRE(response.getResult().isOpened(), "registration refused");
            registering->session = response.getResult().getOpened().getSession();
          }));
      agents_.push_back(kj::mv(agent));
    }
    kj::joinPromises(opened.releaseAsArray()).wait(waitScope());
  }

  void createService(size_t replicas) {
    auto pipe = kj::newTwoWayPipe();
    server_->acceptControl(kj::mv(pipe.ends[0]));
    capnp::TwoPartyClient client(*pipe.ends[1]);
    auto control = client.bootstrap().castAs<schema::Control>();
    manager::ServiceSpec spec;
    spec.name = "bench";
    spec.replicas = static_cast<int64_t>(replicas);
    spec.task.command = "/bin/true";
    auto request = control.applyRequest();
    encode(request.initOperation(), manager::ControlOperation{manager::CreateService{spec}});
    auto answer = request.send().wait(waitScope());
    KJ_REQUIRE(answer.isDone(), "service refused");
    // The scheduler may place the tasks over several steps: wait until every agent has some.
    for (int attempt = 0; attempt < 500 && !everyAgentHasTasks(); ++attempt)
      io_.provider->getTimer().afterDelay(10 * kj::MILLISECONDS).wait(waitScope());
    KJ_REQUIRE(everyAgentHasTasks(), "an agent got no task");
  }

  bool everyAgentHasTasks() {
    for (kj::Own<Agent>& agent : agents_) {
      agent->tasks.clear();
      for (const auto& [id, task] : server_->state().cluster.tasks) {
        if (task.nodeId == agent->node) agent->tasks.push_back(id);
      }
      if (agent->tasks.empty()) return false;
    }
    return true;
  }

  std::string directory_;
  std::unique_ptr<leveldb::Env> memory_{leveldb::NewMemEnv(leveldb::Env::Default())};
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  kj::Own<LevelDbStore> db_;
  kj::Own<ManagerServer> server_;
  std::vector<kj::Own<Agent>> agents_;
};

kj::Promise<void> sendStatuses(Agent& agent, size_t perCall) {
  auto request = agent.session.updateTaskStatusRequest();
  request.setBatch(++agent.batch);
  auto updates = request.initUpdates(static_cast<unsigned int>(perCall));
  for (size_t i = 0; i < perCall; ++i) {
    updates[static_cast<unsigned int>(i)].setTaskId(agent.tasks[i % agent.tasks.size()].value);
    auto status = updates[static_cast<unsigned int>(i)].initStatus();
    status.setState(static_cast<uint16_t>(TaskState::RUNNING));
    status.setTimestamp(static_cast<int64_t>(agent.batch));
    status.setMessage("running");
  }
  return request.send().then([](capnp::Response<schema::StatusesResult>&& result) {
    KJ_REQUIRE(result.isAccepted(), "statuses refused");
  });
}

// One round: every agent has `callsPerAgent` calls of `perCall` updates in flight. Returns its
// duration in seconds.
double round(World& world, size_t perCall, size_t callsPerAgent) {
  auto start = std::chrono::steady_clock::now();
  kj::Vector<kj::Promise<void>> calls;
  for (kj::Own<Agent>& agent : world.agents()) {
    for (size_t i = 0; i < callsPerAgent; ++i)
      calls.add(sendStatuses(*agent, perCall));
  }
  kj::joinPromises(calls.releaseAsArray()).wait(world.waitScope());
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// 10 agents with 10 calls in flight each: 100 calls of 100 updates fill one status batch (and
// write it at once), 100 calls of 1 update wait for the batch interval.
void BM_StatusesPerCall100Against1(benchmark::State& state) {
  constexpr size_t AGENTS = 10;
  constexpr size_t CALLS_PER_AGENT = 10;
  World world(AGENTS, 100, state.range(0) == 1);
  double batchedSeconds = 0;
  double singleSeconds = 0;
  size_t rounds = 0;
  for (auto _ : state) {
    batchedSeconds += round(world, 100, CALLS_PER_AGENT);
    singleSeconds += round(world, 1, CALLS_PER_AGENT);
    rounds++;
  }
  double calls = static_cast<double>(rounds * AGENTS * CALLS_PER_AGENT);
  double batched = calls * 100 / batchedSeconds;
  double single = calls / singleSeconds;
  state.counters["statuses/s@100"] = batched;
  state.counters["statuses/s@1"] = single;
  state.counters["ratio"] = batched / single;
}
BENCHMARK(BM_StatusesPerCall100Against1)
    ->ArgName("disk")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Many agents with 1 update per call and enough calls in flight to fill a batch.
void BM_StatusesOnePerCallManyAgents(benchmark::State& state) {
  const auto agents = static_cast<size_t>(state.range(0));
  const auto callsPerAgent = static_cast<size_t>(state.range(1));
  World world(agents, 1);
  double seconds = 0;
  size_t rounds = 0;
  for (auto _ : state) {
    seconds += round(world, 1, callsPerAgent);
    rounds++;
  }
  state.counters["statuses/s"] = static_cast<double>(rounds * agents * callsPerAgent) / seconds;
}
BENCHMARK(BM_StatusesOnePerCallManyAgents)
    ->Args({200, 50})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_HeartbeatRoundTrip(benchmark::State& state) {
  World world(1, 0);
  Agent& agent = *world.agents()[0];
  std::vector<double> micros;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    auto response = agent.session.heartbeatRequest().send().wait(world.waitScope());
    benchmark::DoNotOptimize(response.getPeriod());
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
  }
  bench::writeSamples("heartbeat-round-trip-us", micros);
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros[static_cast<size_t>(q * (micros.size() - 1))]; };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
}
BENCHMARK(BM_HeartbeatRoundTrip)->UseRealTime();

}  // namespace
}  // namespace swarmlet::io

BENCHMARK_MAIN();
