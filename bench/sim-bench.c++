// The simulator as a whole: one seeded run of the full cluster (agents, managers, network,
// faults, every checker after every event), at the sizes targets.md names. Reports events per
// second, simulated seconds per wall second (the "x real time" of the targets) and the peak
// resident set. Each size is one run (iteration), so the numbers are that run's.
//
//   sim-bench                                   every size; a run still going after its wall
//                                               budget (ten minutes; five for 100,000 agents)
//                                               stops there and reports its rate and peak memory
//                                               so far with finished=0
//   sim-bench --benchmark_filter='Sim/100/'     the smoke size the test suite runs
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdint>

#include "sim/world.h"

namespace swarmlet::sim {
namespace {

double peakRssMegabytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

// Args: agents, tasks per agent, simulated seconds with faults (a heal phase follows), the
// target in x real time from targets.md (0: none), and the wall budget in seconds.
void Sim(benchmark::State& state) {
  WorldConfig config;
  config.seed = 1;
  config.agents = static_cast<uint32_t>(state.range(0));
  uint32_t tasksPerAgent = static_cast<uint32_t>(state.range(1));
  // Services of one replica per agent each: tasksPerAgent * agents tasks, spread evenly.
  config.services = tasksPerAgent;
  config.replicas = config.agents;
  config.duration = Duration::seconds(state.range(2));
  std::string error;
  config.faults = *parseFaultSelection("light", error);
  // A size too big to finish in reasonable time is measured over its first minutes.
  config.wallBudgetSeconds = static_cast<double>(state.range(4));
  RunResult result;
  for (auto _ : state) {
    result = runWorld(config);
    if (!result.passed) state.SkipWithError(("the run failed: " + result.violation).c_str());
  }
  double wall = result.wallSeconds > 0 ? result.wallSeconds : 1e-9;
  state.counters["events"] = static_cast<double>(result.stats.events);
  state.counters["events_per_s"] = static_cast<double>(result.stats.events) / wall;
  state.counters["sim_s"] = result.simulated.toSeconds();
  state.counters["x_real_time"] = result.simulated.toSeconds() / wall;
  state.counters["target_x"] = static_cast<double>(state.range(3));
  state.counters["peak_rss_mb"] = peakRssMegabytes();
  state.counters["finished"] = result.truncated ? 0 : 1;
}

// targets.md: 1,000 agents x 10 tasks, light churn: floor 1,000x real time (target 10,000x);
// 10,000 agents x 30 tasks in one process: under 2 GB, floor 100x (target 300x); 100,000 agents
// x 10 tasks (planning beyond one cluster): runs, rate and memory reported (target under 16 GB,
// 10x), over at most five minutes.
BENCHMARK(Sim)
    ->Args({100, 10, 60, 0, 600})
    ->Args({1000, 10, 60, 1000, 600})
    ->Args({10000, 30, 30, 100, 600})
    ->Args({100000, 10, 30, 0, 300})
    ->ArgNames({"agents", "tasks_per_agent", "fault_s", "floor_x", "wall_s"})
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace
}  // namespace swarmlet::sim
BENCHMARK_MAIN();
