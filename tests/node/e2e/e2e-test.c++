// swarmd and swarmctl end to end: the real binaries as separate processes on loopback TCP, each
// node on its own state directory, tasks as real processes under the task shim. Every scenario
// brings up its own cluster (tests/node/e2e/cluster.h) and leaves no process behind. Every
// `-o json` output is parsed with nlohmann::json.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/node/e2e/cluster.h"

namespace swarmlet::e2e {
namespace {

constexpr size_t REPLICAS = 6;
const std::string SERVICE = "sleepers";

// How `swarmd` reports the exits the contract names.
constexpr int EXIT_USAGE = 2;
constexpr int EXIT_STATE_DIRECTORY_IN_USE = 3;
constexpr int EXIT_JOIN_REFUSED = 4;
constexpr int EXIT_KILLED = 128 + SIGKILL;
// swarmctl's.
constexpr int CTL_REFUSED = 1;
constexpr int CTL_USAGE = 2;
constexpr int CTL_UNREACHABLE = 3;

const std::regex NODE_ID("[0-9a-z]{25}");
const std::regex JOIN_TOKEN("SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}");

std::set<std::string> idsOf(const std::vector<Json>& tasks) {
  std::set<std::string> ids;
  for (const Json& task : tasks)
    ids.insert(task.at("id").get<std::string>());
  return ids;
}

std::vector<Json> onNode(const std::vector<Json>& tasks, const std::string& nodeId) {
  std::vector<Json> found;
  for (const Json& task : tasks) {
    if (task.at("nodeId") == nodeId) found.push_back(task);
  }
  return found;
}

// The non-empty lines of a text.
std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// A table row split at runs of two or more spaces.
std::vector<std::string> columnsOf(const std::string& row) {
  std::vector<std::string> columns;
  std::regex separator(" {2,}");
  std::sregex_token_iterator it(row.begin(), row.end(), separator, -1), end;
  for (; it != end; ++it) {
    if (!it->str().empty()) columns.push_back(*it);
  }
  return columns;
}

std::string lowered(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Lines of a swarmd log at level error (text or JSON format).
std::vector<std::string> errorLines(const std::string& log) {
  std::vector<std::string> found;
  for (const std::string& line : linesOf(tailOfFile(log, 1000))) {
    if (line.find("level=error") != std::string::npos ||
        line.find("\"level\":\"error\"") != std::string::npos)
      found.push_back(line);
  }
  return found;
}

class EndToEnd : public testing::Test {
 protected:
  // The 6 sleepers on the three nodes, all RUNNING.
  void runSixSleepers() {
    cluster.bringUpThreeNodes();
    cluster.createSleepers(SERVICE, REPLICAS);
    ASSERT_TRUE(cluster.converged(SERVICE, REPLICAS));
  }

  // The task processes of the cluster, sorted.
  std::vector<pid_t> sortedTaskProcesses() {
    std::vector<pid_t> pids = cluster.taskProcesses();
    std::sort(pids.begin(), pids.end());
    return pids;
  }

  Cluster cluster;
};

TEST_F(EndToEnd, InitAndTwoWorkersJoinAndAllThreeAreReady) {
  cluster.bringUpThreeNodes();
  std::map<std::string, std::string> ids;  // hostname -> node id from identity.json
  for (const char* name : {"manager", "worker-1", "worker-2"}) {
    const Daemon& daemon = cluster.daemon(name);
    Json identity = cluster.identity(daemon);
    EXPECT_TRUE(std::regex_match(identity.at("nodeId").get<std::string>(), NODE_ID)) << identity;
    EXPECT_EQ(identity.at("hostname"), name);
    ids[name] = identity.at("nodeId");
    struct stat info {};
    ASSERT_EQ(::stat((daemon.directory + "/identity.json").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u) << name << "'s identity.json";
    // Only the leader serves the control API.
    EXPECT_EQ(std::filesystem::exists(daemon.socket()), std::string(name) == "manager") << name;
  }
  EXPECT_EQ(cluster.identity(cluster.manager()).at("role"), "manager");
  EXPECT_EQ(cluster.identity(cluster.manager()).at("leader"), true);
  EXPECT_EQ(cluster.identity(cluster.daemon("worker-1")).at("role"), "worker");

  Json nodes = cluster.nodes();
  ASSERT_TRUE(nodes.is_array()) << nodes;
  ASSERT_EQ(nodes.size(), 3u) << nodes;
  for (const Json& node : nodes) {
    std::string hostname = node.at("hostname");
    ASSERT_EQ(ids.count(hostname), 1u) << node;
    EXPECT_EQ(node.at("id"), ids[hostname]);
    EXPECT_EQ(node.at("status"), "READY") << node;
    EXPECT_EQ(node.at("availability"), "ACTIVE") << node;
    bool isManager = hostname == "manager";
    EXPECT_EQ(node.at("role"), isManager ? "manager" : "worker") << node;
    if (isManager) {
      EXPECT_EQ(node.at("managerStatus"), "Leader") << node;
    } else {  // the table's empty column: "" or null
      EXPECT_TRUE(node.at("managerStatus") == "" || node.at("managerStatus").is_null()) << node;
    }
  }

  Json inspected = cluster.ctlJson({"cluster", "inspect"});
  EXPECT_EQ(inspected.at("leader"), ids["manager"]);
  ASSERT_EQ(inspected.at("managers").size(), 1u) << inspected;
  EXPECT_EQ(inspected.at("managers")[0].at("nodeId"), ids["manager"]);
  EXPECT_EQ(inspected.at("managers")[0].at("address"), cluster.manager().address);
  for (const char* role : {"worker", "manager"}) {
    std::string token = inspected.at("tokens").at(role);
    EXPECT_TRUE(std::regex_match(token, JOIN_TOKEN)) << role << " token " << token;
  }
  EXPECT_NE(inspected.at("tokens").at("worker"), inspected.at("tokens").at("manager"));
}

TEST_F(EndToEnd, ReplicatedServiceRunsSixTasksAsSixProcesses) {
  cluster.bringUpThreeNodes();
  std::string id = cluster.createSleepers(SERVICE, REPLICAS);
  ASSERT_TRUE(cluster.converged(SERVICE, REPLICAS));

  std::vector<Json> running = cluster.runningTasks(SERVICE);
  std::set<uint64_t> slots;
  std::set<std::string> nodes;
  for (const Json& task : running) {
    EXPECT_EQ(task.at("serviceId"), id);
    EXPECT_EQ(task.at("serviceName"), SERVICE);
    slots.insert(task.at("slot").get<uint64_t>());
    nodes.insert(task.at("nodeId").get<std::string>());
    EXPECT_EQ(task.at("name"), SERVICE + "." + std::to_string(task.at("slot").get<uint64_t>()));
  }
  EXPECT_EQ(slots, (std::set<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(nodes.size(), 3u) << "the scheduler should spread six tasks over three nodes";

  ASSERT_TRUE(cluster.eventually("service inspect counts 6 running", [&] {
    Json service = cluster.ctlJson({"service", "inspect", SERVICE});
    cluster.note(service.dump());
    return service.at("runningTasks") == REPLICAS;
  }));
  Json service = cluster.ctlJson({"service", "inspect", SERVICE});
  EXPECT_EQ(service.at("id"), id);
  EXPECT_EQ(service.at("name"), SERVICE);
  EXPECT_EQ(service.at("mode"), "replicated");
  EXPECT_EQ(service.at("replicas"), REPLICAS);
  EXPECT_EQ(service.at("command"), "/bin/sleep");
  EXPECT_EQ(service.at("args"), Json::array({cluster.marker()}));
  EXPECT_EQ(service.at("restart").at("delay"), "0s");

  Json services = cluster.ctlJson({"service", "ls"});
  ASSERT_EQ(services.size(), 1u) << services;
  EXPECT_EQ(services[0].at("id"), id);
  // A unique id prefix names the service too.
  EXPECT_EQ(cluster.ctlJson({"service", "inspect", id.substr(0, 6)}).at("id"), id);
}

TEST_F(EndToEnd, ScaleUpToEightAndDownToFour) {
  ASSERT_NO_FATAL_FAILURE(runSixSleepers());
  cluster.ctlOk({"service", "scale", SERVICE + "=8"});
  ASSERT_TRUE(cluster.converged(SERVICE, 8));
  EXPECT_EQ(cluster.ctlJson({"service", "inspect", SERVICE}).at("replicas"), 8);

  cluster.ctlOk({"service", "scale", SERVICE, "4"});
  ASSERT_TRUE(cluster.converged(SERVICE, 4));
  std::set<uint64_t> slots;
  for (const Json& task : cluster.runningTasks(SERVICE))
    slots.insert(task.at("slot").get<uint64_t>());
  EXPECT_EQ(slots, (std::set<uint64_t>{1, 2, 3, 4})) << "scaling down stops the highest slots";
}

TEST_F(EndToEnd, RollingUpdateWithParallelismTwoReplacesEveryTask) {
  cluster.bringUpThreeNodes();
  cluster.createSleepers(SERVICE, REPLICAS, {"--env", "VERSION=1"});
  ASSERT_TRUE(cluster.converged(SERVICE, REPLICAS));
  std::set<std::string> before = idsOf(cluster.runningTasks(SERVICE));

  cluster.ctlOk({"service", "update", SERVICE, "--env", "VERSION=2", "--update-parallelism", "2"});
  // Stop-first, two at a time: never more than two slots without a RUNNING task.
  size_t fewestRunning = REPLICAS;
  ASSERT_TRUE(cluster.eventually("every task replaced by one with VERSION=2", [&] {
    std::vector<Json> running = cluster.runningTasks(SERVICE);
    fewestRunning = std::min(fewestRunning, running.size());
    size_t updated = 0;
    std::vector<pid_t> pids = cluster.taskProcesses();
    for (pid_t pid : pids) {
      std::vector<std::string> env = environmentOf(pid);
      updated += std::find(env.begin(), env.end(), "VERSION=2") != env.end();
    }
    std::set<std::string> now = idsOf(running);
    size_t kept = 0;
    for (const std::string& id : now)
      kept += before.count(id);
    cluster.note(std::to_string(running.size()) + " RUNNING, " + std::to_string(kept) +
                 " of them old; " + std::to_string(updated) + " of " + std::to_string(pids.size()) +
                 " processes with VERSION=2");
    return running.size() == REPLICAS && kept == 0 && updated == REPLICAS &&
           pids.size() == REPLICAS;
  }));
  EXPECT_GE(fewestRunning, REPLICAS - 2) << "more than `parallelism` tasks were down at once";
  ASSERT_TRUE(cluster.converged(SERVICE, REPLICAS));

  Json service = cluster.ctlJson({"service", "inspect", SERVICE});
  EXPECT_EQ(service.at("env"), Json({{"VERSION", "2"}})) << service;
  EXPECT_EQ(service.at("update").at("parallelism"), 2) << service;
}

TEST_F(EndToEnd, RemovedServiceLeavesNoTaskProcess) {
  ASSERT_NO_FATAL_FAILURE(runSixSleepers());
  cluster.ctlOk({"service", "rm", SERVICE});
  ASSERT_TRUE(cluster.eventually("no task process left", [&] {
    size_t left = cluster.taskProcesses().size();
    cluster.note(std::to_string(left) + " task processes");
    return left == 0;
  }));
  EXPECT_EQ(cluster.ctlJson({"service", "ls"}), Json::array());
  ASSERT_TRUE(cluster.eventually("the service's tasks deleted", [&] {
    Json tasks = cluster.ctlJson({"task", "ls"});
    cluster.note(tasks.dump());
    return tasks.empty();
  }));
  // Nothing comes back.
  pause(STEADY_PERIOD);
  EXPECT_TRUE(cluster.taskProcesses().empty());
  CommandResult gone = cluster.ctl({"service", "inspect", SERVICE});
  EXPECT_EQ(gone.exitCode, CTL_REFUSED) << gone.describe();
}

TEST_F(EndToEnd, KilledWorkerGoesDownAndItsTasksRunElsewhere) {
  ASSERT_NO_FATAL_FAILURE(runSixSleepers());
  Daemon& worker = cluster.daemon("worker-1");
  std::string workerId = cluster.nodeId(worker);
  size_t stranded = onNode(cluster.runningTasks(SERVICE), workerId).size();
  ASSERT_GT(stranded, 0u);

  EXPECT_EQ(cluster.stop(worker, SIGKILL), EXIT_KILLED);
  ASSERT_TRUE(cluster.eventually(
      "worker-1 DOWN",
      [&] {
        cluster.note(cluster.nodeStatus(workerId));
        return cluster.nodeStatus(workerId) == "DOWN";
      },
      DOWN_LIMIT));
  ASSERT_TRUE(cluster.eventually("6 RUNNING again, none on worker-1", [&] {
    std::vector<Json> running = cluster.runningTasks(SERVICE);
    cluster.note(std::to_string(running.size()) + " RUNNING, " +
                 std::to_string(onNode(running, workerId).size()) + " on worker-1");
    return running.size() == REPLICAS && onNode(running, workerId).empty();
  }));
  // The dead worker's task processes run on under their shims until it comes back to stop them.
  ASSERT_TRUE(cluster.eventually("6 replacements and the stranded processes", [&] {
    cluster.note(std::to_string(cluster.taskProcesses().size()) + " task processes");
    return cluster.taskProcesses().size() == REPLICAS + stranded;
  }));
  EXPECT_EQ(cluster.nodesWithStatus("READY"), 2u);
}

TEST_F(EndToEnd, RestartedWorkerIsReadyAgainWithoutDuplicateProcesses) {
  ASSERT_NO_FATAL_FAILURE(runSixSleepers());
  Daemon& worker = cluster.daemon("worker-1");
  std::string workerId = cluster.nodeId(worker);
  cluster.stop(worker, SIGKILL);
  ASSERT_TRUE(cluster.eventually(
      "worker-1 DOWN and 6 RUNNING elsewhere",
      [&] {
        std::vector<Json> running = cluster.runningTasks(SERVICE);
        cluster.note(cluster.nodeStatus(workerId) + ", " + std::to_string(running.size()) +
                     " RUNNING");
        return cluster.nodeStatus(workerId) == "DOWN" && running.size() == REPLICAS &&
               onNode(running, workerId).empty();
      },
      DOWN_LIMIT));

  cluster.restart(worker);
  ASSERT_TRUE(cluster.eventually(
      "worker-1 READY again",
      [&] {
        cluster.note(cluster.nodeStatus(workerId));
        return cluster.nodeStatus(workerId) == "READY";
      },
      STARTUP_LIMIT));
  // The returning worker stops the tasks that were replaced while it was away: exactly 6.
  ASSERT_TRUE(cluster.converged(SERVICE, REPLICAS));
  EXPECT_EQ(cluster.nodeId(worker), workerId) << "the restarted worker took a new identity";
  EXPECT_EQ(cluster.nodes().size(), 3u);
  EXPECT_EQ(cluster.nodesWithStatus("READY"), 3u);
}

TEST_F(EndToEnd, KilledManagerRestartsOnItsStateWithNothingLost) {
  ASSERT_NO_FATAL_FAILURE(runSixSleepers());
  Json clusterBefore = cluster.ctlJson({"cluster", "inspect"});
  Json serviceBefore = cluster.ctlJson({"service", "inspect", SERVICE});
  std::set<std::string> tasksBefore = idsOf(cluster.runningTasks(SERVICE));
  std::vector<pid_t> processesBefore = sortedTaskProcesses();

  Daemon& manager = cluster.manager();
  EXPECT_EQ(cluster.stop(manager, SIGKILL), EXIT_KILLED);
  cluster.restart(manager);
  ASSERT_TRUE(cluster.eventually(
      "the restarted manager serves and all three nodes are READY",
      [&] {
        size_t ready = cluster.nodesWithStatus("READY");
        cluster.note(std::to_string(ready) + " READY");
        return ready == 3;
      },
      DOWN_LIMIT));
  ASSERT_TRUE(cluster.converged(SERVICE, REPLICAS));

  Json clusterAfter = cluster.ctlJson({"cluster", "inspect"});
  EXPECT_EQ(clusterAfter.at("id"), clusterBefore.at("id"));
  EXPECT_EQ(clusterAfter.at("leader"), clusterBefore.at("leader"));
  EXPECT_EQ(clusterAfter.at("tokens"), clusterBefore.at("tokens"));
  Json serviceAfter = cluster.ctlJson({"service", "inspect", SERVICE});
  EXPECT_EQ(serviceAfter.at("id"), serviceBefore.at("id"));
  EXPECT_EQ(serviceAfter.at("replicas"), REPLICAS);
  // The tasks were re-adopted, not started again.
  EXPECT_EQ(idsOf(cluster.runningTasks(SERVICE)), tasksBefore);
  EXPECT_EQ(sortedTaskProcesses(), processesBefore);
}

// SIGTERM is a graceful stop (exit 0) that leaves the tasks running; the restarted swarmd
// re-adopts them.
TEST_F(EndToEnd, TerminatedSwarmdExitsZeroAndReadoptsItsTasks) {
  Daemon& solo = cluster.init("solo");
  cluster.createSleepers(SERVICE, 2);
  ASSERT_TRUE(cluster.converged(SERVICE, 2));
  std::vector<pid_t> before = sortedTaskProcesses();
  std::set<std::string> tasksBefore = idsOf(cluster.runningTasks(SERVICE));

  EXPECT_EQ(cluster.stop(solo, SIGTERM), 0) << tailOfFile(solo.log, 30);
  EXPECT_EQ(sortedTaskProcesses(), before) << "a stopped swarmd took its tasks with it";

  cluster.restart(solo);
  ASSERT_TRUE(cluster.eventually(
      "the restarted node READY", [&] { return cluster.nodesWithStatus("READY") == 1; },
      STARTUP_LIMIT));
  ASSERT_TRUE(cluster.converged(SERVICE, 2));
  EXPECT_EQ(sortedTaskProcesses(), before);
  EXPECT_EQ(idsOf(cluster.runningTasks(SERVICE)), tasksBefore);
}

// Tasks placed on a node in the step that opens its session (here: a service created before the
// first node's own agent has registered) travel in the session's first COMPLETE assignment set.
// That set must reach the agent after the session's answer, or the agent drops it and the tasks
// stay ASSIGNED for ever.
TEST_F(EndToEnd, TasksPlacedAsTheFirstNodeRegistersReachIt) {
  cluster.startInit("solo");
  std::vector<std::string> create = {"-o",    "json",       "service", "create",          "--name",
                                     SERVICE, "--replicas", "2",       "--restart-delay", "0s",
                                     "--"};
  create.insert(create.end(), {"/bin/sleep", cluster.marker()});
  Clock::time_point until = Clock::now() + STARTUP_LIMIT;
  CommandResult created = cluster.ctl(create);
  while (created.exitCode == CTL_UNREACHABLE && Clock::now() < until) {
    pause(Milliseconds(10));
    created = cluster.ctl(create);
  }
  ASSERT_EQ(created.exitCode, 0) << created.describe();
  ASSERT_TRUE(cluster.converged(SERVICE, 2));
}

TEST_F(EndToEnd, WrongJoinTokenIsRefusedWithExitCode4) {
  cluster.init();
  std::string token = cluster.workerToken();
  ASSERT_TRUE(std::regex_match(token, JOIN_TOKEN)) << token;
  // The cluster's digest with a secret that is not the cluster's.
  std::string wrong = token.substr(0, token.size() - 25) + std::string(25, 'a');
  ASSERT_NE(wrong, token);
  Daemon& joiner = cluster.startJoining("intruder", wrong);
  std::optional<int> exit = cluster.waitForExit(joiner);
  ASSERT_TRUE(exit.has_value()) << "swarmd with a wrong token still runs\n"
                                << cluster.diagnostics();
  EXPECT_EQ(*exit, EXIT_JOIN_REFUSED) << cluster.diagnostics();
  std::vector<std::string> errors = errorLines(joiner.log);
  ASSERT_EQ(errors.size(), 1u) << "one clear error line:\n" << tailOfFile(joiner.log, 30);
  EXPECT_NE(lowered(errors[0]).find("token"), std::string::npos) << errors[0];
  EXPECT_FALSE(std::filesystem::exists(joiner.directory + "/identity.json"));
  EXPECT_EQ(cluster.nodes().size(), 1u);
}

TEST_F(EndToEnd, TokenOfAnotherClusterIsRefusedWithExitCode4) {
  cluster.init();
  // A second, unrelated cluster on its own state directory.
  Daemon& other =
      cluster.startRaw("other", {"-d", cluster.directory() + "/other", "--listen-remote-api",
                                 "127.0.0.1:" + std::to_string(freePort()), "--hostname", "other"});
  ASSERT_TRUE(cluster.eventually(
      "the other cluster serves",
      [&] {
        return cluster.runSwarmctl({"-s", other.directory + "/swarmd.sock", "cluster", "inspect"})
                   .exitCode == 0;
      },
      STARTUP_LIMIT));
  CommandResult inspected = cluster.runSwarmctl(
      {"-s", other.directory + "/swarmd.sock", "-o", "json", "cluster", "inspect"});
  std::string foreign = Json::parse(inspected.out).at("tokens").at("worker");
  ASSERT_NE(foreign, cluster.workerToken());
  Daemon& joiner = cluster.startJoining("stranger", foreign);
  std::optional<int> exit = cluster.waitForExit(joiner);
  ASSERT_TRUE(exit.has_value()) << cluster.diagnostics();
  EXPECT_EQ(*exit, EXIT_JOIN_REFUSED) << cluster.diagnostics();
  EXPECT_EQ(errorLines(joiner.log).size(), 1u) << tailOfFile(joiner.log, 30);
}

TEST_F(EndToEnd, RotatedOutWorkerTokenIsRefusedAndTheNewOneJoins) {
  cluster.init();
  Json before = cluster.ctlJson({"cluster", "inspect"});
  cluster.ctlOk({"cluster", "rotate-token", "worker"});
  Json after = cluster.ctlJson({"cluster", "inspect"});
  std::string old = before.at("tokens").at("worker");
  ASSERT_NE(after.at("tokens").at("worker"), old);
  EXPECT_EQ(after.at("tokens").at("manager"), before.at("tokens").at("manager"))
      << "rotating the worker token changed the manager token";

  Daemon& late = cluster.startJoining("late", old);
  std::optional<int> exit = cluster.waitForExit(late);
  ASSERT_TRUE(exit.has_value()) << cluster.diagnostics();
  EXPECT_EQ(*exit, EXIT_JOIN_REFUSED) << cluster.diagnostics();
  EXPECT_EQ(errorLines(late.log).size(), 1u) << tailOfFile(late.log, 30);

  cluster.joinWorker("on-time");
  EXPECT_EQ(cluster.nodes().size(), 2u);
}

TEST_F(EndToEnd, SecondSwarmdOnAUsedStateDirectoryExitsWithCode3) {
  Daemon& first = cluster.init();
  Daemon& second = cluster.startRaw("second", {"-d", first.directory, "--listen-remote-api",
                                               "127.0.0.1:" + std::to_string(freePort())});
  std::optional<int> exit = cluster.waitForExit(second);
  ASSERT_TRUE(exit.has_value()) << "a second swarmd on a used directory still runs";
  EXPECT_EQ(*exit, EXIT_STATE_DIRECTORY_IN_USE) << tailOfFile(second.log, 30);
  std::vector<std::string> errors = errorLines(second.log);
  ASSERT_EQ(errors.size(), 1u) << tailOfFile(second.log, 30);
  EXPECT_NE(errors[0].find(first.directory), std::string::npos)
      << "the error should name the directory: " << errors[0];
  // The first one is untouched.
  EXPECT_EQ(cluster.ctl({"cluster", "inspect"}).exitCode, 0);
  EXPECT_EQ(cluster.nodesWithStatus("READY"), 1u);
}

TEST_F(EndToEnd, ImpostorCannotReportAnotherNodesTask) {
  ASSERT_NO_FATAL_FAILURE(runSixSleepers());
  Daemon& impostor = cluster.daemon("worker-1");
  std::string victimNode = cluster.nodeId(cluster.daemon("worker-2"));
  std::vector<Json> victims = onNode(cluster.runningTasks(SERVICE), victimNode);
  ASSERT_FALSE(victims.empty());
  std::string victim = victims.front().at("id");

  CommandResult refused =
      runCommand({IMPOSTOR_PATH, impostor.directory, victim}, cluster.directory(), COMMAND_LIMIT);
  ASSERT_EQ(refused.exitCode, 0) << refused.describe();
  EXPECT_EQ(refused.out.rfind("status refused: permission-denied", 0), 0u) << refused.describe();

  CommandResult unknown = runCommand({IMPOSTOR_PATH, impostor.directory, victim, "--wrong-secret"},
                                     cluster.directory(), COMMAND_LIMIT);
  ASSERT_EQ(unknown.exitCode, 0) << unknown.describe();
  EXPECT_EQ(unknown.out.rfind("session refused: unauthenticated", 0), 0u) << unknown.describe();

  // The victim runs on, and nothing else changed.
  ASSERT_TRUE(cluster.converged(SERVICE, REPLICAS));
  Json task = cluster.ctlJson({"task", "inspect", victim});
  EXPECT_EQ(task.at("currentState"), "RUNNING") << task;
  EXPECT_EQ(task.at("desiredState"), "RUNNING") << task;
  EXPECT_EQ(task.at("nodeId"), victimNode) << task;
  EXPECT_EQ(cluster.nodesWithStatus("READY"), 3u);
}

// Every command and subcommand of both programs answers --help with its usage, exit 0.
TEST_F(EndToEnd, HelpOfEveryCommandAndSubcommand) {
  const std::vector<std::vector<std::string>> commands = {
      {},
      {"cluster"},
      {"cluster", "inspect"},
      {"cluster", "rotate-token"},
      {"node"},
      {"node", "ls"},
      {"node", "inspect"},
      {"node", "promote"},
      {"node", "demote"},
      {"node", "drain"},
      {"node", "activate"},
      {"node", "rm"},
      {"service"},
      {"service", "create"},
      {"service", "ls"},
      {"service", "inspect"},
      {"service", "update"},
      {"service", "scale"},
      {"service", "rm"},
      {"task"},
      {"task", "ls"},
      {"task", "inspect"},
      {"secret"},
      {"secret", "create"},
      {"secret", "ls"},
      {"secret", "rm"},
      {"config"},
      {"config", "create"},
      {"config", "ls"},
      {"config", "rm"},
  };
  for (const std::vector<std::string>& command : commands) {
    std::vector<std::string> args = command;
    args.push_back("--help");
    CommandResult result = cluster.runSwarmctl(args);
    EXPECT_EQ(result.exitCode, 0) << result.describe();
    EXPECT_NE(lowered(result.out).find("usage"), std::string::npos) << result.describe();
    if (!command.empty()) {
      EXPECT_NE(result.out.find(command.back()), std::string::npos) << result.describe();
    }
  }
  CommandResult swarmd = cluster.runSwarmd({"--help"});
  EXPECT_EQ(swarmd.exitCode, 0) << swarmd.describe();
  EXPECT_NE(lowered(swarmd.out).find("usage"), std::string::npos) << swarmd.describe();
  for (const char* flag :
       {"--state-dir", "--listen-remote-api", "--advertise-remote-api", "--listen-control-api",
        "--join-addr", "--join-token", "--hostname", "--log-level", "--log-format"}) {
    EXPECT_NE(swarmd.out.find(flag), std::string::npos) << flag << "\n" << swarmd.describe();
  }

  for (bool daemon : {true, false}) {
    CommandResult version =
        daemon ? cluster.runSwarmd({"--version"}) : cluster.runSwarmctl({"--version"});
    EXPECT_EQ(version.exitCode, 0) << version.describe();
    EXPECT_FALSE(version.out.empty()) << version.describe();
  }
}

TEST_F(EndToEnd, BadFlagsAreUsageErrorsAndNoSwarmdIsExitCode3) {
  CommandResult swarmd = cluster.runSwarmd({"--no-such-flag"});
  EXPECT_EQ(swarmd.exitCode, EXIT_USAGE) << swarmd.describe();
  CommandResult ctl = cluster.runSwarmctl({"node", "ls", "--no-such-flag"});
  EXPECT_EQ(ctl.exitCode, CTL_USAGE) << ctl.describe();
  CommandResult missing = cluster.runSwarmctl({"service", "inspect"});
  EXPECT_EQ(missing.exitCode, CTL_USAGE) << missing.describe();

  std::string socket = cluster.directory() + "/nobody-here.sock";
  CommandResult unreachable = cluster.runSwarmctl({"-s", socket, "node", "ls"});
  EXPECT_EQ(unreachable.exitCode, CTL_UNREACHABLE) << unreachable.describe();
  std::vector<std::string> lines = linesOf(unreachable.err);
  ASSERT_EQ(lines.size(), 1u) << unreachable.describe();
  EXPECT_EQ(lines[0].rfind("swarmctl: cannot reach swarmd at " + socket, 0), 0u) << lines[0];
}

TEST_F(EndToEnd, RefusedRequestsAreOneLineErrorsWithExitCode1) {
  cluster.init();
  CommandResult unknown = cluster.ctl({"service", "inspect", "no-such-service"});
  EXPECT_EQ(unknown.exitCode, CTL_REFUSED) << unknown.describe();
  ASSERT_EQ(linesOf(unknown.err).size(), 1u) << unknown.describe();
  EXPECT_EQ(unknown.err.rfind("swarmctl: ", 0), 0u) << unknown.describe();
  EXPECT_TRUE(unknown.out.empty()) << unknown.describe();

  cluster.createSleepers(SERVICE, 1);
  std::vector<std::string> again = {"service", "create", "--name", SERVICE, "--"};
  again.insert(again.end(), {"/bin/sleep", cluster.marker()});
  CommandResult duplicate = cluster.ctl(again);
  EXPECT_EQ(duplicate.exitCode, CTL_REFUSED) << duplicate.describe();
  ASSERT_EQ(linesOf(duplicate.err).size(), 1u) << duplicate.describe();
  EXPECT_EQ(duplicate.err.rfind("swarmctl: ", 0), 0u) << duplicate.describe();
  EXPECT_EQ(cluster.ctlJson({"service", "ls"}).size(), 1u);
}

// The tables the demo prints: the contract's header rows, one row per record; -q prints ids.
TEST_F(EndToEnd, TablesHaveTheContractsHeadersAndQuietPrintsIds) {
  cluster.init();
  std::string id = cluster.createSleepers(SERVICE, 2);
  ASSERT_TRUE(cluster.converged(SERVICE, 2));
  const std::map<std::vector<std::string>, std::vector<std::string>> headers = {
      {{"node", "ls"}, {"ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS"}},
      {{"service", "ls"}, {"ID", "NAME", "MODE", "REPLICAS", "COMMAND"}},
      {{"task", "ls"}, {"ID", "NAME", "NODE", "DESIRED STATE", "CURRENT STATE", "MESSAGE"}},
  };
  for (const auto& [command, header] : headers) {
    std::vector<std::string> lines = linesOf(cluster.ctlOk(command));
    ASSERT_FALSE(lines.empty()) << command[0];
    EXPECT_EQ(columnsOf(lines[0]), header) << lines[0];
    EXPECT_EQ(lines.size(), 1 + (command[0] == "node"   ? 1u
                                 : command[0] == "task" ? 2u
                                                        : 1u))
        << command[0];
  }
  std::vector<std::string> serviceRow = columnsOf(linesOf(cluster.ctlOk({"service", "ls"}))[1]);
  ASSERT_GE(serviceRow.size(), 4u);
  EXPECT_EQ(serviceRow[3], "2/2");

  std::vector<std::string> quiet = linesOf(cluster.ctlOk({"-q", "service", "ls"}));
  EXPECT_EQ(quiet, std::vector<std::string>{id});
  std::vector<std::string> taskIds = linesOf(cluster.ctlOk({"task", "ls", "-q"}));
  std::set<std::string> expected = idsOf(cluster.runningTasks(SERVICE));
  EXPECT_EQ(std::set<std::string>(taskIds.begin(), taskIds.end()), expected);
}

}  // namespace
}  // namespace swarmlet::e2e
