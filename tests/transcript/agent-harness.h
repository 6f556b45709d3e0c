// Drives one core Agent from transcript directives (tests/testdata/agent/*.txt) and prints what
// it does through core/format.h. After every step the session invariants (sim/agent-checker.h)
// are checked; a violation is printed into the output so the stanza fails.
//
// Directives (each handler's comment gives its syntax):
//   agent, advance, wait, open-ok, open-fail, stream-end, message, heartbeat-ok, heartbeat-fail,
//   described, leave, stop, state, deadline
// and for the work half (agent-harness-work.c++; tests/testdata/agent-work/*.txt):
//   assign, done, ack, send-fail, restart, store, tasks
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/checked-agent.h"
#include "tests/transcript/datadriven.h"

namespace swarmlet::transcript {

class AgentHarness {
 public:
  std::vector<std::string> handle(const Stanza& stanza);

 private:
  std::vector<std::string> handleAgent(const Args& args);
  std::vector<std::string> handleAdvance(const Args& args);
  std::vector<std::string> handleOpenOk(const Args& args);
  std::vector<std::string> handleFailure(const std::string& directive, const Args& args);
  std::vector<std::string> handleMessage(const Args& args);
  std::vector<std::string> handleHeartbeatOk(const Args& args);
  std::vector<std::string> handleDescribed(const Args& args);
  std::vector<std::string> handleState();

  // Steps the agent, checks the invariants, tracks outstanding requests, and returns the
  // narration: one line per effect (prefixed with the time when `timed`), then a line for a new
  // session generation.
  std::vector<std::string> step(const agent::Input& input, bool timed);
  sim::CheckedAgent& agent();
  Generation generationArg(const Args& args, std::optional<Generation> outstanding,
                           const char* what) const;

  // Work half (agent-harness-work.c++): the directive, or nullopt when it is not one of them.
  std::optional<std::vector<std::string>> handleWork(const Stanza& stanza);
  std::vector<std::string> handleAssign(const Args& args, const std::vector<std::string>& input);
  std::vector<std::string> handleDone(const Args& args);
  std::vector<std::string> handleStatusAnswer(const std::string& directive, const Args& args);
  std::vector<std::string> handleRestart(const Args& args);
  std::vector<std::string> handleStore();
  std::vector<std::string> handleTasks();
  // An effect as printed: one line, or a header and indented lines for Persist and
  // SendStatuses.
  std::vector<std::string> effectLines(const agent::Effect& effect) const;
  // Tracks executor operations and status batches, for the directives that answer them.
  void trackWork(const agent::Input& input, const std::vector<agent::Effect>& effects);

  std::unique_ptr<sim::CheckedAgent> agent_;
  // Executor operations in flight by task, and the last status batch sent.
  std::map<TaskId, agent::ExecutorOperation> operations_;
  std::optional<agent::SendStatuses> lastSend_;
  // The resultsIn of the last assignments message given, for the next INCREMENTAL's appliesTo.
  std::string lastResultsIn_;
  int assignmentsGiven_ = 0;
  Instant now_;
  std::optional<Generation> opening_;
  std::optional<Generation> heartbeat_;
  std::optional<RequestId> describe_;
};

}  // namespace swarmlet::transcript
