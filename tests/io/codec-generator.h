// Seeded random values that the codec must carry unchanged: every field drawn across its whole
// valid range, lengths up to their bounds, optional parts present or absent. Shared by the
// codec's round-trip property test (tests/io/codec-test.c++) and the fuzz corpus generator
// (tests/fuzz/make-corpus.c++). A value type: copying it forks the stream; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/agent/store.h"
#include "core/manager/effect.h"
#include "core/manager/input.h"
#include "core/manager/store.h"
#include "core/prng.h"
#include "core/shell/messages.h"
#include "core/task.h"
#include "core/types.h"
#include "io/codec-control.h"
#include "io/record-codec.h"

namespace swarmlet::io::testing {

class ValueGenerator {
 public:
  explicit ValueGenerator(uint64_t seed) : prng_(seed) {}

  // Primitives.
  bool coin() { return prng_.uniform(2) == 0; }
  uint64_t below(uint64_t bound) { return prng_.uniform(bound); }
  int64_t anyInt64() { return static_cast<int64_t>(prng_.next()); }
  // A length in [0, max]: mostly short, sometimes the bound itself.
  size_t length(size_t max);
  std::string id();
  std::string optionalId();
  std::string address();
  // Any bytes (NUL and non-UTF-8 included), at most `max`.
  std::string bytes(size_t max);
  // Any bytes but NUL, at least one, at most `max` (a map key).
  std::string key(size_t max);

  // Core values.
  Peer peer();
  WeightedPeer weightedPeer();
  NodeDescription nodeDescription();
  NodeInfo nodeInfo();
  EncryptionKey encryptionKey();
  SessionMessage sessionMessage();
  RpcError rpcError();
  TaskState taskState();
  TaskSpec taskSpec();
  TaskStatus taskStatus();
  Task task();
  Secret secret();
  Config config();
  AssignmentChange assignmentChange();
  AssignmentsMessage assignmentsMessage();
  TaskStatusUpdate taskStatusUpdate();
  manager::NodeRecord nodeRecord();
  // A spec the manager could have stored (records refuse any other).
  manager::ServiceSpec serviceSpec();
  manager::ServiceRecord serviceRecord();

  // Protocol messages, in the canonical form a decoder gives back (an error reply carries
  // nothing else).
  shell::OpenSessionCall openSessionCall();
  shell::SessionReply sessionReply();
  shell::HeartbeatReply heartbeatReply();
  shell::StatusesCall statusesCall(const SessionId& session);
  shell::StatusesReply statusesReply();
  shell::SessionPush sessionPush();
  shell::AssignmentsPush assignmentsPush();
  shell::SessionEnd sessionEnd();

  // Control API values (the answer's request is 0: it never crosses the wire).
  manager::ControlOperation controlOperation();
  manager::ControlError controlError();
  manager::ControlAnswer controlAnswer();
  TaskFilter taskFilter();
  SecretInfo secretInfo();
  ConfigInfo configInfo();

  // Store records.
  agent::StoredTask storedTask();
  std::vector<Peer> peers();
  manager::Record managerRecord();
  StoreMeta storeMeta();

 private:
  template <typename T, typename Make>
  std::vector<T> some(size_t max, Make make);

  Prng prng_;
};

}  // namespace swarmlet::io::testing
