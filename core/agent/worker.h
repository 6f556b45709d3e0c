// The worker (SwarmKit agent/worker.go, reworked): restoring tasks from the store at Start,
// following the assignment stream (COMPLETE sets reconcile everything, INCREMENTAL ones apply
// changes; a gap asks for a resync instead of applying), installing dependencies before tasks,
// and removing tasks that are no longer assigned: shut down, removed by the executor, and only
// then deleted from the store (SwarmKit deletes first and leaks the task on a crash, #2277).
//
// The Agent applies these rules in worker.c++; the pure helpers are declared here so tests and
// checkers use the same definitions. Values only; thread-safe as functions.
#pragma once

#include <map>

#include "core/agent/effect.h"
#include "core/agent/state.h"
#include "core/task.h"

namespace swarmlet::agent {

// True when an assignment brings nothing new: everything but the status is equal (SwarmKit's
// TasksEqualStable).
bool sameAssignment(const Task& a, const Task& b);

// Applies the secrets and configs of `message` to the installed sets: a COMPLETE replaces them
// with its UPDATE items, an INCREMENTAL removes its REMOVE items and then adds its UPDATE
// items. Returns what the executor must do to match, in id order; empty when nothing changed.
UpdateDependencies applyDependencyChanges(std::map<SecretId, Secret>& secrets,
                                          std::map<ConfigId, Config>& configs,
                                          const AssignmentsMessage& message);

bool isEmpty(const UpdateDependencies& update);

}  // namespace swarmlet::agent
