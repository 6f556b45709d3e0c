// Faults and the heal phase of the simulated cluster.
#include "core/format.h"
#include "sim/world-impl.h"

namespace swarmlet::sim {

using swarmlet::format;

void World::beginFault(const Fault& fault) {
  if (healing_) return;
  if (fault.kind == FaultKind::LEADER_CRASH_AFTER_COMMIT) {
    record("world", "armed " + format(fault), {}, 0);
    armedLeaderCrashes_.push_back(fault);
    return;
  }
  result_.stats.faultsApplied++;
  record("world", "fault " + format(fault), {}, 0);
  AgentHost* agent = fault.target < agents_.size() ? &agents_[fault.target] : nullptr;
  // An agent whose process has not started yet has nothing to break.
  if (agent != nullptr && !agent->core) agent = nullptr;
  ManagerHost* manager = fault.target < managers_.size() ? &managers_[fault.target] : nullptr;
  Instant end = queue_.now() + fault.length;
  switch (fault.kind) {
    case FaultKind::SESSION_DROP:
      if (agent != nullptr) dropConnection(*agent, "connection reset by peer");
      return;
    case FaultKind::ISOLATE_AGENT:
    case FaultKind::ISOLATE_LEADER:
    case FaultKind::SPLIT_MANAGERS:
    case FaultKind::ONE_WAY:
      activePartitions_.push_back(fault);
      applyPartitions();
      schedule(end, FaultEnds{fault});
      if (fault.kind == FaultKind::ISOLATE_LEADER && managers_.size() >= 3) {
        // The majority elects another leader; the isolated one steps down.
        loseLeader("isolated from the majority", false);
      }
      return;
    case FaultKind::AGENT_CRASH:
      if (agent == nullptr || !agent->alive || agent->gone) return;
      crashAgent(*agent);
      schedule(end, FaultEnds{fault});
      return;
    case FaultKind::MANAGER_CRASH:
      if (manager == nullptr || !manager->alive) return;
      crashManager(*manager);
      schedule(end, FaultEnds{fault});
      return;
    case FaultKind::LEADER_CHANGE:
      loseLeader("leadership moved", false);
      return;
    case FaultKind::PROMOTE:
    case FaultKind::DEMOTE:
      if (agent == nullptr) return;
      if (fault.kind == FaultKind::PROMOTE)
        control(manager::PromoteNode{agent->node});
      else
        control(manager::DemoteNode{agent->node});
      return;
    case FaultKind::LEAVE: {
      uint32_t leaving = 0;
      for (const AgentHost& a : agents_)
        leaving += (a.gone || a.leaving) ? 1 : 0;
      if (agent == nullptr || agent->gone || agent->leaving || !agent->alive) return;
      if (2 * (leaving + 1) > agents_.size()) return;  // keep most of the cluster
      agent->leaving = true;
      stepAgent(*agent, agent::LeaveRequested{});
      return;
    }
    case FaultKind::LEADER_CRASH_AFTER_COMMIT:
      return;  // armed above
    case FaultKind::EXECUTOR_HANG:
      if (agent == nullptr || !agent->alive) return;
      for (const auto& [task, process] : agent->executor->processes()) {
        if (process.started && !process.exited) {
          agent->executor->hang(task);
          return;
        }
      }
      return;
  }
}

// An armed LEADER_CRASH_AFTER_COMMIT fires: the leader has just answered the status reports its
// commit covers, one of its writes holds a task at a settled state, and no follower has the
// writes yet. It restarts after the fault's length, like a
// crash.
void World::fireArmedLeaderCrash(ManagerHost& leader) {
  if (armedLeaderCrashes_.empty() || healing_ || leader_ != leader.index) return;
  Fault fault = armedLeaderCrashes_.front();
  armedLeaderCrashes_.erase(armedLeaderCrashes_.begin());
  result_.stats.faultsApplied++;
  record("world",
         "fault " + format(fault) + ": the leader is manager " + std::to_string(leader.index), {},
         0);
  crashManager(leader);
  schedule(queue_.now() + fault.length,
           FaultEnds{Fault{fault.at, FaultKind::MANAGER_CRASH, leader.index, fault.length}});
}

void World::endFault(const Fault& fault) {
  record("world", "fault over " + format(fault), {}, 0);
  switch (fault.kind) {
    case FaultKind::ISOLATE_AGENT:
    case FaultKind::ISOLATE_LEADER:
    case FaultKind::SPLIT_MANAGERS:
    case FaultKind::ONE_WAY:
      for (auto it = activePartitions_.begin(); it != activePartitions_.end(); ++it) {
        if (*it == fault) {
          activePartitions_.erase(it);
          break;
        }
      }
      applyPartitions();
      return;
    case FaultKind::AGENT_CRASH: {
      AgentHost& agent = agents_[fault.target];
      if (!agent.alive && !agent.gone) startAgent(agent, true);
      return;
    }
    case FaultKind::MANAGER_CRASH: {
      ManagerHost& manager = managers_[fault.target];
      if (manager.alive) return;
      manager.alive = true;
      spanEnd(manager.peer.nodeId.value, "down", "crashed");
      if (!leader_.has_value()) schedule(queue_.now(), ElectLeader{term_});
      return;
    }
    default:
      return;
  }
}

// Overlapping partitions: the cuts are recomputed from every partition still in force.
void World::applyPartitions() {
  network_.healAll();
  std::vector<HostId> managerHosts;
  for (const ManagerHost& m : managers_)
    managerHosts.push_back(m.host);
  for (const Fault& fault : activePartitions_) {
    switch (fault.kind) {
      case FaultKind::ISOLATE_AGENT:
        network_.isolate(agents_[fault.target % agents_.size()].host, managerHosts);
        break;
      case FaultKind::ISOLATE_LEADER: {
        std::vector<HostId> everyone = managerHosts;
        for (const AgentHost& a : agents_)
          everyone.push_back(a.host);
        network_.isolate(managers_[fault.target % managers_.size()].host, everyone);
        break;
      }
      case FaultKind::SPLIT_MANAGERS:
        for (HostId a : managerHosts) {
          for (HostId b : managerHosts) {
            if (a != b) network_.cut(a, b);
          }
        }
        break;
      case FaultKind::ONE_WAY:
        for (HostId m : managerHosts)
          network_.cut(agents_[fault.target % agents_.size()].host, m);
        break;
      default:
        break;
    }
  }
}

void World::heal() {
  healing_ = true;
  record("world", "heal", {}, 0);
  activePartitions_.clear();
  network_.healAll();
  network_.calm();
  for (AgentHost& agent : agents_) {
    agent.executor->calm();
    if (!agent.alive && !agent.gone) startAgent(agent, true);
  }
  for (ManagerHost& manager : managers_) {
    if (!manager.alive) {
      manager.alive = true;
      spanEnd(manager.peer.nodeId.value, "down", "healed");
    }
  }
  if (!leader_.has_value()) schedule(queue_.now(), ElectLeader{term_});
  schedule(queue_.now() + Duration::seconds(10), WorkloadRestore{});
}

void World::spanBegin(const std::string& host, const std::string& kind) {
  openSpans_.try_emplace(host + " " + kind, queue_.now());
}

void World::spanEnd(const std::string& host, const std::string& kind, const std::string& label) {
  auto it = openSpans_.find(host + " " + kind);
  if (it == openSpans_.end()) return;
  result_.timeline.push_back(Span{host, kind, it->second, queue_.now(), label});
  openSpans_.erase(it);
}

}  // namespace swarmlet::sim
