#include "tests/node/e2e/cluster.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <set>
#include <stdexcept>

namespace swarmlet::e2e {
namespace {

constexpr Milliseconds POLL_INTERVAL{200};
constexpr Milliseconds CLEANUP_LIMIT{10'000};
constexpr size_t LOG_LINES_SHOWN = 25;

std::string logLevel() {
  const char* level = ::getenv("E2E_LOG_LEVEL");
  return level != nullptr ? level : "info";
}

// The cluster's heartbeat period: a killed node is DOWN after about three (E2E_HEARTBEAT_PERIOD
// overrides it, e.g. 5s, swarmd's default).
std::string heartbeatPeriod() {
  const char* period = ::getenv("E2E_HEARTBEAT_PERIOD");
  return period != nullptr ? period : HEARTBEAT_PERIOD;
}

// A number no other cluster of this or another test process uses as its sleepers' argument.
std::string freshMarker() {
  static int counter = 0;
  return std::to_string(1'000'000'000LL + static_cast<long long>(::getpid()) * 100 + ++counter);
}

std::vector<std::string> concat(std::vector<std::string> head,
                                const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

}  // namespace

Cluster::Cluster() : marker_(freshMarker()) {
  char pattern[] = "/tmp/swarmlet-e2e-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  directory_ = pattern;
}

Cluster::~Cluster() {
  try {
    killEverything();
  } catch (const std::exception& error) {
    std::cerr << "e2e: cleaning up " << directory_ << " failed: " << error.what() << "\n";
  }
  bool keep = ::getenv("E2E_KEEP") != nullptr;
  if (keep || testing::Test::HasFailure()) {
    std::cerr << "e2e: kept " << directory_ << " (state directories and swarmd logs)\n";
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

// Every swarmd first (so nothing restarts a task), then whatever still runs that names the
// scratch directory (task shims, a stray swarmctl) or is one of this cluster's sleepers.
void Cluster::killEverything() {
  for (auto& daemon : daemons_) {
    if (daemon->pid == 0) continue;
    ::kill(daemon->pid, SIGKILL);
    daemon->exitCode = e2e::waitForExit(daemon->pid, EXIT_LIMIT);
    daemon->pid = 0;
  }
  Clock::time_point until = Clock::now() + CLEANUP_LIMIT;
  while (Clock::now() < until) {
    std::vector<pid_t> left = processesMentioning(directory_);
    std::vector<pid_t> sleepers = taskProcesses();
    left.insert(left.end(), sleepers.begin(), sleepers.end());
    if (left.empty()) return;
    for (pid_t pid : left)
      ::kill(pid, SIGKILL);
    pause(Milliseconds(50));
  }
  std::cerr << "e2e: processes of " << directory_ << " survived SIGKILL for 10 s\n";
}

Daemon& Cluster::add(const std::string& name) {
  for (auto& daemon : daemons_) {
    if (daemon->name == name) throw std::runtime_error("two nodes named " + name);
  }
  auto daemon = std::make_unique<Daemon>();
  daemon->name = name;
  daemon->directory = directory_ + "/" + name;
  daemon->address = "127.0.0.1:" + std::to_string(freePort());
  daemon->log = directory_ + "/" + name + ".log";
  daemons_.push_back(std::move(daemon));
  return *daemons_.back();
}

void Cluster::launch(Daemon& daemon, const std::vector<std::string>& args) {
  if (daemon.pid != 0) throw std::runtime_error(daemon.name + " is running already");
  daemon.exitCode.reset();
  daemon.pid = spawnProcess(concat({SWARMD_PATH}, args), daemon.log);
}

Daemon& Cluster::daemon(const std::string& name) {
  for (auto& daemon : daemons_) {
    if (daemon->name == name) return *daemon;
  }
  throw std::runtime_error("no node named " + name);
}

Daemon& Cluster::init(const std::string& name) {
  Daemon& daemon = startInit(name);
  testing::AssertionResult ready = eventually(
      "the first swarmd serves its control API and its own agent is READY",
      [&] { return nodesWithStatus("READY") == 1; }, STARTUP_LIMIT);
  if (!ready) throw std::runtime_error(ready.message());
  return daemon;
}

Daemon& Cluster::startInit(const std::string& name) {
  if (!daemons_.empty()) throw std::runtime_error("init: the cluster has a first node already");
  Daemon& daemon = add(name);
  launch(daemon, {"-d", daemon.directory, "--listen-remote-api", daemon.address, "--hostname", name,
                  "--heartbeat-period", heartbeatPeriod(), "--log-level", logLevel()});
  return daemon;
}

Daemon& Cluster::startJoining(const std::string& name, const std::string& token) {
  if (daemons_.empty()) throw std::runtime_error("join: no cluster to join");
  Daemon& daemon = add(name);
  launch(daemon,
         {"-d", daemon.directory, "--listen-remote-api", daemon.address, "--join-addr",
          manager().address, "--join-token", token, "--hostname", name, "--log-level", logLevel()});
  return daemon;
}

Daemon& Cluster::joinWorker(const std::string& name) {
  Daemon& daemon = startJoining(name, workerToken());
  testing::AssertionResult ready = eventually(
      name + " joins and is READY",
      [&] {
        for (const Json& node : nodes()) {
          if (node.at("hostname") == name && node.at("status") == "READY") return true;
        }
        return false;
      },
      STARTUP_LIMIT);
  if (!ready) throw std::runtime_error(ready.message());
  return daemon;
}

void Cluster::bringUpThreeNodes() {
  init("manager");
  joinWorker("worker-1");
  joinWorker("worker-2");
}

Daemon& Cluster::startRaw(const std::string& name, const std::vector<std::string>& args) {
  Daemon& daemon = add(name);
  launch(daemon, args);
  return daemon;
}

void Cluster::restart(Daemon& daemon) {
  launch(daemon, {"-d", daemon.directory, "--log-level", logLevel()});
}

std::optional<int> Cluster::waitForExit(Daemon& daemon, Milliseconds limit) {
  if (daemon.pid == 0) return daemon.exitCode;
  std::optional<int> status = e2e::waitForExit(daemon.pid, limit);
  if (status.has_value()) {
    daemon.exitCode = status;
    daemon.pid = 0;
  }
  return status;
}

int Cluster::stop(Daemon& daemon, int signal) {
  if (daemon.pid == 0) throw std::runtime_error(daemon.name + " is not running");
  ::kill(daemon.pid, signal);
  std::optional<int> status = waitForExit(daemon);
  if (!status.has_value()) {
    throw std::runtime_error(daemon.name + " still runs " + std::to_string(EXIT_LIMIT.count()) +
                             " ms after signal " + std::to_string(signal) + "\n" + diagnostics());
  }
  return *status;
}

Json Cluster::identity(const Daemon& daemon) const {
  std::string path = daemon.directory + "/identity.json";
  return Json::parse(readWholeFile(path));
}

CommandResult Cluster::runSwarmd(const std::vector<std::string>& args) {
  return runCommand(concat({SWARMD_PATH}, args), directory_, COMMAND_LIMIT);
}

CommandResult Cluster::runSwarmctl(const std::vector<std::string>& args) {
  return runCommand(concat({SWARMCTL_PATH}, args), directory_, COMMAND_LIMIT);
}

CommandResult Cluster::ctl(const std::vector<std::string>& args, const std::string& input) {
  std::string socket = daemons_.empty() ? directory_ + "/no-cluster.sock" : manager().socket();
  return runCommand(concat({SWARMCTL_PATH, "-s", socket}, args), directory_, COMMAND_LIMIT, input);
}

std::string Cluster::ctlOk(const std::vector<std::string>& args, const std::string& input) {
  CommandResult result = ctl(args, input);
  if (result.exitCode != 0) throw std::runtime_error("swarmctl failed:\n" + result.describe());
  return result.out;
}

Json Cluster::ctlJson(const std::vector<std::string>& args) {
  CommandResult result = ctl(concat({"-o", "json"}, args));
  if (result.exitCode != 0) throw std::runtime_error("swarmctl failed:\n" + result.describe());
  try {
    return Json::parse(result.out);
  } catch (const Json::exception& error) {
    throw std::runtime_error("swarmctl printed no JSON (" + std::string(error.what()) + "):\n" +
                             result.describe());
  }
}

std::string Cluster::workerToken() {
  return ctlJson({"cluster", "inspect"}).at("tokens").at("worker");
}

size_t Cluster::nodesWithStatus(const std::string& status) {
  size_t count = 0;
  for (const Json& node : nodes())
    count += node.at("status") == status;
  return count;
}

std::string Cluster::nodeStatus(const std::string& nodeId) {
  for (const Json& node : nodes()) {
    if (node.at("id") == nodeId) return node.at("status");
  }
  return "(not listed)";
}

std::vector<Json> Cluster::runningTasks(const std::string& service) {
  std::vector<Json> running;
  for (const Json& task : tasks(service)) {
    if (task.at("desiredState") == "RUNNING" && task.at("currentState") == "RUNNING")
      running.push_back(task);
  }
  return running;
}

std::string Cluster::createSleepers(const std::string& name, int replicas,
                                    const std::vector<std::string>& extra) {
  std::vector<std::string> args = {
      "service",         "create", "--name", name, "--replicas", std::to_string(replicas),
      "--restart-delay", "0s"};
  args = concat(args, extra);
  args = concat(args, concat({"--"}, sleeper()));
  Json created = ctlJson(args);
  return created.at("id");
}

testing::AssertionResult Cluster::converged(const std::string& service, size_t count,
                                            Milliseconds limit) {
  auto holds = [&] {
    size_t running = runningTasks(service).size();
    size_t processes = taskProcesses().size();
    note(std::to_string(running) + " tasks RUNNING, " + std::to_string(processes) +
         " task processes");
    return running == count && processes == count;
  };
  std::string what = service + " at " + std::to_string(count) + " RUNNING tasks and exactly " +
                     std::to_string(count) + " task processes";
  testing::AssertionResult reached = eventually(what, holds, limit);
  if (!reached) return reached;
  pause(STEADY_PERIOD);
  if (holds()) return testing::AssertionSuccess();
  return testing::AssertionFailure()
         << what << " did not last " << STEADY_PERIOD.count() << " ms: now " << seen_ << "\n"
         << diagnostics();
}

testing::AssertionResult Cluster::eventually(const std::string& what,
                                             const std::function<bool()>& condition,
                                             Milliseconds limit) {
  Clock::time_point start = Clock::now();
  std::string lastError;
  seen_.clear();
  while (true) {
    try {
      if (condition()) return testing::AssertionSuccess();
      lastError.clear();
    } catch (const std::exception& error) {
      lastError = error.what();
    }
    for (auto& daemon : daemons_) {
      if (daemon->pid == 0) continue;
      if (std::optional<int> status = exitedAlready(daemon->pid)) {
        daemon->exitCode = status;
        daemon->pid = 0;
        return testing::AssertionFailure() << "waiting for " << what << ": swarmd " << daemon->name
                                           << " exited with " << *status << "\n"
                                           << diagnostics();
      }
    }
    if (Clock::now() - start >= limit) break;
    pause(POLL_INTERVAL);
  }
  testing::AssertionResult failure = testing::AssertionFailure();
  failure << "waited " << limit.count() << " ms for " << what;
  if (!seen_.empty()) failure << "; last seen: " << seen_;
  if (!lastError.empty()) failure << "\nlast error: " << lastError;
  return failure << "\n" << diagnostics();
}

std::string Cluster::diagnostics() {
  std::string text;
  if (!daemons_.empty()) {
    for (const char* what : {"node", "task"}) {
      CommandResult result = ctl({what, "ls"});
      text += "--- swarmctl " + std::string(what) + " ls (exit " + std::to_string(result.exitCode) +
              ")\n" + result.out + result.err;
    }
  }
  text += "--- " + std::to_string(taskProcesses().size()) + " task processes (/bin/sleep " +
          marker_ + ")\n";
  for (auto& daemon : daemons_) {
    std::string state = daemon->pid != 0   ? "running, pid " + std::to_string(daemon->pid)
                        : daemon->exitCode ? "exited " + std::to_string(*daemon->exitCode)
                                           : "not started";
    text += "--- " + daemon->log + " (" + state + "), last lines:\n" +
            tailOfFile(daemon->log, LOG_LINES_SHOWN);
  }
  return text;
}

}  // namespace swarmlet::e2e
