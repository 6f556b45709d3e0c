// Drives one core Manager from transcript directives (tests/testdata/manager/*.txt) and prints
// what it does through core/format.h. The harness plays the shell: it executes Persist effects
// into a store (the checker's model), remembers the session each node was given, and restarts
// the manager from that store on `restart`. After every step the manager invariants
// (sim/manager-checker.h) are checked; a violation is printed so the stanza fails.
//
// Directives (each handler's comment gives its syntax):
//   manager, restart, register, heartbeat, status, resync, close, advance,
//   create-service, update-service, scale, remove-service, promote, demote, drain, pause,
//   activate, remove-node, create-secret, remove-secret, create-config, remove-config,
//   nodes, services, tasks, state, deadline
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/manager/manager.h"
#include "sim/manager-checker.h"
#include "tests/transcript/datadriven.h"

namespace swarmlet::transcript {

class ManagerHarness {
 public:
  std::vector<std::string> handle(const Stanza& stanza);

 private:
  std::vector<std::string> handleManager(const Args& args, bool restart);
  std::vector<std::string> handleRegister(const Args& args);
  std::vector<std::string> handleHeartbeat(const Args& args);
  std::vector<std::string> handleStatus(const Args& args, const std::vector<std::string>& input);
  std::vector<std::string> handleAdvance(const Args& args);
  std::vector<std::string> handleCreateService(const Args& args);
  std::vector<std::string> handleUpdateService(const Args& args);
  std::vector<std::string> handleControl(const std::string& directive, const Args& args);
  std::vector<std::string> handleTasks(const Args& args);
  std::vector<std::string> handleNodes();
  std::vector<std::string> handleServices();

  std::vector<std::string> step(const manager::Input& input, bool timed);
  manager::Manager& core();
  std::string onlyWord(const Args& args) const;
  NodeId node(const Args& args) const;
  SessionId sessionOf(const NodeId& node, const Args& args) const;
  ServiceId serviceNamed(const std::string& name) const;
  TaskId taskRef(const std::string& ref) const;
  std::string taskName(const Task& task) const;

  std::unique_ptr<manager::Manager> manager_;
  manager::ManagerConfig config_;
  std::unique_ptr<sim::ManagerChecker> checker_;
  Instant now_;
  RequestId lastRequest_ = 0;
  // The session each node was last given (what its agent would offer when reconnecting).
  std::map<NodeId, SessionId> sessions_;
};

}  // namespace swarmlet::transcript
