// Rolling updates: when a service's task template changes, its live tasks running the old
// template are replaced `parallelism` at a time (stop first, then start the new one in the same
// slot or on the same node); the next batch starts `delay` after every new task of the previous
// batch is running (or has finished).
#include <kj/debug.h>

#include <algorithm>

#include "core/manager/manager.h"

namespace swarmlet::manager {

void Manager::rollingUpdate(const ServiceRecord& service, const std::vector<Task*>& tasks) {
  std::vector<const Task*> outdated;
  size_t inFlight = 0;
  for (const Task* record : tasks) {
    const Task& task = *record;
    if (!isLive(task)) continue;
    if (task.spec != service.spec.task) {
      outdated.push_back(&task);
    } else if (task.status.state < TaskState::RUNNING) {
      ++inFlight;
    }
  }
  auto& updates = state_.orchestrator.updates;
  if (outdated.empty()) {
    updates.erase(service.id);
    return;
  }
  RollingUpdate& update = updates[service.id];
  if (update.batchActive) {
    if (inFlight > 0) return;
    update.batchActive = false;
    update.notBefore = now_ + service.spec.update.delay;
  }
  if (inFlight > 0 || now_ < update.notBefore) return;
  std::sort(outdated.begin(), outdated.end(), [](const Task* a, const Task* b) {
    return std::tie(a->slot, a->nodeId) < std::tie(b->slot, b->nodeId);
  });
  size_t parallelism = static_cast<size_t>(service.spec.update.parallelism);
  size_t count = parallelism == 0 ? outdated.size() : std::min(parallelism, outdated.size());
  // Copy what is needed before the first change: stopping may delete a task record.
  std::vector<std::pair<TaskId, UnitKey>> batch;
  for (size_t i = 0; i < count; ++i) {
    batch.emplace_back(outdated[i]->id, unitOf(*outdated[i], service.spec.mode));
  }
  for (const auto& [id, unit] : batch) {
    stopTask(id);
    createTask(service, unit.slot, unit.node);
  }
  probes_.hit(ManagerProbe::ROLLING_UPDATE_BATCH);
  update.batchActive = true;
  KJ_ASSERT(!batch.empty());
}

}  // namespace swarmlet::manager
