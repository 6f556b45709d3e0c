// The end-to-end harness on stand-in programs (/bin/sh, /bin/sleep, /bin/cat, perl): captured
// output and exit codes, the command limit, process lookup in /proc, free ports, the failure
// message of a wait, and a Cluster that leaves no process behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>

#include "tests/node/e2e/cluster.h"
#include "tests/node/e2e/process.h"

namespace swarmlet::e2e {
namespace {

// Whether `pid` shows up with command line `argv` within 5 s.
bool waitUntilFound(const std::vector<std::string>& argv, pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    std::vector<pid_t> found = processesRunning(argv);
    if (std::find(found.begin(), found.end(), pid) != found.end()) return true;
    pause(Milliseconds(10));
  }
  return false;
}

class Harness : public testing::Test {
 protected:
  Harness() {
    char pattern[] = "/tmp/swarmlet-harness-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    scratch = pattern;
  }
  ~Harness() override {
    std::error_code ignored;
    std::filesystem::remove_all(scratch, ignored);
  }
  std::string scratch;
};

TEST_F(Harness, RunCommandCapturesBothOutputsAndTheExitCode) {
  CommandResult result = runCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 7"}, scratch,
                                    Milliseconds(10'000));
  EXPECT_EQ(result.exitCode, 7);
  EXPECT_FALSE(result.timedOut);
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err\n");
  EXPECT_NE(result.describe().find("(exit 7)"), std::string::npos) << result.describe();
}

TEST_F(Harness, RunCommandFeedsItsInput) {
  CommandResult result = runCommand({"/bin/cat"}, scratch, Milliseconds(10'000), "secret data");
  EXPECT_EQ(result.exitCode, 0);
  EXPECT_EQ(result.out, "secret data");
}

TEST_F(Harness, RunCommandKillsACommandAtTheLimit) {
  Clock::time_point start = Clock::now();
  CommandResult result = runCommand({"/bin/sleep", "30"}, scratch, Milliseconds(300));
  EXPECT_TRUE(result.timedOut);
  EXPECT_EQ(result.exitCode, 128 + SIGKILL);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
}

TEST_F(Harness, SpawnedProcessIsFoundByItsCommandLineUntilKilled) {
  std::vector<std::string> argv = {"/bin/sleep", std::to_string(900'000'000 + ::getpid())};
  pid_t pid = spawnProcess(argv, scratch + "/sleep.log");
  ASSERT_TRUE(waitUntilFound(argv, pid));
  EXPECT_FALSE(waitForExit(pid, Milliseconds(100)).has_value()) << "sleep ended early";
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  EXPECT_EQ(waitForExit(pid, Milliseconds(5'000)), 128 + SIGKILL);
  EXPECT_TRUE(processesRunning(argv).empty());
  // The log holds the banner line naming the command.
  EXPECT_NE(readWholeFile(scratch + "/sleep.log").find("=== /bin/sleep"), std::string::npos);
}

TEST_F(Harness, FreePortsAreDistinct) {
  std::set<uint16_t> ports;
  for (int i = 0; i < 20; ++i)
    ports.insert(freePort());
  EXPECT_EQ(ports.size(), 20u);
  EXPECT_EQ(ports.count(0), 0u);
}

TEST_F(Harness, FailedWaitNamesWhatItWaitedForAndWhatItSaw) {
  Cluster cluster;
  testing::AssertionResult result = cluster.eventually(
      "the impossible",
      [&] {
        cluster.note("still impossible");
        return false;
      },
      Milliseconds(300));
  ASSERT_FALSE(result);
  std::string message = result.message();
  EXPECT_NE(message.find("waited 300 ms for the impossible"), std::string::npos) << message;
  EXPECT_NE(message.find("last seen: still impossible"), std::string::npos) << message;
  EXPECT_NE(message.find("task processes (/bin/sleep " + cluster.marker() + ")"), std::string::npos)
      << message;
}

TEST_F(Harness, FailingConditionCountsAsNotYetAndItsErrorIsShown) {
  Cluster cluster;
  int calls = 0;
  testing::AssertionResult result = cluster.eventually(
      "a condition that throws twice",
      [&] {
        if (++calls < 3) throw std::runtime_error("not yet there");
        return true;
      },
      Milliseconds(10'000));
  EXPECT_TRUE(result) << result.message();
  EXPECT_EQ(calls, 3);
  testing::AssertionResult failed = cluster.eventually(
      "a condition that always throws", [&]() -> bool { throw std::runtime_error("broken"); },
      Milliseconds(300));
  ASSERT_FALSE(failed);
  EXPECT_NE(std::string(failed.message()).find("last error: broken"), std::string::npos);
}

// A Cluster's destructor kills its sleepers and anything naming its directory (as task shims
// do), even though it did not start them itself.
TEST_F(Harness, ClusterLeavesNoProcessBehind) {
  std::vector<std::string> sleeper;
  std::vector<std::string> shim;
  std::vector<pid_t> started;
  {
    Cluster cluster;
    sleeper = cluster.sleeper();
    // One process (perl-base is in every Debian) that names the directory, as a shim does; a
    // shell would leave its `sleep` child behind when it is killed.
    shim = {"/usr/bin/perl", "-e", "sleep 1000", cluster.directory() + "/executor/task-1"};
    started.push_back(spawnProcess(sleeper, scratch + "/sleeper.log"));
    started.push_back(spawnProcess(shim, scratch + "/shim.log"));
    ASSERT_TRUE(waitUntilFound(sleeper, started[0]));
    ASSERT_TRUE(waitUntilFound(shim, started[1]));
    EXPECT_EQ(cluster.taskProcesses().size(), 1u);
  }
  for (pid_t pid : started)
    EXPECT_TRUE(waitForExit(pid, Milliseconds(5'000)).has_value()) << pid << " survived";
  EXPECT_TRUE(processesRunning(sleeper).empty());
  EXPECT_TRUE(processesRunning(shim).empty());
}

}  // namespace
}  // namespace swarmlet::e2e
