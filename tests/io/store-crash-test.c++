// kill -9 of a process in the middle of its group commits, on the real file system: a child
// (store-crash-child) commits numbered batches and acknowledges each on a pipe; the test kills
// it with SIGKILL at a random point, reopens the store and checks that every acknowledged
// commit is there, that at most the one commit in flight is there beyond them, and that every
// commit is all or nothing. Several rounds on one directory: each child resumes where the last
// one's store ends.
#include <gtest/gtest.h>
#include <signal.h>
#include <time.h>

#include <random>
#include <string>

#include "io/agent-store.h"
#include "tests/io/store-crash-workload.h"
#include "tests/io/store-test-util.h"

namespace swarmlet::io {
namespace {

namespace crash = test::crash;

// What the parent finds in the directory: the verdict of crash::check.
crash::Verdict inspect(const std::string& dir) {
  auto opened = LevelDbStore::open(dir, StoreKind::AGENT);
  if (!opened.ok()) return {{}, "reopen failed: " + opened.error().message};
  AgentStore store(*opened.value());
  auto restored = store.restore();
  if (!restored.ok()) return {{}, "restore failed: " + restored.error().message};
  return crash::check(restored.value().tasks);
}

// Parses "ack <n>"; std::nullopt for any other line.
std::optional<uint64_t> ackOf(const std::string& line) {
  if (line.rfind("ack ", 0) != 0) return std::nullopt;
  return std::stoull(line.substr(4));
}

TEST(StoreCrash, EveryAcknowledgedCommitSurvivesSigkillAndNoneIsTorn) {
  test::TempDir temp;
  const std::string dir = temp.path() + "/state";
  std::mt19937_64 prng(20260101);
  std::optional<uint64_t> lastAck;
  int inFlightSurvived = 0;
  constexpr int ROUNDS = 5;
  for (int round = 0; round < ROUNDS; ++round) {
    test::Child child({test::helperPath("store-crash-child"), dir});
    const std::string start = child.readLine();
    ASSERT_EQ(start, "start " + (lastAck ? std::to_string(*lastAck) : "none")) << "round " << round;

    // Let it acknowledge a random number of commits, then kill it at a random moment of the
    // next ones (mostly inside a commit: the fsync dominates).
    const uint64_t acks = 20 + prng() % 80;
    for (uint64_t i = 0; i < acks; ++i) {
      auto ack = ackOf(child.readLine());
      ASSERT_TRUE(ack.has_value()) << "round " << round;
      ASSERT_EQ(*ack, lastAck ? *lastAck + 1 : 0);
      lastAck = ack;
    }
    timespec pause{0, static_cast<long>(prng() % 3'000'000)};
    nanosleep(&pause, nullptr);
    child.killHard();
    // Acknowledgements written before the kill and not read yet count too.
    for (std::string line = child.readLine(); !line.empty(); line = child.readLine()) {
      auto ack = ackOf(line);
      ASSERT_TRUE(ack.has_value()) << line;
      ASSERT_EQ(*ack, *lastAck + 1);
      lastAck = ack;
    }
    int status = child.wait();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "round " << round;

    crash::Verdict verdict = inspect(dir);
    ASSERT_EQ(verdict.problem, "") << "round " << round;
    ASSERT_TRUE(verdict.lastCommit.has_value());
    EXPECT_GE(*verdict.lastCommit, *lastAck) << "an acknowledged commit was lost";
    EXPECT_LE(*verdict.lastCommit, *lastAck + 1) << "a commit appeared that was never made";
    if (*verdict.lastCommit == *lastAck + 1) ++inFlightSurvived;
    lastAck = verdict.lastCommit;
  }
  // For the log: how often the kill came after LevelDB had the in-flight batch.
  std::printf("%d of %d kills left the commit in flight durable; last commit %llu\n",
              inFlightSurvived, ROUNDS, static_cast<unsigned long long>(*lastAck));
}

}  // namespace
}  // namespace swarmlet::io
