// One simulated cluster: managers and agents driven by the real cores over a simulated network,
// stores and executors, with faults injected from the run's seed and every invariant checked
// after every event. A run is a pure function of its WorldConfig: the same config gives the same
// events, the same hash chain and the same verdict.
//
// The world owns everything it simulates; not thread-safe (a sweep runs one world per thread).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"
#include "sim/fault-schedule.h"
#include "sim/input-mix.h"
#include "sim/network.h"
#include "sim/probes.h"
#include "sim/profile.h"
#include "sim/workload.h"

namespace swarmlet::sim {

struct WorldConfig {
  uint64_t seed = 1;
  uint32_t agents = 5;
  uint32_t managers = 3;
  uint32_t services = 2;
  uint32_t replicas = 3;
  // Simulated time with faults; a heal phase follows.
  Duration duration = Duration::minutes(2);
  FaultSelection faults;
  // How long the heal phase may take before the liveness checks must hold.
  Duration healPeriod = Duration::seconds(90);
  // For shrinking and replays: a given fault schedule instead of the drawn one, and per-message
  // fault families switched off.
  std::optional<std::vector<Fault>> schedule;
  std::vector<FaultFamily> disabledFamilies;
  // And families of the input mix switched off, by name (sim/input-mix.h).
  std::vector<std::string> disabledInputs;
  // Keep the per-event hash chain (for the determinism self-check).
  bool recordChain = false;
  // Keep each agent's task states over time (for the report's timeline).
  bool recordTaskStates = false;
  // For benchmarks of runs too big to finish: stop after this much wall time (0: never), with
  // `truncated` set and no liveness checks. The run is then not deterministic in length.
  double wallBudgetSeconds = 0;
};

// One event of the run as the trace and the log see it.
struct EventRecord {
  uint64_t index = 0;
  Instant at;
  std::string host;
  std::string what;                  // the input (or world event), one line
  std::vector<std::string> effects;  // one line each
  uint64_t hash = 0;
};

struct RunStats {
  uint64_t events = 0;
  uint64_t steps = 0;
  uint64_t registrations = 0;
  uint64_t sessionFailures = 0;
  uint64_t statusesSent = 0;
  uint64_t assignmentsSent = 0;
  uint64_t faultsApplied = 0;
  uint64_t leaderChanges = 0;
  NetworkCounters network;
  std::vector<Duration> heartbeatRoundTrips;
  std::vector<Duration> statusLatencies;
};

// A span on a node's timeline, for the report.
struct Span {
  std::string host;
  std::string kind;  // "session", "down", "partition", "fault", "running-tasks"
  Instant begin;
  Instant end;
  std::string label;
};

// An agent's tasks by phase from `at` on, as its memory holds them, for the report.
struct TaskSample {
  std::string host;
  Instant at;
  uint32_t starting = 0;  // before RUNNING
  uint32_t running = 0;
  uint32_t finished = 0;  // terminal
};

struct RunResult {
  bool passed = true;
  bool truncated = false;  // stopped by wallBudgetSeconds before its end
  // The first violated invariant: its rule (stable across runs, compared by --shrink) and the
  // whole message.
  std::string rule;
  std::string violation;
  Instant violationAt;
  uint64_t traceHash = 0;
  Duration simulated;
  double wallSeconds = 0;
  Profile profile;
  std::vector<Fault> schedule;
  std::vector<uint64_t> chain;
  std::vector<std::string> chainEvents;
  RunStats stats;
  std::vector<Span> timeline;
  std::vector<TaskSample> taskSamples;  // when recordTaskStates
  // Half the seeds deliver to the agent cores what the production shell drops before them:
  // replies and pushes of superseded session generations, completions of canceled executor
  // operations (the core contract allows both; the cores must ignore them).
  bool lateDeliveries = false;
  // What the workload did besides the basic service operations (sim/workload.h).
  WorkloadMix workload;
  // What reached the cores besides the workload and the faults (sim/input-mix.h).
  InputMix inputs;
  // Every probe of the cores and the world, summed over the run (sim/probes.h).
  ProbeTally probes;
};

// Receives every event as it happens (trace file, log, report). Optional; slows the run.
using EventSink = std::function<void(const EventRecord&)>;

RunResult runWorld(const WorldConfig& config, const EventSink& sink = nullptr);

// The fault profile a config runs with: drawn from its seed, minus its disabled families.
Profile profileFor(const WorldConfig& config);

// The input mix a config runs with: drawn from its seed, minus its disabled inputs.
InputMix inputsFor(const WorldConfig& config);

}  // namespace swarmlet::sim
