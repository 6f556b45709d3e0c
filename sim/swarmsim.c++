// swarmsim: the deterministic fault-injection simulator. One seed defines a whole run of real
// agent and manager cores over a simulated network, stores and executors; every invariant is
// checked after every event; a heal phase and liveness checks end every run.
//
// CLI parsing is CLI11 and JSON is nlohmann-json (both Debian packages): they give --help,
// error messages and escaping that hand-written code would only approximate.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "build-id.h"
#include "core/format.h"
#include "sim/hash-chain.h"
#include "sim/probes.h"
#include "sim/report.h"
#include "sim/rules.h"
#include "sim/schedule-text.h"
#include "sim/world.h"

namespace swarmlet::sim {
namespace {

using swarmlet::format;

struct Options {
  WorldConfig config;
  std::string faults = "default";
  std::string duration = "2m";
  std::string seeds;
  std::string schedule;
  std::string disable;
  uint32_t jobs = 0;
  bool checkDeterminism = false;
  bool log = false;
  bool shrink = false;
  bool json = false;
  std::string trace;
  std::string report;
  // Probes a sweep must reach ("all", or names separated by commas); empty: none required.
  std::string requireProbes;
  bool probes = false;
  double wallLimit = 0;
};

// The command's own name, as it was run (a test-only build has another), for replay lines. Set
// once in main, before any sweep thread starts.
std::string programName = "swarmsim";

std::string replayCommand(const WorldConfig& c, const std::string& faults) {
  std::string command = programName + " --seed " + std::to_string(c.seed) + " --agents " +
                        std::to_string(c.agents) + " --managers " + std::to_string(c.managers) +
                        " --services " + std::to_string(c.services) + " --replicas " +
                        std::to_string(c.replicas) + " --duration " + formatDuration(c.duration) +
                        " --faults " + faults;
  if (c.schedule.has_value()) command += " --schedule " + formatSchedule(*c.schedule);
  std::vector<std::string> disabled;
  for (FaultFamily family : c.disabledFamilies)
    disabled.push_back(format(family));
  disabled.insert(disabled.end(), c.disabledInputs.begin(), c.disabledInputs.end());
  for (size_t i = 0; i < disabled.size(); ++i)
    command += (i ? "," : " --disable ") + disabled[i];
  return command;
}

double speed(const RunResult& r) {
  return r.wallSeconds > 0 ? r.simulated.toSeconds() / r.wallSeconds : 0;
}

std::string verdictLine(const RunResult& r) {
  char text[256];
  std::snprintf(text, sizeof text, "%llu events, %s simulated in %.2fs wall (%.0fx real time)",
                static_cast<unsigned long long>(r.stats.events),
                formatDuration(r.simulated).c_str(), r.wallSeconds, speed(r));
  if (r.passed && r.truncated) {
    return std::string(
               "result: STOPPED at the wall limit, no violation so far (no heal phase, no "
               "liveness checks), ") +
           text;
  }
  if (r.passed) return std::string("result: PASS, ") + text;
  return "result: FAIL at " + formatInstant(r.violationAt) + ": " + r.violation + " (" + text +
         ")\nrule: " + r.rule;
}

// Runs the seed twice and compares the hash chains event by event.
bool checkDeterminism(const WorldConfig& config, std::string& report) {
  WorldConfig recorded = config;
  recorded.recordChain = true;
  RunResult first = runWorld(recorded);
  RunResult second = runWorld(recorded);
  size_t common = std::min(first.chain.size(), second.chain.size());
  for (size_t i = 0; i < common; ++i) {
    if (first.chain[i] != second.chain[i]) {
      report = "nondeterminism at event " + std::to_string(i + 1) +
               ":\n  first run:  " + first.chainEvents[i] +
               "\n  second run: " + second.chainEvents[i];
      return false;
    }
  }
  if (first.chain.size() != second.chain.size()) {
    report = "nondeterminism: the runs have " + std::to_string(first.chain.size()) + " and " +
             std::to_string(second.chain.size()) + " events";
    return false;
  }
  report = "determinism: " + std::to_string(common) + " events, identical hash chains (" +
           HashChain::hex(first.traceHash) + ")";
  return true;
}

// Reduces a failing run while it still fails the same rule: fewer scheduled faults, fewer
// agents, a shorter run, fewer per-message fault families, fewer services and replicas.
WorldConfig shrink(WorldConfig config, const RunResult& failure, int& runs) {
  config.schedule = failure.schedule;
  const std::string rule = failure.rule;
  auto fails = [&](const WorldConfig& candidate) {
    if (runs >= 300) return false;
    runs++;
    RunResult r = runWorld(candidate);
    return !r.passed && r.rule == rule;
  };
  for (size_t chunk = std::max<size_t>(config.schedule->size() / 2, 1); chunk >= 1; chunk /= 2) {
    for (size_t start = 0; start < config.schedule->size();) {
      WorldConfig candidate = config;
      auto& s = *candidate.schedule;
      s.erase(s.begin() + static_cast<long>(start),
              s.begin() + static_cast<long>(std::min(start + chunk, s.size())));
      if (fails(candidate))
        config = candidate;
      else
        start += chunk;
    }
    if (chunk == 1) break;
  }
  // A violation during the faults needs no more of the run than up to it: the events before it
  // do not depend on the duration. Whole seconds, so that the replay reads back exactly.
  Duration upToViolation =
      Duration::seconds((failure.violationAt - Instant::origin()).count() / 1'000'000'000 + 1);
  if (upToViolation < config.duration) {
    WorldConfig candidate = config;
    candidate.duration = upToViolation;
    std::erase_if(*candidate.schedule,
                  [&](const Fault& f) { return f.at >= Instant::origin() + candidate.duration; });
    if (fails(candidate)) config = candidate;
  }
  while (config.agents > 1) {
    WorldConfig candidate = config;
    candidate.agents = config.agents > 2 ? config.agents / 2 : 1;
    auto& s = *candidate.schedule;
    std::erase_if(s, [&](const Fault& f) {
      bool agentFault = f.kind != FaultKind::MANAGER_CRASH && f.kind != FaultKind::LEADER_CHANGE &&
                        f.kind != FaultKind::ISOLATE_LEADER &&
                        f.kind != FaultKind::SPLIT_MANAGERS &&
                        f.kind != FaultKind::LEADER_CRASH_AFTER_COMMIT;
      return agentFault && f.target >= candidate.agents;
    });
    if (!fails(candidate)) break;
    config = candidate;
  }
  while (config.duration > Duration::seconds(10)) {
    WorldConfig candidate = config;
    candidate.duration = config.duration / 2;
    std::erase_if(*candidate.schedule,
                  [&](const Fault& f) { return f.at >= Instant::origin() + candidate.duration; });
    if (!fails(candidate)) break;
    config = candidate;
  }
  for (FaultFamily family : {FaultFamily::DROP, FaultFamily::DUPLICATE, FaultFamily::DELAY,
                             FaultFamily::REORDER, FaultFamily::EXECUTOR, FaultFamily::CLOCK}) {
    WorldConfig candidate = config;
    candidate.disabledFamilies.push_back(family);
    if (fails(candidate)) config = candidate;
  }
  for (const std::string& input : inputFamiliesOn(inputsFor(config))) {
    WorldConfig candidate = config;
    candidate.disabledInputs.push_back(input);
    if (fails(candidate)) config = candidate;
  }
  for (uint32_t* field : {&config.services, &config.replicas}) {
    while (*field > 1) {
      WorldConfig candidate = config;
      (field == &config.services ? candidate.services : candidate.replicas) = *field - 1;
      if (!fails(candidate)) break;
      config = candidate;
    }
  }
  return config;
}

nlohmann::json resultJson(const WorldConfig& config, const RunResult& r,
                          const std::string& faults) {
  return {{"seed", config.seed},
          {"passed", r.passed},
          {"rule", r.rule},
          {"violation", r.violation},
          {"violation_at_ns", (r.violationAt - Instant::origin()).count()},
          {"events", r.stats.events},
          {"simulated_seconds", r.simulated.toSeconds()},
          {"wall_seconds", r.wallSeconds},
          {"trace_hash", HashChain::hex(r.traceHash)},
          {"profile", format(r.profile)},
          {"faults_scheduled", r.schedule.size()},
          {"registrations", r.stats.registrations},
          {"statuses_sent", r.stats.statusesSent},
          {"late_deliveries", r.lateDeliveries},
          {"workload", format(r.workload)},
          {"inputs", format(r.inputs)},
          {"probes", r.probes},
          {"replay", replayCommand(config, faults)}};
}

EventSink makeSink(const Options& options, std::ofstream* trace) {
  if (!options.log && trace == nullptr) return nullptr;
  return [&options, trace](const EventRecord& e) {
    if (options.log && (e.what != "tick" || !e.effects.empty())) {
      std::printf("%s %s %s\n", formatInstant(e.at).c_str(), e.host.c_str(), e.what.c_str());
      for (const auto& effect : e.effects)
        std::printf("    -> %s\n", effect.c_str());
    }
    if (trace != nullptr) {
      nlohmann::json line = {{"i", e.index},         {"t_ns", (e.at - Instant::origin()).count()},
                             {"host", e.host},       {"event", e.what},
                             {"effects", e.effects}, {"hash", HashChain::hex(e.hash)}};
      *trace << line.dump() << "\n";
    }
  };
}

// The probes `options` requires, checked against the names that exist; an unknown name is a
// usage error (returned in `error`).
std::optional<std::vector<std::string>> requiredProbes(const Options& options, std::string& error) {
  std::vector<std::string> names;
  ProbeTally known = emptyTally();
  if (options.requireProbes == "all") {
    for (const auto& [name, count] : known)
      names.push_back(name);
    return names;
  }
  std::string_view list = options.requireProbes;
  while (!list.empty()) {
    size_t comma = std::min(list.find(','), list.size());
    std::string name(list.substr(0, comma));
    list.remove_prefix(std::min(comma + 1, list.size()));
    if (name.empty()) continue;
    if (!known.count(name)) {
      error = "unknown probe '" + name + "' in --require-probes (see --list-probes)";
      return std::nullopt;
    }
    names.push_back(name);
  }
  return names;
}

// One line per probe: its count, and the probes never hit named at the end.
void printProbes(const ProbeTally& tally) {
  std::printf("probes:\n");
  for (const auto& [name, count] : tally)
    std::printf("  %-42s %llu\n", name.c_str(), static_cast<unsigned long long>(count));
  std::vector<std::string> missed = neverHit(tally);
  std::printf("probes never hit: %zu of %zu", missed.size(), tally.size());
  for (size_t i = 0; i < missed.size(); ++i)
    std::printf("%s%s", i == 0 ? " (" : ", ", missed[i].c_str());
  std::printf("%s\n", missed.empty() ? "" : ")");
}

// The required probes a sweep or run never reached, in the order required.
std::vector<std::string> requiredNeverHit(const ProbeTally& tally,
                                          const std::vector<std::string>& required) {
  std::vector<std::string> missed;
  for (const std::string& name : required) {
    if (tally.at(name) == 0) missed.push_back(name);
  }
  return missed;
}

void printRequiredNeverHit(const std::vector<std::string>& missed) {
  for (const std::string& name : missed)
    std::printf("REQUIRED PROBE NEVER HIT: %s\n", name.c_str());
}

int runOne(Options& options, const std::vector<std::string>& required) {
  WorldConfig& config = options.config;
  std::printf("swarmsim seed=%llu build=%s\n", static_cast<unsigned long long>(config.seed),
              SWARMLET_BUILD_ID);
  std::printf("profile: %s\n", format(profileFor(config)).c_str());
  std::printf("replay: %s\n", replayCommand(config, options.faults).c_str());
  std::printf("workload: %s\n", format(drawWorkloadMix(config.seed)).c_str());
  std::printf("inputs: %s\n", format(inputsFor(config)).c_str());
  std::fflush(stdout);
  std::unique_ptr<std::ofstream> trace;
  std::string traceFile = options.trace;
  if (!options.report.empty()) {
    std::filesystem::create_directories(options.report);
    if (traceFile.empty()) traceFile = options.report + "/trace.ndjson";
  }
  if (!traceFile.empty()) {
    trace = std::make_unique<std::ofstream>(traceFile);
    if (!*trace) {
      std::fprintf(stderr, "swarmsim: cannot write the trace to %s\n", traceFile.c_str());
      return 2;
    }
  }
  config.recordTaskStates = !options.report.empty();
  RunResult result = runWorld(config, makeSink(options, trace.get()));
  std::printf("faults scheduled: %zu, applied: %llu\n", result.schedule.size(),
              static_cast<unsigned long long>(result.stats.faultsApplied));
  std::printf("late completions delivered to the cores: %s\n",
              result.lateDeliveries ? "yes" : "no");
  std::printf("%s\n", verdictLine(result).c_str());
  bool ok = result.passed;
  if (options.checkDeterminism) {
    std::string report;
    ok = checkDeterminism(config, report) && ok;
    std::printf("%s\n", report.c_str());
  }
  if (!options.report.empty()) {
    std::ofstream(options.report + "/report.html")
        << renderReport(config, result, replayCommand(config, options.faults));
    std::ofstream(options.report + "/results.json")
        << resultJson(config, result, options.faults).dump(2) << "\n";
    std::printf("report: %s/report.html\n", options.report.c_str());
  }
  if (!result.passed && options.shrink) {
    int runs = 0;
    WorldConfig smaller = shrink(config, result, runs);
    std::printf(
        "shrunk in %d runs: %zu of %zu faults, %u of %u agents, %u of %u services, %u of %u "
        "replicas, %s of %s, %zu families off, rule \"%s\"\n",
        runs, smaller.schedule->size(), result.schedule.size(), smaller.agents, config.agents,
        smaller.services, config.services, smaller.replicas, config.replicas,
        formatDuration(smaller.duration).c_str(), formatDuration(config.duration).c_str(),
        smaller.disabledFamilies.size() + smaller.disabledInputs.size() -
            config.disabledFamilies.size() - config.disabledInputs.size(),
        result.rule.c_str());
    std::printf("shrunk replay: %s\n", replayCommand(smaller, options.faults).c_str());
  }
  if (options.probes) printProbes(result.probes);
  std::vector<std::string> missed = requiredNeverHit(result.probes, required);
  printRequiredNeverHit(missed);
  ok = missed.empty() && ok;
  std::printf("trace hash: %s\n", HashChain::hex(result.traceHash).c_str());
  return ok ? 0 : 1;
}

int runSweep(Options& options, uint64_t first, uint64_t last,
             const std::vector<std::string>& required) {
  uint64_t count = last - first + 1;
  std::vector<RunResult> results(count);
  std::vector<std::string> determinism(count);
  std::vector<bool> deterministic(count, true);
  std::atomic<uint64_t> next{0}, done{0}, failed{0};
  uint32_t jobs =
      options.jobs > 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  bool progress = isatty(STDERR_FILENO) != 0;
  std::mutex printing;
  auto worker = [&]() {
    for (uint64_t i = next++; i < count; i = next++) {
      WorldConfig config = options.config;
      config.seed = first + i;
      results[i] = runWorld(config);
      if (options.checkDeterminism) deterministic[i] = checkDeterminism(config, determinism[i]);
      if (!results[i].passed || !deterministic[i]) failed++;
      uint64_t finished = ++done;
      if (progress) {
        std::lock_guard<std::mutex> lock(printing);
        std::fprintf(stderr, "\r[%llu/%llu] %llu failed", static_cast<unsigned long long>(finished),
                     static_cast<unsigned long long>(count),
                     static_cast<unsigned long long>(failed.load()));
      }
    }
  };
  std::vector<std::thread> threads;
  for (uint32_t j = 0; j < jobs; ++j)
    threads.emplace_back(worker);
  for (auto& t : threads)
    t.join();
  if (progress) std::fprintf(stderr, "\n");
  nlohmann::json summary = {{"seeds", {first, last}},
                            {"build", SWARMLET_BUILD_ID},
                            {"passed", count - failed},
                            {"failed", failed.load()}};
  double simulated = 0, wall = 0;
  ProbeTally probes = emptyTally();
  for (uint64_t i = 0; i < count; ++i) {
    WorldConfig config = options.config;
    config.seed = first + i;
    addTo(probes, results[i].probes);
    simulated += results[i].simulated.toSeconds();
    wall += results[i].wallSeconds;
    summary["runs"].push_back({{"seed", config.seed},
                               {"passed", results[i].passed && deterministic[i]},
                               {"trace_hash", HashChain::hex(results[i].traceHash)}});
    if (results[i].passed && deterministic[i]) continue;
    nlohmann::json entry = resultJson(config, results[i], options.faults);
    if (!deterministic[i]) entry["determinism"] = determinism[i];
    summary["failures"].push_back(entry);
    if (!options.json) {
      std::printf("FAIL seed %llu: %s\n  replay: %s\n", static_cast<unsigned long long>(first + i),
                  results[i].passed ? determinism[i].c_str() : results[i].violation.c_str(),
                  replayCommand(config, options.faults).c_str());
    }
  }
  summary["simulated_seconds"] = simulated;
  summary["wall_seconds"] = wall;
  summary["probes"] = probes;
  summary["probes_never_hit"] = neverHit(probes);
  std::vector<std::string> missed = requiredNeverHit(probes, required);
  if (options.json) {
    summary["required_probes_never_hit"] = missed;
    std::printf("%s\n", summary.dump(2).c_str());
  } else {
    printProbes(probes);
    printRequiredNeverHit(missed);
    std::printf(
        "seeds %llu..%llu: %llu passed, %llu failed (%.0fs simulated in %.1fs of run time, "
        "%.0fx real time)\n",
        static_cast<unsigned long long>(first), static_cast<unsigned long long>(last),
        static_cast<unsigned long long>(count - failed),
        static_cast<unsigned long long>(failed.load()), simulated, wall,
        wall > 0 ? simulated / wall : 0);
  }
  return failed > 0 || !missed.empty() ? 1 : 0;
}

}  // namespace
}  // namespace swarmlet::sim

int main(int argc, char** argv) {
  using namespace swarmlet::sim;
  Options options;
  uint64_t seed = 1;
  CLI::App app{
      "swarmsim: runs agent and manager cores in a seeded simulated cluster with "
      "injected faults and checks every invariant after every event."};
  app.set_version_flag("--version", std::string("swarmsim ") + SWARMLET_BUILD_ID);
  app.add_option("--seed", seed, "The seed of one run")->check(CLI::NonNegativeNumber);
  app.add_option("--seeds", options.seeds, "A sweep over seeds A..B (e.g. 1..1000)");
  app.add_option("--jobs", options.jobs, "Parallel runs in a sweep (default: the cores)");
  app.add_option("--agents", options.config.agents, "Agents (nodes running tasks)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--managers", options.config.managers, "Managers (one leads)")
      ->check(CLI::Range(1, 9));
  app.add_option("--services", options.config.services, "Replicated services")
      ->check(CLI::Range(0, 10000));
  app.add_option("--replicas", options.config.replicas, "Replicas per service")
      ->check(CLI::Range(1, 100000));
  app.add_option("--duration", options.duration,
                 "Simulated time with faults, e.g. 90s, 10m (a heal phase follows)");
  app.add_option(
      "--faults", options.faults,
      "none, light, default, heavy, or a list of families, optionally after an intensity "
      "(heavy:duplicate,reorder): session, delay, drop, duplicate, reorder, partition, "
      "agent-crash, manager-crash, leader, role, leave, executor, clock");
  app.add_option("--schedule", options.schedule,
                 "Replay an exact fault schedule (as printed by --shrink)");
  app.add_option("--disable", options.disable,
                 "Fault families and input families (sim/input-mix.h) to switch off, "
                 "comma-separated");
  app.add_option("--wall-limit", options.wallLimit,
                 "Stop a run after this many seconds of wall time (a size too big to finish; "
                 "the run is then not checked to its end)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--check-determinism", options.checkDeterminism,
               "Run twice and compare the hash chains event by event");
  app.add_option("--trace", options.trace, "Write every event as NDJSON to this file");
  app.add_flag("--log", options.log, "Print one line per event (and its effects)");
  app.add_option("--report", options.report,
                 "Write results.json, trace.ndjson and report.html to this folder");
  app.add_flag("--shrink", options.shrink,
               "On a failure, find a smaller run that fails the same way");
  app.add_flag("--json", options.json, "Print the sweep summary as JSON");
  app.add_flag("--probes", options.probes,
               "Print how often each probe (a rare path of the cores) was hit in this run; a "
               "sweep always prints them");
  app.add_option("--require-probes", options.requireProbes,
                 "Fail unless every named probe (comma-separated, or 'all') was hit");
  bool listProbes = false;
  app.add_flag("--list-probes", listProbes, "Print the name of every probe and exit");
  bool listRules = false;
  app.add_flag("--list-rules", listRules,
               "Print every rule the checkers state, with the spec item it checks, and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  auto usage = [](const std::string& message) {
    std::fprintf(stderr, "swarmsim: %s (see swarmsim --help)\n", message.c_str());
    return 2;
  };
  if (listRules) {
    for (const RuleInfo& rule : allRules()) {
      std::printf("%s [%s] %s\n", std::string(rule.name).c_str(), std::string(rule.source).c_str(),
                  std::string(rule.statement).c_str());
    }
    return 0;
  }
  if (listProbes) {
    for (const auto& [name, count] : emptyTally())
      std::printf("%s\n", name.c_str());
    return 0;
  }
  options.config.seed = seed;
  programName = std::filesystem::path(argv[0]).filename().string();
  std::string error;
  auto selection = parseFaultSelection(options.faults, error);
  if (!selection) return usage(error);
  options.config.faults = *selection;
  auto duration = parseDurationText(options.duration);
  if (!duration || *duration <= swarmlet::Duration())
    return usage("bad --duration '" + options.duration + "': use e.g. 90s or 10m");
  options.config.duration = *duration;
  options.config.wallBudgetSeconds = options.wallLimit;
  if (!options.schedule.empty()) {
    auto schedule = parseSchedule(options.schedule, error);
    if (!schedule) return usage(error);
    options.config.schedule = *schedule;
  }
  if (!options.disable.empty()) {
    // Input families by name; the rest are fault families.
    std::string faultFamilies;
    for (size_t start = 0; start <= options.disable.size();) {
      size_t end = std::min(options.disable.find(',', start), options.disable.size());
      std::string name = options.disable.substr(start, end - start);
      InputMix probe;
      if (disableInput(probe, name)) {
        options.config.disabledInputs.push_back(name);
      } else {
        faultFamilies += (faultFamilies.empty() ? "" : ",") + name;
      }
      start = end + 1;
    }
    if (!faultFamilies.empty()) {
      auto families = parseFaultSelection(faultFamilies, error);
      if (!families || families->mode != FaultSelection::Mode::LIST)
        return usage("bad --disable: " + error);
      options.config.disabledFamilies = families->families;
    }
  }
  auto required = requiredProbes(options, error);
  if (!required) return usage(error);
  if (options.seeds.empty()) return runOne(options, *required);
  size_t dots = options.seeds.find("..");
  try {
    if (dots == std::string::npos) throw std::invalid_argument("no ..");
    uint64_t first = std::stoull(options.seeds.substr(0, dots));
    uint64_t last = std::stoull(options.seeds.substr(dots + 2));
    if (last < first) throw std::invalid_argument("empty");
    return runSweep(options, first, last, *required);
  } catch (const std::exception&) {
    return usage("bad --seeds '" + options.seeds + "': use A..B with A <= B");
  }
}
