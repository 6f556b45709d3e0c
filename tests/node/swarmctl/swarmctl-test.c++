// swarmctl end to end: the real binary, run as a child process, against a real manager server
// (tests/node/swarmctl/manager-process.h) on a temporary Unix socket and LevelDB directory. Every
// command of the contract, its table, JSON and -q output, and every exit status.
#include <gtest/gtest.h>
#include <kj/debug.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "tests/node/swarmctl/manager-process.h"
#include "tests/node/swarmctl/run-swarmctl.h"

namespace swarmlet::swarmctl::testing {
namespace {

using nlohmann::json;

const std::string BINARY = SWARMCTL_BINARY;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

std::string firstWord(const std::string& line) {
  return line.substr(0, line.find(' '));
}

class SwarmctlTest : public ::testing::Test {
 protected:
  SwarmctlTest() {
    char pattern[] = "/tmp/swarmctl-test-XXXXXX";
    KJ_REQUIRE(::mkdtemp(pattern) != nullptr);
    directory = pattern;
  }
  ~SwarmctlTest() override {
    manager = nullptr;
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }

  void startManager(const std::vector<FakeNode>& nodes = {},
                    ControlServer server = ControlServer::MANAGER_SERVER) {
    manager = std::make_unique<ManagerProcess>(directory, nodes, server);
  }

  // swarmctl -s <the manager's socket> ARGS...
  Ran swarmctl(const std::vector<std::string>& args, const RunOptions& options = {}) {
    std::vector<std::string> all = {"-s", manager->socketPath()};
    all.insert(all.end(), args.begin(), args.end());
    return runSwarmctl(BINARY, all, options);
  }

  // The output of a run that must succeed.
  std::string ok(const std::vector<std::string>& args, const RunOptions& options = {}) {
    Ran ran = swarmctl(args, options);
    EXPECT_EQ(ran.status, 0) << "swarmctl " << ::testing::PrintToString(args) << ": " << ran.err;
    EXPECT_EQ(ran.err, "");
    return ran.out;
  }

  // The JSON a run with -o json printed.
  json parsed(std::vector<std::string> args) {
    args.insert(args.begin(), {"-o", "json"});
    std::string out = ok(args);
    json value = json::parse(out, nullptr, false);
    EXPECT_FALSE(value.is_discarded()) << out;
    return value;
  }

  // The one line (an id) a run printed.
  std::string id(const std::vector<std::string>& args, const RunOptions& options = {}) {
    std::vector<std::string> printed = lines(ok(args, options));
    EXPECT_EQ(printed.size(), 1u) << ::testing::PrintToString(printed);
    return printed.empty() ? "" : printed.front();
  }

  // A run that must fail with `status` and one stderr line starting with `prefix`.
  Ran failing(int status, const std::vector<std::string>& args, const std::string& prefix) {
    Ran ran = swarmctl(args);
    EXPECT_EQ(ran.status, status) << ::testing::PrintToString(args) << ": " << ran.out << ran.err;
    EXPECT_EQ(lines(ran.err).size(), 1u) << ran.err;
    EXPECT_EQ(ran.err.rfind("swarmctl: " + prefix, 0), 0u) << ran.err;
    EXPECT_EQ(ran.out, "");
    return ran;
  }

  // Polls `done` for up to 20 s.
  static bool eventually(const std::function<bool()>& done) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }

  std::string directory;
  std::unique_ptr<ManagerProcess> manager;
};

// --- usage, help, version, exit statuses ------------------------------------------------------

// The subcommands a help text lists (CLI11's "Subcommands:" section).
std::vector<std::string> subcommandsOf(const std::string& help) {
  std::vector<std::string> names;
  bool inSection = false;
  for (const std::string& line : lines(help)) {
    if (line == "Subcommands:") {
      inSection = true;
    } else if (inSection && line.rfind("  ", 0) == 0) {
      names.push_back(firstWord(line.substr(2)));
    } else if (inSection && line.empty()) {
      inSection = false;
    }
  }
  return names;
}

TEST_F(SwarmctlTest, HelpOfEveryCommandAndSubcommandExitsZeroWithoutConnecting) {
  std::set<std::string> leaves;
  std::vector<std::vector<std::string>> pending = {{}};
  while (!pending.empty()) {
    std::vector<std::string> command = pending.back();
    pending.pop_back();
    std::vector<std::string> args = {"-s", directory + "/no-such.sock"};
    args.insert(args.end(), command.begin(), command.end());
    args.push_back("--help");
    Ran ran = runSwarmctl(BINARY, args);
    std::string name = "swarmctl";
    for (const std::string& word : command)
      name += " " + word;
    EXPECT_EQ(ran.status, 0) << name << ": " << ran.err;
    EXPECT_NE(ran.out.find("Usage: " + name + " "), std::string::npos) << name << ":\n" << ran.out;
    std::vector<std::string> subcommands = subcommandsOf(ran.out);
    if (subcommands.empty()) leaves.insert(name.substr(9));
    for (const std::string& sub : subcommands) {
      std::vector<std::string> deeper = command;
      deeper.push_back(sub);
      pending.push_back(deeper);
    }
  }
  for (const char* expected : {"cluster inspect", "cluster rotate-token",
                               "node ls",         "node inspect",
                               "node promote",    "node demote",
                               "node drain",      "node activate",
                               "node rm",         "service create",
                               "service ls",      "service inspect",
                               "service update",  "service scale",
                               "service rm",      "task ls",
                               "task inspect",    "secret create",
                               "secret ls",       "secret rm",
                               "config create",   "config ls",
                               "config rm"}) {
    EXPECT_EQ(leaves.count(expected), 1u) << expected << " has no help of its own";
  }
  // Help after a global option placed after the subcommand, too.
  EXPECT_EQ(runSwarmctl(BINARY, {"service", "create", "-o", "json", "--help"}).status, 0);
}

TEST_F(SwarmctlTest, VersionPrintsTheProjectsVersion) {
  Ran ran = runSwarmctl(BINARY, {"--version"});
  EXPECT_EQ(ran.status, 0);
  EXPECT_EQ(ran.out, std::string("swarmctl ") + SWARMLET_VERSION + "\n");
}

TEST_F(SwarmctlTest, UsageErrorsExitTwoWithOneLineNamingTheCommandsHelp) {
  startManager();
  Ran bad = failing(2, {"service", "create", "--name", "web", "--bogus", "--", "/bin/true"},
                    "The following argument was not expected: --bogus");
  EXPECT_EQ(bad.err,
            "swarmctl: The following argument was not expected: --bogus; see swarmctl service "
            "create --help\n");
  failing(2, {"service", "create", "--", "/bin/true"}, "--name is required; see swarmctl");
  failing(2, {"service", "create", "--name", "web"}, "command is required");
  failing(2, {"service", "create", "--name", "w", "--restart-delay", "5x", "--", "/bin/true"},
          "--restart-delay: invalid duration \"5x\"");
  failing(2, {"service", "create", "--name", "w", "--replicas", "two", "--", "/bin/true"},
          "Could not convert: --replicas = two");
  failing(2, {"service", "create", "--name", "w", "--env", "NOEQUALS", "--", "/bin/true"},
          "--env: \"NOEQUALS\" is not KEY=VALUE");
  failing(2,
          {"service", "create", "--name", "w", "--mode", "global", "--replicas", "2", "--",
           "/bin/true"},
          "--replicas applies only to replicated services");
  failing(2, {"service", "scale", "web"}, "give the replica count as SERVICE=REPLICAS");
  failing(2, {"service", "scale", "web=many"}, "\"many\" is not a replica count");
  failing(2, {"service"}, "A subcommand is required; see swarmctl service --help");
  failing(2, {}, "A subcommand is required; see swarmctl --help");
  failing(2, {"frobnicate"}, "\"frobnicate\" is not a command of swarmctl; see swarmctl --help");
  failing(2, {"service", "frob"},
          "\"frob\" is not a command of swarmctl service; see swarmctl service --help");
  // What is left over is named before what is missing.
  failing(2, {"service", "create", "--name", "web", "--bogus"},
          "The following argument was not expected: --bogus; see swarmctl service create");
  failing(2, {"-o", "yaml", "node", "ls"}, "--output: yaml not in {table,json}");
  failing(2, {"cluster", "rotate-token", "admin"}, "role: admin not in {worker,manager}");
  failing(2, {"secret", "create", "s", directory + "/no-such-file"},
          "cannot read " + directory + "/no-such-file: No such file or directory");
  // Nothing was created by any of them.
  EXPECT_EQ(ok({"service", "ls", "-q"}), "");
  EXPECT_EQ(ok({"secret", "ls", "-q"}), "");
}

TEST_F(SwarmctlTest, AnUnreachableSwarmdExitsThreeWithTheContractsLine) {
  std::string missing = directory + "/no-such.sock";
  Ran ran = runSwarmctl(BINARY, {"-s", missing, "node", "ls"});
  EXPECT_EQ(ran.status, 3);
  EXPECT_EQ(ran.out, "");
  EXPECT_EQ(ran.err, "swarmctl: cannot reach swarmd at " + missing +
                         ": No such file or directory (is swarmd running? point -s at its "
                         "DIR/swarmd.sock)\n");

  // A stale socket file: nothing listens on it.
  std::string stale = directory + "/stale.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, stale.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::close(fd);
  ran = runSwarmctl(BINARY, {"service", "ls", "-s", stale});
  EXPECT_EQ(ran.status, 3);
  EXPECT_EQ(ran.err, "swarmctl: cannot reach swarmd at " + stale +
                         ": Connection refused (is swarmd running? point -s at its "
                         "DIR/swarmd.sock)\n");

  // The default socket, relative to the working directory: absent here.
  ran = runSwarmctl(BINARY, {"node", "ls"}, RunOptions{"", directory, {}});
  EXPECT_EQ(ran.status, 3);
  EXPECT_EQ(ran.err.rfind("swarmctl: cannot reach swarmd at ./swarmlet-state/swarmd.sock: ", 0), 0u)
      << ran.err;

  // Over TCP, a port nothing listens on.
  ran = runSwarmctl(BINARY, {"--addr", "127.0.0.1:1", "node", "ls"});
  EXPECT_EQ(ran.status, 3);
  EXPECT_EQ(ran.err.rfind("swarmctl: cannot reach swarmd at 127.0.0.1:1: ", 0), 0u) << ran.err;
  EXPECT_NE(ran.err.find("point --addr at"), std::string::npos) << ran.err;
}

TEST_F(SwarmctlTest, TheSocketComesFromTheFlagTheEnvironmentOrTheDefaultAndTcpWorksToo) {
  startManager();
  id({"secret", "create", "pw"}, RunOptions{"hunter2", "", {}});
  const std::string expected = ok({"secret", "ls"});
  ASSERT_EQ(lines(expected).size(), 2u) << expected;
  auto listed = [&](const std::vector<std::string>& args, const RunOptions& options) {
    Ran ran = runSwarmctl(BINARY, args, options);
    EXPECT_EQ(ran.status, 0) << ran.err;
    return ran.out == expected;
  };
  // The default: ./swarmlet-state/swarmd.sock in the working directory.
  EXPECT_TRUE(listed({"secret", "ls"}, RunOptions{"", directory, {}}));
  EXPECT_TRUE(
      listed({"secret", "ls"}, RunOptions{"", "", {{"SWARM_SOCKET", manager->socketPath()}}}));
  // -s wins over the environment.
  EXPECT_TRUE(listed({"secret", "ls", "-s", manager->socketPath()},
                     RunOptions{"", "", {{"SWARM_SOCKET", directory + "/wrong.sock"}}}));
  EXPECT_TRUE(listed({"--addr", manager->controlAddress(), "secret", "ls"}, {}));
  // Global options before or after the subcommand.
  EXPECT_EQ(ok({"-q", "secret", "ls"}), ok({"secret", "-q", "ls"}));
  EXPECT_EQ(ok({"secret", "ls", "-q"}), ok({"-q", "secret", "ls"}));
  EXPECT_EQ(ok({"-o", "json", "secret", "ls"}), ok({"secret", "ls", "--output", "json"}));
}

// --- nodes, services, tasks, secrets, configs -------------------------------------------------

TEST_F(SwarmctlTest, NodeLsWithNoNodesPrintsItsHeaderAnEmptyArrayOrNothing) {
  startManager();
  EXPECT_EQ(ok({"node", "ls"}), "ID  HOSTNAME  STATUS  AVAILABILITY  MANAGER STATUS\n");
  EXPECT_EQ(parsed({"node", "ls"}), json::array());
  EXPECT_EQ(ok({"node", "ls", "-q"}), "");
  failing(
      1, {"node", "inspect", "worker-1"},
      "no node has the id, hostname or id prefix \"worker-1\"; list them with swarmctl node ls");
  failing(1, {"node", "drain", "n"}, "no node has the id, hostname or id prefix \"n\"");
}

TEST_F(SwarmctlTest, AServiceIsCreatedListedInspectedUpdatedScaledAndRemoved) {
  startManager();
  std::string secret = id({"secret", "create", "pw", "-"}, RunOptions{"hunter2", "", {}});
  std::string config = id({"config", "create", "conf"}, RunOptions{"a=1\n", "", {}});
  std::string service = id({"service",
                            "create",
                            "--name",
                            "web",
                            "--replicas",
                            "2",
                            "--env",
                            "A=1",
                            "--env",
                            "B=2",
                            "--restart-condition",
                            "on-failure",
                            "--restart-delay",
                            "1m30s",
                            "--restart-max-attempts",
                            "3",
                            "--update-parallelism",
                            "2",
                            "--update-delay",
                            "500ms",
                            "--secret",
                            "pw",
                            "--config",
                            config,
                            "--",
                            "/bin/sleep",
                            "100"});
  ASSERT_FALSE(service.empty());

  std::vector<std::string> table = lines(ok({"service", "ls"}));
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table[0],
            "ID" + std::string(service.size(), ' ') + "NAME  MODE        REPLICAS  COMMAND");
  EXPECT_EQ(table[1], service + "  web   replicated  0/2       /bin/sleep 100");
  EXPECT_EQ(ok({"service", "ls", "-q"}), service + "\n");

  json listed = parsed({"service", "ls"});
  ASSERT_EQ(listed.size(), 1u);
  json web = parsed({"service", "inspect", "web"});
  EXPECT_EQ(listed[0], web);
  EXPECT_EQ(web["id"], service);
  EXPECT_EQ(web["name"], "web");
  EXPECT_EQ(web["mode"], "replicated");
  EXPECT_EQ(web["replicas"], 2);
  EXPECT_EQ(web["runningTasks"], 0);
  EXPECT_EQ(web["command"], "/bin/sleep");
  EXPECT_EQ(web["args"], json::array({"100"}));
  EXPECT_EQ(web["env"], (json{{"A", "1"}, {"B", "2"}}));
  EXPECT_EQ(web["secrets"], json::array({secret}));
  EXPECT_EQ(web["configs"], json::array({config}));
  EXPECT_EQ(
      web["restart"],
      (json{{"condition", "on-failure"}, {"delay", "90s"}, {"maxAttempts", 3}, {"window", "0s"}}));
  EXPECT_EQ(web["update"], (json{{"parallelism", 2}, {"delay", "500ms"}}));
  // By id and by a unique id prefix too; -q prints the id.
  EXPECT_EQ(parsed({"service", "inspect", service}), web);
  EXPECT_EQ(parsed({"service", "inspect", service.substr(0, 3)}), web);
  EXPECT_EQ(ok({"service", "inspect", "web", "-q"}), service + "\n");
  std::string text = ok({"service", "inspect", "web"});
  EXPECT_NE(text.find("Name: web\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Restart delay: 90s\n"), std::string::npos) << text;

  // Only what is given changes.
  EXPECT_EQ(id({"service", "update", "web", "--replicas", "3", "--env-rm", "A", "--env", "C=3",
                "--secret-rm", "pw", "--", "/bin/sleep", "200"}),
            service);
  json updated = parsed({"service", "inspect", "web"});
  EXPECT_EQ(updated["replicas"], 3);
  EXPECT_EQ(updated["env"], (json{{"B", "2"}, {"C", "3"}}));
  EXPECT_EQ(updated["secrets"], json::array());
  EXPECT_EQ(updated["configs"], json::array({config}));
  EXPECT_EQ(updated["args"], json::array({"200"}));
  EXPECT_EQ(updated["restart"], web["restart"]);
  EXPECT_EQ(updated["update"], web["update"]);
  EXPECT_GT(updated["version"].get<uint64_t>(), web["version"].get<uint64_t>());
  // An update that names nothing changes nothing.
  EXPECT_EQ(id({"service", "update", service}), service);
  EXPECT_EQ(parsed({"service", "inspect", "web"}), updated);

  EXPECT_EQ(id({"service", "scale", "web=1"}), service);
  EXPECT_EQ(parsed({"service", "inspect", "web"})["replicas"], 1);
  EXPECT_EQ(id({"service", "scale", "web", "4"}), service);
  EXPECT_EQ(parsed({"service", "inspect", "web"})["replicas"], 4);
  failing(1, {"service", "scale", "web=-1"}, "replicas must not be negative (got -1); ");

  // Refusals of the manager exit 1 with its message and what to do.
  failing(1, {"service", "create", "--name", "web", "--", "/bin/true"},
          "service name web is already in use; choose another name");
  failing(1, {"service", "update", "web", "--mode", "global"}, "a service's mode cannot change; ");
  failing(1, {"service", "create", "--name", "x", "--secret", "nope", "--", "/bin/true"},
          "no secret has the id, name or id prefix \"nope\"");
  failing(1, {"config", "rm", "conf"}, "config " + config + " is in use by service web; ");

  // create -o json prints {"id": ...}.
  json created = parsed({"service", "create", "--name", "db", "--", "/bin/true"});
  ASSERT_TRUE(created.is_object());
  EXPECT_EQ(created.size(), 1u);
  std::string db = created["id"];
  EXPECT_EQ(id({"service", "rm", "db"}), db);
  EXPECT_EQ(id({"service", "rm", "web"}), service);
  EXPECT_EQ(ok({"service", "ls", "-q"}), "");
  failing(1, {"service", "inspect", "web"},
          "no service has the id, name or id prefix \"web\"; list them with swarmctl service ls");
  EXPECT_EQ(id({"config", "rm", "conf"}), config);
}

TEST_F(SwarmctlTest, ServiceCreateTakesGlobalModeAndTheDefaults) {
  startManager();
  json global = parsed({"service", "inspect",
                        id({"service", "create", "--name", "g", "--mode", "global", "--", "/bin/sh",
                            "-c", "echo -q --name"})});
  EXPECT_EQ(global["mode"], "global");
  EXPECT_EQ(global["replicas"], 0);
  EXPECT_EQ(global["command"], "/bin/sh");
  // After --, flags belong to the command.
  EXPECT_EQ(global["args"], json::array({"-c", "echo -q --name"}));
  // No node: no task is wanted anywhere.
  EXPECT_NE(ok({"service", "ls"}).find("  g     global  0/0       /bin/sh -c echo -q --name"),
            std::string::npos)
      << ok({"service", "ls"});
  failing(1, {"service", "scale", "g=2"}, "scale applies only to replicated services; ");

  json plain =
      parsed({"service", "inspect", id({"service", "create", "--name", "p", "/bin/true"})});
  EXPECT_EQ(plain["replicas"], 1);
  EXPECT_EQ(plain["restart"],
            (json{{"condition", "any"}, {"delay", "5s"}, {"maxAttempts", 0}, {"window", "0s"}}));
  EXPECT_EQ(plain["update"], (json{{"parallelism", 1}, {"delay", "0s"}}));
  EXPECT_EQ(plain["env"], json::object());
}

TEST_F(SwarmctlTest, SecretsAndConfigsComeFromAFileOrStdin) {
  startManager();
  std::string file = directory + "/data";
  std::ofstream(file, std::ios::binary) << std::string("bin\0ary", 7);
  std::string fromFile = id({"secret", "create", "from-file", file});
  std::string fromStdin = id({"secret", "create", "from-stdin"}, RunOptions{"12345", "", {}});
  std::string fromDash = id({"secret", "create", "from-dash", "-"}, RunOptions{"123", "", {}});
  EXPECT_NE(fromFile, fromStdin);

  std::vector<std::string> table = lines(ok({"secret", "ls"}));
  ASSERT_EQ(table.size(), 4u);
  EXPECT_EQ(table[0], "ID" + std::string(fromFile.size(), ' ') + "NAME        SIZE");
  // Sorted by name.
  EXPECT_EQ(table[1], fromDash + "  from-dash   3");
  EXPECT_EQ(table[2], fromFile + "  from-file   7");
  EXPECT_EQ(table[3], fromStdin + "  from-stdin  5");
  json listed = parsed({"secret", "ls"});
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[1], (json{{"id", fromFile}, {"name", "from-file"}, {"size", 7}}));
  EXPECT_EQ(ok({"secret", "ls", "-q"}), fromDash + "\n" + fromFile + "\n" + fromStdin + "\n");

  failing(1, {"secret", "create", "from-file", file},
          "secret name from-file is already in use; choose another name");
  Ran empty = swarmctl({"secret", "create", "empty"});
  EXPECT_EQ(empty.status, 1);
  EXPECT_EQ(empty.err.rfind("swarmctl: secret data is empty; ", 0), 0u) << empty.err;

  std::string config = id({"config", "create", "conf", file});
  EXPECT_EQ(parsed({"config", "ls"}),
            json::array({json{{"id", config}, {"name", "conf"}, {"size", 7}}}));
  EXPECT_EQ(lines(ok({"config", "ls"})).front(),
            "ID" + std::string(config.size(), ' ') + "NAME  SIZE");

  // rm by name, by id and by prefix.
  EXPECT_EQ(id({"secret", "rm", "from-file"}), fromFile);
  EXPECT_EQ(id({"secret", "rm", fromStdin}), fromStdin);
  EXPECT_EQ(id({"secret", "rm", fromDash.substr(0, fromDash.size() - 1)}), fromDash);
  EXPECT_EQ(id({"config", "rm", config.substr(0, 4)}), config);
  EXPECT_EQ(ok({"secret", "ls", "-q"}) + ok({"config", "ls", "-q"}), "");
  failing(1, {"secret", "rm", "from-file"},
          "no secret has the id, name or id prefix \"from-file\"");
}

TEST_F(SwarmctlTest, AnAmbiguousPrefixIsRefusedWithTheCountOfCandidates) {
  startManager();
  std::string a = id({"secret", "create", "a"}, RunOptions{"1", "", {}});
  std::string b = id({"secret", "create", "b"}, RunOptions{"2", "", {}});
  // Secret ids share their first letter.
  ASSERT_EQ(a[0], b[0]);
  failing(1, {"secret", "rm", a.substr(0, 1)},
          "\"" + a.substr(0, 1) +
              "\" is the start of 2 secret ids; type more of the id (swarmctl secret ls)");
  EXPECT_EQ(lines(ok({"secret", "ls", "-q"})).size(), 2u);
}

TEST_F(SwarmctlTest, TaskLsFiltersByServiceAndNode) {
  startManager();
  std::string web =
      id({"service", "create", "--name", "web", "--replicas", "2", "--", "/bin/true"});
  std::string db = id({"service", "create", "--name", "db", "--", "/bin/true"});
  ASSERT_TRUE(eventually([&] { return lines(ok({"task", "ls", "-q"})).size() == 3; }));

  std::vector<std::string> table = lines(ok({"task", "ls"}));
  ASSERT_EQ(table.size(), 4u);
  EXPECT_EQ(table[0].substr(table[0].find("NAME")),
            "NAME   NODE  DESIRED STATE  CURRENT STATE  MESSAGE");
  // No node to run on: placed nowhere, pending; sorted by service name and slot.
  std::vector<std::string> names;
  for (size_t i = 1; i < table.size(); ++i) {
    std::istringstream row(table[i]);
    std::string taskId, name, desired, current;
    row >> taskId >> name >> desired >> current;
    names.push_back(name);
    EXPECT_EQ(desired, "RUNNING") << table[i];
  }
  EXPECT_EQ(names, (std::vector<std::string>{"db.1", "web.1", "web.2"}));

  json webTasks = parsed({"task", "ls", "--service", "web"});
  ASSERT_EQ(webTasks.size(), 2u);
  for (const json& task : webTasks) {
    EXPECT_EQ(task["serviceId"], web);
    EXPECT_EQ(task["serviceName"], "web");
    EXPECT_EQ(task["nodeId"], "");
    EXPECT_EQ(task["desiredState"], "RUNNING");
    EXPECT_EQ(task["exitCode"], nullptr);
  }
  EXPECT_EQ(webTasks[0]["name"], "web.1");
  EXPECT_EQ(webTasks[0]["slot"], 1);
  EXPECT_EQ(lines(ok({"task", "ls", "--service", db.substr(0, 4), "-q"})).size(), 1u);

  // task inspect by id, by name, by prefix.
  std::string task = webTasks[1]["id"];
  json inspected = parsed({"task", "inspect", "web.2"});
  EXPECT_EQ(inspected, webTasks[1]);
  EXPECT_EQ(parsed({"task", "inspect", task}), inspected);
  EXPECT_EQ(ok({"task", "inspect", task.substr(0, task.size() - 1), "-q"}), task + "\n");
  std::string text = ok({"task", "inspect", "web.2"});
  EXPECT_NE(text.find("Name: web.2\n"), std::string::npos) << text;

  failing(1, {"task", "ls", "--node", "nowhere"}, "no node has the id, hostname or id prefix");
  failing(1, {"task", "ls", "--service", "nothing"}, "no service has the id, name or id prefix");
  failing(1, {"task", "inspect", "web.9"}, "no task has the id, name or id prefix \"web.9\"");
}

TEST_F(SwarmctlTest, ClusterInspectShowsTheLeaderTheManagersAndBothTokens) {
  startManager();
  json cluster = parsed({"cluster", "inspect"});
  std::string clusterId = cluster["id"];
  std::string worker = cluster["tokens"]["worker"];
  std::string managerToken = cluster["tokens"]["manager"];
  EXPECT_FALSE(clusterId.empty());
  EXPECT_EQ(cluster["leader"], "manager-1");
  EXPECT_EQ(cluster["managers"],
            json::array({json{{"nodeId", "manager-1"}, {"address", "127.0.0.1:4242"}}}));
  EXPECT_EQ(worker.rfind("SWMTKN-1-", 0), 0u) << worker;
  EXPECT_EQ(managerToken.rfind("SWMTKN-1-", 0), 0u) << managerToken;
  EXPECT_NE(worker, managerToken);
  EXPECT_EQ(ok({"cluster", "inspect"}), "ID: " + clusterId +
                                            "\n"
                                            "Leader: manager-1\n"
                                            "Managers:\n"
                                            "  manager-1 127.0.0.1:4242\n"
                                            "Worker token: " +
                                            worker + "\nManager token: " + managerToken + "\n");
  EXPECT_EQ(ok({"cluster", "inspect", "-q"}), clusterId + "\n");

  // A rotated token is printed, and only that role's token changed.
  std::string rotated = id({"cluster", "rotate-token", "worker"});
  EXPECT_EQ(rotated.rfind("SWMTKN-1-", 0), 0u) << rotated;
  EXPECT_NE(rotated, worker);
  json after = parsed({"cluster", "inspect"});
  EXPECT_EQ(after["tokens"]["worker"], rotated);
  EXPECT_EQ(after["tokens"]["manager"], managerToken);
  EXPECT_EQ(after["id"], clusterId);
  // With -o json, the cluster as it now is.
  json again = parsed({"cluster", "rotate-token", "manager"});
  EXPECT_EQ(again["tokens"]["worker"], rotated);
  EXPECT_NE(again["tokens"]["manager"], managerToken);
  EXPECT_EQ(again, parsed({"cluster", "inspect"}));
}

TEST_F(SwarmctlTest, ASwarmdWithoutTheClusterCallsIsNamedAndNodeLsStillWorks) {
  startManager({}, ControlServer::WITHOUT_CLUSTER_CALLS);
  failing(1, {"cluster", "inspect"},
          "this swarmd does not implement Control.inspectCluster yet; run a swarmd as new as this "
          "swarmctl");
  failing(1, {"cluster", "rotate-token", "worker"},
          "this swarmd does not implement Control.rotateToken yet; ");
  // No manager status without the cluster, but the list.
  EXPECT_EQ(ok({"node", "ls"}),
            "ID         HOSTNAME      STATUS  AVAILABILITY  MANAGER STATUS\n"
            "manager-1  manager-host  READY   ACTIVE\n");
  EXPECT_EQ(parsed({"node", "ls"})[0]["managerStatus"], "");
  failing(1, {"service", "ls"}, "this swarmd does not implement Control.listServices yet; ");
}

// --- with a node ------------------------------------------------------------------------------

TEST_F(SwarmctlTest, NodesAreListedInspectedDrainedActivatedPromotedAndRemoved) {
  startManager({LEADER_NODE, WORKER_NODE});
  ASSERT_TRUE(eventually([&] { return lines(ok({"node", "ls"})).size() == 3; }));
  // The leader's own node is a manager from its first session; sorted by hostname.
  EXPECT_EQ(ok({"node", "ls"}),
            "ID         HOSTNAME      STATUS  AVAILABILITY  MANAGER STATUS\n"
            "manager-1  manager-host  READY   ACTIVE        Leader\n"
            "node-1     worker-1      READY   ACTIVE\n");
  json node = parsed({"node", "inspect", "worker-1"});
  EXPECT_EQ(node["id"], "node-1");
  EXPECT_EQ(node["hostname"], "worker-1");
  EXPECT_EQ(node["status"], "READY");
  EXPECT_EQ(node["availability"], "ACTIVE");
  EXPECT_EQ(node["role"], "worker");
  EXPECT_EQ(node["desiredRole"], "worker");
  EXPECT_EQ(node["managerStatus"], "");
  EXPECT_EQ(node["platform"], "linux/amd64");
  EXPECT_EQ(node["cpus"], 2);
  EXPECT_EQ(node["memoryBytes"], int64_t{1} << 30);
  EXPECT_EQ(node["labels"], (json{{"zone", "a"}}));
  EXPECT_EQ(parsed({"node", "ls"})[1], node);
  EXPECT_EQ(parsed({"node", "inspect", "manager-host"})["managerStatus"], "Leader");
  EXPECT_EQ(ok({"node", "inspect", "node", "-q"}), "node-1\n");
  std::string text = ok({"node", "inspect", "manager-1"});
  EXPECT_NE(text.find("Manager status: Leader\n"), std::string::npos) << text;

  auto availability = [&]() -> std::string {
    return parsed({"node", "inspect", "node-1"})["availability"];
  };
  EXPECT_EQ(id({"node", "drain", "worker-1"}), "node-1");
  EXPECT_EQ(availability(), "DRAIN");
  EXPECT_NE(ok({"node", "ls"}).find("node-1     worker-1      READY   DRAIN"), std::string::npos);
  EXPECT_EQ(id({"node", "pause", "node-1"}), "node-1");
  EXPECT_EQ(availability(), "PAUSE");
  EXPECT_EQ(id({"node", "activate", "node-"}), "node-1");
  EXPECT_EQ(availability(), "ACTIVE");

  // A promoted worker is a Reachable manager, and the managers agents are told of do not change
  // (it joined with no address to be reached at).
  EXPECT_EQ(id({"node", "promote", "worker-1"}), "node-1");
  json promoted = parsed({"node", "inspect", "node-1"});
  EXPECT_EQ(promoted["role"], "manager");
  EXPECT_EQ(promoted["managerStatus"], "Reachable");
  EXPECT_NE(ok({"node", "ls"}).find("node-1     worker-1      READY   ACTIVE        Reachable"),
            std::string::npos);
  failing(1, {"node", "rm", "--force", "worker-1"}, "node node-1 is a manager: demote it first; ");
  EXPECT_EQ(id({"node", "demote", "worker-1"}), "node-1");
  EXPECT_EQ(parsed({"node", "inspect", "node-1"})["role"], "worker");
  failing(1, {"node", "demote", "manager-host"}, "node manager-1 is the leader: ");

  failing(1, {"node", "rm", "worker-1"},
          "node node-1 is not down and can't be removed (use force); ");
  EXPECT_EQ(id({"node", "rm", "--force", "worker-1"}), "node-1");
  EXPECT_EQ(ok({"node", "ls", "-q"}), "manager-1\n");
}

TEST_F(SwarmctlTest, TasksRunOnTheNodeAndStopWhenTheirServiceIsRemoved) {
  startManager({WORKER_NODE});
  std::string web =
      id({"service", "create", "--name", "web", "--replicas", "2", "--", "/bin/sleep", "100"});
  auto running = [&](const std::string& service) {
    return parsed({"service", "inspect", service})["runningTasks"].get<int64_t>();
  };
  ASSERT_TRUE(eventually([&] { return running("web") == 2; }));
  std::vector<std::string> services = lines(ok({"service", "ls"}));
  ASSERT_EQ(services.size(), 2u);
  EXPECT_NE(services[1].find("  2/2  "), std::string::npos) << services[1];

  json tasks = parsed({"task", "ls", "--node", "worker-1"});
  ASSERT_EQ(tasks.size(), 2u);
  for (const json& task : tasks) {
    EXPECT_EQ(task["nodeId"], "node-1");
    EXPECT_EQ(task["currentState"], "RUNNING");
    EXPECT_EQ(task["message"], "started");
  }
  std::vector<std::string> table = lines(ok({"task", "ls", "--service", "web"}));
  ASSERT_EQ(table.size(), 3u);
  EXPECT_NE(table[1].find("  web.1  worker-1  RUNNING        RUNNING        started"),
            std::string::npos)
      << table[1];
  EXPECT_EQ(parsed({"task", "inspect", "web.1"})["currentState"], "RUNNING");

  // A global service: one task on the one node, named after it.
  id({"service", "create", "--name", "agent", "--mode", "global", "--", "/bin/sleep", "100"});
  ASSERT_TRUE(eventually([&] { return running("agent") == 1; }));
  json global = parsed({"task", "ls", "--service", "agent"});
  ASSERT_EQ(global.size(), 1u);
  EXPECT_EQ(global[0]["name"], "agent.node-1");
  EXPECT_EQ(global[0]["slot"], 0);
  EXPECT_NE(ok({"service", "ls"}).find("agent  global      1/1"), std::string::npos);

  id({"service", "scale", "web=1"});
  ASSERT_TRUE(eventually([&] {
    json current = parsed({"task", "ls", "--service", "web"});
    size_t wanted = 0;
    for (const json& task : current)
      wanted += task["desiredState"] == "RUNNING";
    return wanted == 1 && running("web") == 1;
  }));

  id({"service", "rm", "web"});
  id({"service", "rm", "agent"});
  ASSERT_TRUE(eventually([&] { return ok({"task", "ls", "-q"}).empty(); })) << ok({"task", "ls"});

  EXPECT_EQ(id({"node", "rm", "--force", "worker-1"}), "node-1");
  EXPECT_EQ(ok({"node", "ls", "-q"}), "");
}

}  // namespace
}  // namespace swarmlet::swarmctl::testing
