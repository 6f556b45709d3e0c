// e2e-measure: the two timings of swarmd and swarmctl the project tracks, on the real binaries
// over loopback (not a test; run by hand, best on a release build):
//   - from `swarmctl service create --replicas 100` to 100 tasks RUNNING on a one-node cluster
//     (and to 100 task processes), each run on a fresh cluster;
//   - from a task process killed with SIGKILL (restart delay 0) to its replacement RUNNING;
//   - and, once, swarmd's resident memory and CPU while idle with the 100 tasks.
// Each three times (E2E_MEASURE_RUNS=N for more); prints the median and the maximum.
// E2E_MEASURE_REPLICAS=N creates N replicas instead of 100 and E2E_MEASURE_IDLE_S=S measures the
// idle cost over S seconds instead of 10 (scripts/bench.sh --smoke uses both to stay short).
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/node/e2e/cluster.h"

namespace swarmlet::e2e {
namespace {

constexpr size_t REPLICAS_DEFAULT = 100;
constexpr Milliseconds FAST_POLL{20};
constexpr Milliseconds MEASURE_LIMIT{120'000};
constexpr Milliseconds IDLE_SETTLE{3'000};
constexpr Milliseconds IDLE_PERIOD_DEFAULT{10'000};

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Polls `done` every FAST_POLL; the seconds it took, or throws at MEASURE_LIMIT.
template <typename Done>
double timeUntil(Clock::time_point start, const std::string& what, Done done) {
  while (!done()) {
    if (Clock::now() - start > MEASURE_LIMIT)
      throw std::runtime_error("gave up waiting for " + what);
    pause(FAST_POLL);
  }
  return secondsSince(start);
}

struct Summary {
  std::vector<double> runs;
  std::string line(const std::string& what) const {
    std::vector<double> sorted = runs;
    std::sort(sorted.begin(), sorted.end());
    char text[256];
    std::snprintf(text, sizeof(text), "%s: median %.3f s, max %.3f s (runs:", what.c_str(),
                  sorted[sorted.size() / 2], sorted.back());
    std::string out = text;
    for (double run : runs) {
      std::snprintf(text, sizeof(text), " %.3f", run);
      out += text;
    }
    return out + ")";
  }
};

// The resident memory of `pid` in MiB and the CPU it used over `period`, in % of one core.
std::pair<double, double> idleCost(pid_t pid, Milliseconds period) {
  auto cpuTicks = [pid] {
    std::string stat = readWholeFile("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    long long ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14 || i == 15) ticks += std::stoll(field);  // utime, stime
    }
    return ticks;
  };
  long long before = cpuTicks();
  pause(period);
  long long used = cpuTicks() - before;
  double cpu = 100.0 * static_cast<double>(used) / static_cast<double>(::sysconf(_SC_CLK_TCK)) /
               std::chrono::duration<double>(period).count();
  std::istringstream status(readWholeFile("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  double rss = 0;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::stod(line.substr(6)) / 1024.0;
  }
  return {rss, cpu};
}

// The positive integer in environment variable `name`, or `fallback`.
long envNumber(const char* name, long fallback) {
  const char* text = ::getenv(name);
  return text != nullptr && std::atol(text) > 0 ? std::atol(text) : fallback;
}

void measureCreate(int runs) {
  const auto replicas = static_cast<size_t>(envNumber("E2E_MEASURE_REPLICAS", REPLICAS_DEFAULT));
  const Milliseconds idlePeriod{envNumber("E2E_MEASURE_IDLE_S", 0) * 1000};
  const Milliseconds idleWindow = idlePeriod.count() > 0 ? idlePeriod : IDLE_PERIOD_DEFAULT;
  const Milliseconds settle =
      idlePeriod.count() > 0 ? std::min(idleWindow, IDLE_SETTLE) : IDLE_SETTLE;
  const std::string count = std::to_string(replicas);
  Summary toRunning, toProcesses;
  std::string idle;
  for (int run = 0; run < runs; ++run) {
    Cluster cluster;
    cluster.init("solo");
    Clock::time_point start = Clock::now();
    cluster.createSleepers("hundred", replicas);
    bool processesSeen = false;
    double processes = 0;
    double running = timeUntil(start, count + " RUNNING", [&] {
      if (!processesSeen && cluster.taskProcesses().size() == replicas) {
        processesSeen = true;
        processes = secondsSince(start);
      }
      return cluster.runningTasks("hundred").size() == replicas;
    });
    if (!processesSeen) {
      processes = timeUntil(start, count + " processes",
                            [&] { return cluster.taskProcesses().size() == replicas; });
    }
    toRunning.runs.push_back(running);
    toProcesses.runs.push_back(processes);
    std::cerr << "run " << run + 1 << ": " << running << " s to " << count << " RUNNING\n";
    if (run == runs - 1) {
      pause(settle);
      auto [rss, cpu] = idleCost(cluster.manager().pid, idleWindow);
      double seconds = std::chrono::duration<double>(idleWindow).count();
      char text[200];
      std::snprintf(text, sizeof(text),
                    "swarmd (manager and agent) idle with %zu tasks: %.1f MiB resident, %.2f%% "
                    "of a core over %.0f s (resolution %.2f%%)",
                    replicas, rss, cpu, seconds,
                    100.0 / static_cast<double>(::sysconf(_SC_CLK_TCK)) / seconds);
      idle = text;
    }
  }
  std::cout << toRunning.line("service create --replicas " + count + " -> " + count +
                              " RUNNING (one node)")
            << "\n";
  std::cout << toProcesses.line("service create --replicas " + count + " -> " + count +
                                " task processes")
            << "\n";
  std::cout << idle << "\n";
}

void measureRestart(int runs) {
  Cluster cluster;
  cluster.init("solo");
  cluster.createSleepers("one", 1);
  if (!cluster.converged("one", 1)) throw std::runtime_error("the service never ran");
  Summary replaced;
  for (int run = 0; run < runs; ++run) {
    std::string old = cluster.runningTasks("one").at(0).at("id");
    std::vector<pid_t> pids = cluster.taskProcesses();
    if (pids.size() != 1) throw std::runtime_error("expected one task process");
    Clock::time_point start = Clock::now();
    ::kill(pids[0], SIGKILL);
    double seconds = timeUntil(start, "the replacement RUNNING", [&] {
      std::vector<Json> running = cluster.runningTasks("one");
      return running.size() == 1 && running[0].at("id") != old;
    });
    replaced.runs.push_back(seconds);
    std::cerr << "run " << run + 1 << ": " << seconds << " s to the replacement RUNNING\n";
    if (!cluster.converged("one", 1)) throw std::runtime_error("the replacement did not settle");
  }
  std::cout << replaced.line("task process killed -> replacement RUNNING (restart delay 0)")
            << "\n";
}

int run() {
  const char* runsText = ::getenv("E2E_MEASURE_RUNS");
  int runs = runsText != nullptr ? std::max(1, std::atoi(runsText)) : 3;
  try {
    measureCreate(runs);
    measureRestart(runs);
  } catch (const std::exception& error) {
    std::cerr << "e2e-measure: " << error.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace swarmlet::e2e

int main() {
  return swarmlet::e2e::run();
}
