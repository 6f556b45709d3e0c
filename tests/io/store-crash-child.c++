// The child of the crash test: opens the agent store in DIR on the real file system, checks
// what an earlier child left (tests/io/store-crash-workload.h), then makes the numbered group
// commits that follow, one synced batch each, and writes "ack <n>" on stdout after each one
// returns, until it is killed (or after crash::COMMITS_MAX commits).
//
//   store-crash-child DIR     first line: "start none" or "start <last commit found>"
//                             or "error <what is wrong>" (exit 1)
#include <unistd.h>

#include <string>

#include "io/agent-store.h"
#include "tests/io/store-crash-workload.h"

namespace {

namespace crash = swarmlet::io::test::crash;

// Unbuffered, so that an acknowledged commit is on the pipe before the next one starts.
void say(const std::string& text) {
  std::string line = text + "\n";
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = write(STDOUT_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) _exit(3);
    done += static_cast<size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    say("error usage: store-crash-child DIR");
    return 2;
  }
  auto opened = swarmlet::io::LevelDbStore::open(argv[1], swarmlet::io::StoreKind::AGENT);
  if (!opened.ok()) {
    say("error " + opened.error().message);
    return 1;
  }
  swarmlet::io::AgentStore store(*opened.value());
  auto restored = store.restore();
  if (!restored.ok()) {
    say("error " + restored.error().message);
    return 1;
  }
  crash::Verdict verdict = crash::check(restored.value().tasks);
  if (!verdict.problem.empty()) {
    say("error " + verdict.problem);
    return 1;
  }
  say("start " + (verdict.lastCommit ? std::to_string(*verdict.lastCommit) : "none"));
  uint64_t next = verdict.lastCommit ? *verdict.lastCommit + 1 : 0;
  for (uint64_t commit = next; commit < next + crash::COMMITS_MAX; ++commit) {
    auto failed = store.commit(crash::opsOf(commit));
    if (failed.has_value()) {
      say("error " + failed->message);
      return 1;
    }
    say("ack " + std::to_string(commit));
  }
  return 0;
}
