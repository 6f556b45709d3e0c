// Safety invariants of one manager core, checked after every step from the outside: the input,
// the effects it produced (in order) and the resulting state. It keeps its own model of the store,
// built only from Persist effects, so it can tell whether what an agent or a caller is shown was
// durable first. The same checker runs after every transcript stanza's steps, in the property
// test and (later) after every simulator event.
//
// Checked (docs/manager.md, "Invariants"):
//   - after every step the manager's records equal the store model (nothing left unpersisted);
//   - a stored task status never moves backwards, nor does a desired state;
//   - a task is newly placed (ASSIGNED) only on a node the store holds READY and ACTIVE;
//   - at most one live task (desired state up to RUNNING) per slot, or per node for global
//     services; no live task of a removed service;
//   - every task, secret and config sent in an assignment message equals the stored record; a
//     REMOVE names a deleted task; a session answer follows the write that made its node READY;
//     an acknowledged status is stored (or its task is gone); a created id exists in the store;
//   - each assignment stream starts with COMPLETE, then chains INCREMENTALs by appliesTo/resultsIn,
//     at most limits::INCREMENTAL_CHANGES_MAX changes each;
//   - heartbeat periods lie in [period - epsilon, period + epsilon); a node goes DOWN only after
//     3 (6 after a restart) minimal periods without a heartbeat;
//   - at most 3 new sessions per node in chains of registrations less than 8 s apart.
//
// Not thread-safe; one checker per manager (it survives the manager's restarts).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/manager/effect.h"
#include "core/manager/input.h"
#include "core/manager/state.h"
#include "sim/rules.h"

namespace swarmlet::sim {

class ManagerChecker {
 public:
  // The whole-cluster checks (the manager's records equal the persisted store; at most one live
  // task per slot or node) cost time in proportion to the cluster. With `fullCheckEvery` 1 (the
  // default, for transcripts and property tests) they run after every step. Otherwise, for large
  // simulations, every step that persisted is checked incrementally, in proportion to what it
  // wrote: each written record equals the manager's, the record counts agree, and every unit a
  // written task occupies holds at most one live task (on the store model, kept indexed); the
  // whole-cluster checks then run after a Start, and every `fullCheckEvery` steps or every
  // (records / 8) steps, whichever is longer, so that their cost per step stays bounded. A
  // change that bypasses the store (a record edited in memory, not persisted) is still caught,
  // by the next full check; checkAll() runs them at the end of a run.
  explicit ManagerChecker(Duration heartbeatPeriod, uint32_t fullCheckEvery = 1);

  // The whole-cluster checks, now (a simulation calls this at the end of its run).
  void checkAll(const manager::ManagerState& state);

  void observe(Instant now, const manager::Input& input,
               const std::vector<manager::Effect>& effects, const manager::ManagerState& state);

  // The store as the checker rebuilt it from Persist effects (what a restart restores).
  const manager::ClusterState& store() const { return store_; }
  // The store a manager is about to start from when it is not the one this checker saw the
  // writes of (a new leader starting from the replicated store, which may lack the old leader's
  // last writes). Start must then restore exactly this.
  void expectStore(manager::ClusterState store);
  manager::StoreSnapshot snapshot() const;

  const std::vector<std::string>& violations() const { return violations_; }

 private:
  struct Stream {
    SessionId sessionId;
    std::string lastResultsIn;  // empty until the COMPLETE
  };

  void onStart(Instant now, const manager::Start& start);
  void checkPersist(Instant now, const manager::Persist& persist);
  void checkPutTask(const Task& task);
  void checkDown(Instant now, const manager::NodeRecord& node);
  void checkSessionAnswer(Instant now, const manager::SessionAnswer& answer);
  void checkRateLimit(const NodeId& node, Instant requested);
  void checkAssignments(const manager::SendAssignments& send);
  void checkStatusesAnswer(const manager::StatusesAnswer& answer);
  void checkControlAnswer(const manager::ControlAnswer& answer);
  void checkUnits(const manager::ManagerState& state);
  void checkMirror(const manager::ManagerState& state);
  void checkTouched(const manager::ManagerState& state);
  // The live-unit index of store_, the checker's own (it never asks the core which unit a task
  // occupies): rebuilt whole when a Start replaces the store, otherwise updated for one task
  // record, or for one service's live tasks when that service is created, changes mode or is
  // removed.
  struct Unit {
    ServiceId service;
    uint64_t slot = 0;
    NodeId node;

    auto operator<=>(const Unit&) const = default;
  };
  static Unit unitFor(const Task& task, manager::ServiceMode mode);
  void rebuildUnits();
  void unindexTask(const Task& stored);
  void indexTask(const Task& task);
  void placeInUnit(const Task& task);
  void liftFromUnit(const TaskId& id);
  void reindexService(const ServiceId& service);
  void fail(Rule rule, const std::string& detail);

  Duration period_;
  uint32_t fullCheckEvery_ = 1;
  uint64_t steps_ = 0;
  uint64_t sinceFullCheck_ = 0;
  // What the persisting step being observed wrote (ids by record kind).
  std::set<std::pair<int, std::string>> touched_;
  // Live tasks of store_ by service (stored or not), by the unit they occupy, the unit of each,
  // and the live tasks whose service is not stored.
  std::map<ServiceId, std::set<TaskId>> liveByService_;
  std::map<Unit, std::set<TaskId>> units_;
  std::map<TaskId, Unit> unitOfTask_;
  std::set<TaskId> orphans_;
  manager::ClusterState store_;
  std::vector<std::string> violations_;
  std::map<NodeId, Stream> streams_;
  // When each node last proved alive (registration or heartbeat answered).
  std::map<NodeId, Instant> lastAlive_;
  std::optional<Instant> restartedAt_;
  // Successful new registrations per node, in the current chain (gaps < 8 s).
  std::map<NodeId, std::vector<Instant>> registrationChains_;
  std::map<NodeId, SessionId> lastSession_;
  // When each registration was requested: the rate limit counts request times.
  std::map<RequestId, Instant> registrationRequests_;
  std::map<RequestId, std::vector<TaskStatusUpdate>> statusCalls_;
};

}  // namespace swarmlet::sim
