// A cluster of real `swarmd` processes on loopback for one test, driven through real `swarmctl`
// runs: a scratch directory, one state directory and log file per node, free ports, waits with
// limits whose failure message shows the cluster (the last `node ls` and `task ls` and the tail
// of every swarmd log), and a destructor that kills every swarmd, task shim and task process the
// test started, whatever state the test failed in.
//
// Tasks are `/bin/sleep MARKER`, MARKER a number unique to this cluster: counting them in /proc
// counts the test's task processes and nothing else. Task shims name their task's directory,
// under the scratch directory, on their command line.
//
// A Cluster owns its processes and directory; it is not copyable. Single-threaded.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/node/e2e/process.h"

namespace swarmlet::e2e {

using Json = nlohmann::json;

// The heartbeat period every test cluster is created with: short, so that a killed node is DOWN
// after about 6 s, yet long enough that a stall of a few seconds on a loaded machine is no
// missed heartbeat.
inline constexpr const char* HEARTBEAT_PERIOD = "2s";

// Limits, generous for a noisy 2-core machine: a wait ends as soon as its condition holds.
inline constexpr Milliseconds COMMAND_LIMIT{30'000};   // one swarmctl run
inline constexpr Milliseconds STARTUP_LIMIT{30'000};   // a swarmd serving or READY
inline constexpr Milliseconds CONVERGE_LIMIT{60'000};  // tasks RUNNING, processes counted
// A killed node goes DOWN after 3 heartbeat periods, then its tasks move.
inline constexpr Milliseconds DOWN_LIMIT{60'000};
inline constexpr Milliseconds EXIT_LIMIT{15'000};  // a signalled or refused swarmd exiting
// How long "exactly N processes" must keep holding once reached.
inline constexpr Milliseconds STEADY_PERIOD{2'000};

// One swarmd: its state directory, addresses and current process (pid 0 when not running).
struct Daemon {
  std::string name;  // the hostname it is started with
  std::string directory;
  std::string address;  // its --listen-remote-api
  std::string log;
  pid_t pid = 0;
  std::optional<int> exitCode;  // of its last process, once reaped

  std::string socket() const { return directory + "/swarmd.sock"; }
};

class Cluster {
 public:
  Cluster();
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // --- swarmd ---
  // Starts a node that creates the cluster, and waits until its control API answers and its
  // own agent is READY.
  Daemon& init(const std::string& name = "manager");
  // Starts a node that creates the cluster; does not wait.
  Daemon& startInit(const std::string& name = "manager");
  // Starts a node joining the first one with `token`; does not wait.
  Daemon& startJoining(const std::string& name, const std::string& token);
  // Joins `name` with the worker token and waits until `node ls` shows it READY.
  Daemon& joinWorker(const std::string& name);
  // init and two workers, all three READY.
  void bringUpThreeNodes();
  // Starts a swarmd with these arguments (no -d added); it is killed at the end of the test.
  Daemon& startRaw(const std::string& name, const std::vector<std::string>& args);
  // Starts `daemon` again with only `-d DIR`.
  void restart(Daemon& daemon);
  // Sends `signal` and waits for the exit; returns the exit status (128 + signal if killed).
  int stop(Daemon& daemon, int signal);
  // Waits for `daemon` to exit by itself; nullopt if it still runs at the limit.
  std::optional<int> waitForExit(Daemon& daemon, Milliseconds limit = EXIT_LIMIT);
  Daemon& daemon(const std::string& name);
  Daemon& manager() { return *daemons_.front(); }

  // The node id in the daemon's identity.json, and the file parsed.
  Json identity(const Daemon& daemon) const;
  std::string nodeId(const Daemon& daemon) const { return identity(daemon).at("nodeId"); }

  // --- swarmctl, against the first node's control socket ---
  CommandResult ctl(const std::vector<std::string>& args, const std::string& input = "");
  // Runs `swarmctl ... -o json`; throws with the command's output unless it exits 0 with JSON.
  Json ctlJson(const std::vector<std::string>& args);
  // Runs `swarmctl`; throws with the command's output unless it exits 0. Returns stdout.
  std::string ctlOk(const std::vector<std::string>& args, const std::string& input = "");
  // Runs swarmd (not as a daemon: --help, --version) or swarmctl with exactly these arguments.
  CommandResult runSwarmd(const std::vector<std::string>& args);
  CommandResult runSwarmctl(const std::vector<std::string>& args);

  // --- the cluster as swarmctl shows it ---
  Json nodes() { return ctlJson({"node", "ls"}); }
  Json tasks(const std::string& service) { return ctlJson({"task", "ls", "--service", service}); }
  std::string workerToken();
  // Nodes whose status is `status` (e.g. "READY").
  size_t nodesWithStatus(const std::string& status);
  std::string nodeStatus(const std::string& nodeId);
  // Tasks of `service` desired and reported RUNNING.
  std::vector<Json> runningTasks(const std::string& service);

  // --- services of sleepers ---
  // The command of every task: `/bin/sleep MARKER`.
  std::vector<std::string> sleeper() const { return {"/bin/sleep", marker_}; }
  // `service create --name NAME --replicas N --restart-delay 0s [extra...] -- /bin/sleep MARKER`;
  // returns the id it prints.
  std::string createSleepers(const std::string& name, int replicas,
                             const std::vector<std::string>& extra = {});
  // The live task processes of this cluster.
  std::vector<pid_t> taskProcesses() const { return processesRunning(sleeper()); }
  // Waits until `service` has exactly `count` tasks RUNNING (desired and current) and there are
  // exactly `count` task processes, and both still hold STEADY_PERIOD later.
  testing::AssertionResult converged(const std::string& service, size_t count,
                                     Milliseconds limit = CONVERGE_LIMIT);

  // --- waiting ---
  // Polls `condition` (a swarmctl failure inside it counts as "not yet") every 200 ms until it
  // holds or `limit` passes; the failure names `what`, the last error and shows the cluster.
  testing::AssertionResult eventually(const std::string& what,
                                      const std::function<bool()>& condition,
                                      Milliseconds limit = CONVERGE_LIMIT);
  // What a condition last saw ("4 of 6 RUNNING"), shown if its wait fails.
  void note(const std::string& seen) { seen_ = seen; }
  // `node ls`, `task ls` (tables) and the tail of every swarmd log.
  std::string diagnostics();

  const std::string& directory() const { return directory_; }
  const std::string& marker() const { return marker_; }

 private:
  Daemon& add(const std::string& name);
  void launch(Daemon& daemon, const std::vector<std::string>& args);
  void killEverything();

  std::string directory_;
  std::string marker_;
  std::vector<std::unique_ptr<Daemon>> daemons_;
  std::string seen_;
};

}  // namespace swarmlet::e2e
