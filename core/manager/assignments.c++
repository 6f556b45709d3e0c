// Assignment and session streams (spec 6.5 `Assignments`, `Session`): a COMPLETE set first, then
// INCREMENTAL changes batched by a quiet period and capped per message, chained by appliesTo and
// resultsIn. Everything here runs after the step's commit, so an agent only ever sees persisted
// records.
#include <kj/debug.h>

#include <algorithm>
#include <string>

#include "core/limits.h"
#include "core/manager/manager.h"

namespace swarmlet::manager {
namespace {

// Tasks from ASSIGNED on belong to the node's assignment set.
bool visibleToAgent(const Task& task) {
  return task.status.state >= TaskState::ASSIGNED;
}

// What the agent acts on: everything but the status it reports itself (SwarmKit's
// TasksEqualStable).
bool sameForAgent(const Task& a, const Task& b) {
  return a.id == b.id && a.serviceId == b.serviceId && a.slot == b.slot && a.nodeId == b.nodeId &&
         a.spec == b.spec && a.desiredState == b.desiredState && a.version == b.version;
}

bool hasDependencies(const Task& task) {
  return !task.spec.secrets.empty() || !task.spec.configs.empty();
}

}  // namespace

// A change the agent would not see (its own status) neither marks the task nor restarts the quiet
// period, even while an earlier change of the task is pending.
void Manager::noteTaskChange(const NodeId& node, const TaskId& id, const Task* before,
                             const Task* after) {
  auto it = state_.registry.find(node);
  if (it == state_.registry.end()) return;
  AssignmentStream& stream = it->second.stream;
  if (!stream.open || stream.completeDue) return;
  bool visible = after != nullptr && visibleToAgent(*after);
  if (before != nullptr && after != nullptr && visibleToAgent(*before) == visible &&
      sameForAgent(*before, *after)) {
    return;
  }
  auto sent = stream.sentTasks.find(id);
  bool changed = visible ? sent == stream.sentTasks.end() || !sameForAgent(sent->second, *after)
                         : sent != stream.sentTasks.end();
  if (!changed) return;
  stream.dirty.insert(id);
  setQuietUntil(node, now_ + limits::ASSIGNMENT_QUIET_PERIOD);
  if (stream.dirty.size() >= limits::INCREMENTAL_CHANGES_MAX) {
    if (streamsOverCap_.insert(node).second) probes_.hit(ManagerProbe::INCREMENTAL_OVER_CAP);
  }
}

void Manager::setQuietUntil(const NodeId& node, std::optional<Instant> until) {
  auto it = state_.registry.find(node);
  if (it == state_.registry.end()) return;
  AssignmentStream& stream = it->second.stream;
  if (stream.quietUntil.has_value()) quietDeadlines_.erase({*stream.quietUntil, node});
  stream.quietUntil = until;
  if (until.has_value()) quietDeadlines_.insert({*until, node});
}

void Manager::sendDueAssignments() {
  for (const NodeId& node : completesDue_)
    sendComplete(node);
  completesDue_.clear();
  std::set<NodeId> overCap = std::move(streamsOverCap_);
  streamsOverCap_.clear();
  for (const NodeId& node : overCap) {
    auto it = state_.registry.find(node);
    if (it != state_.registry.end() && it->second.stream.open && !it->second.stream.completeDue) {
      sendIncremental(node);
    }
  }
  while (!quietDeadlines_.empty() && quietDeadlines_.begin()->first <= now_) {
    NodeId node = quietDeadlines_.begin()->second;  // a copy: sending erases the entry
    size_t before = quietDeadlines_.size();
    sendIncremental(node);
    KJ_ASSERT(quietDeadlines_.size() < before, "a quiet deadline outlived its stream", node.value);
  }
}

void Manager::sendComplete(const NodeId& node) {
  RegisteredNode& registered = state_.registry.at(node);
  AssignmentStream& stream = registered.stream;
  KJ_ASSERT(stream.open && stream.completeDue, node.value);
  stream.completeDue = false;
  stream.sentTasks.clear();
  stream.sentSecrets.clear();
  stream.sentConfigs.clear();
  stream.dirty.clear();
  setQuietUntil(node, std::nullopt);
  std::vector<AssignmentChange> taskChanges;
  auto byNode = tasksByNode_.find(node);
  if (byNode != tasksByNode_.end()) {
    for (const TaskId& id : byNode->second) {
      const Task& task = state_.cluster.tasks.at(id);
      if (!visibleToAgent(task)) continue;
      stream.sentTasks.emplace(id, task);
      for (const SecretId& secret : task.spec.secrets) {
        if (state_.cluster.secrets.count(secret)) stream.sentSecrets.insert(secret);
      }
      for (const ConfigId& config : task.spec.configs) {
        if (state_.cluster.configs.count(config)) stream.sentConfigs.insert(config);
      }
      taskChanges.push_back(AssignmentChange{AssignmentAction::UPDATE, task});
    }
  }
  AssignmentsMessage message{AssignmentType::COMPLETE, "", std::to_string(++stream.sequence), {}};
  for (const SecretId& id : stream.sentSecrets) {
    message.changes.push_back({AssignmentAction::UPDATE, state_.cluster.secrets.at(id)});
  }
  for (const ConfigId& id : stream.sentConfigs) {
    message.changes.push_back({AssignmentAction::UPDATE, state_.cluster.configs.at(id)});
  }
  for (AssignmentChange& change : taskChanges)
    message.changes.push_back(std::move(change));
  effects_.add(SendAssignments{node, registered.sessionId, std::move(message)});
}

// The changes since the last message, dependencies before the tasks that need them and removed
// after the tasks that used them, split into messages of at most INCREMENTAL_CHANGES_MAX.
void Manager::sendIncremental(const NodeId& node) {
  RegisteredNode& registered = state_.registry.at(node);
  AssignmentStream& stream = registered.stream;
  KJ_ASSERT(stream.open && !stream.completeDue, node.value);
  setQuietUntil(node, std::nullopt);
  const ClusterState& cluster = state_.cluster;
  std::vector<AssignmentChange> updates, removes;
  bool dependenciesMayChange = !stream.sentSecrets.empty() || !stream.sentConfigs.empty();
  for (const TaskId& id : stream.dirty) {
    auto it = cluster.tasks.find(id);
    bool visible =
        it != cluster.tasks.end() && it->second.nodeId == node && visibleToAgent(it->second);
    auto sent = stream.sentTasks.find(id);
    if (visible) {
      dependenciesMayChange = dependenciesMayChange || hasDependencies(it->second);
      if (sent != stream.sentTasks.end() && sameForAgent(sent->second, it->second)) continue;
      updates.push_back({AssignmentAction::UPDATE, it->second});
      stream.sentTasks.insert_or_assign(id, it->second);
    } else if (sent != stream.sentTasks.end()) {
      Task removed;
      removed.id = id;
      removes.push_back({AssignmentAction::REMOVE, removed});
      stream.sentTasks.erase(sent);
    }
  }
  stream.dirty.clear();
  std::vector<AssignmentChange> changes;
  if (dependenciesMayChange) {
    std::set<SecretId> secrets;
    std::set<ConfigId> configs;
    for (const auto& [id, task] : stream.sentTasks) {
      for (const SecretId& s : task.spec.secrets) {
        if (cluster.secrets.count(s)) secrets.insert(s);
      }
      for (const ConfigId& c : task.spec.configs) {
        if (cluster.configs.count(c)) configs.insert(c);
      }
    }
    for (const SecretId& id : secrets) {
      if (!stream.sentSecrets.count(id))
        changes.push_back({AssignmentAction::UPDATE, cluster.secrets.at(id)});
    }
    for (const ConfigId& id : configs) {
      if (!stream.sentConfigs.count(id))
        changes.push_back({AssignmentAction::UPDATE, cluster.configs.at(id)});
    }
    changes.insert(changes.end(), updates.begin(), updates.end());
    changes.insert(changes.end(), removes.begin(), removes.end());
    for (const SecretId& id : stream.sentSecrets) {
      if (!secrets.count(id)) changes.push_back({AssignmentAction::REMOVE, Secret{id, "", ""}});
    }
    for (const ConfigId& id : stream.sentConfigs) {
      if (!configs.count(id)) changes.push_back({AssignmentAction::REMOVE, Config{id, "", ""}});
    }
    stream.sentSecrets = std::move(secrets);
    stream.sentConfigs = std::move(configs);
  } else {
    changes = std::move(updates);
    changes.insert(changes.end(), removes.begin(), removes.end());
  }
  for (size_t begin = 0; begin < changes.size(); begin += limits::INCREMENTAL_CHANGES_MAX) {
    size_t end = std::min(changes.size(), begin + limits::INCREMENTAL_CHANGES_MAX);
    AssignmentsMessage message{AssignmentType::INCREMENTAL,
                               std::to_string(stream.sequence),
                               std::to_string(stream.sequence + 1),
                               {}};
    ++stream.sequence;
    message.changes.assign(changes.begin() + begin, changes.begin() + end);
    effects_.add(SendAssignments{node, registered.sessionId, std::move(message)});
  }
}

// Role and availability changes reach the node on its session stream.
void Manager::sendNodeUpdates() {
  for (const NodeId& id : nodeInfoChanged_) {
    auto registered = state_.registry.find(id);
    auto node = state_.cluster.nodes.find(id);
    if (registered == state_.registry.end() || node == state_.cluster.nodes.end()) continue;
    if (!registered->second.stream.open) continue;
    NodeInfo info = nodeInfo(node->second);
    if (registered->second.sentNodeInfo == info) continue;
    registered->second.sentNodeInfo = info;
    effects_.add(SendSessionMessage{id, registered->second.sessionId, sessionMessage(id)});
  }
  nodeInfoChanged_.clear();
}

void Manager::handleManagersChanged(const ManagersChanged& changed) {
  if (changed.managers == config_.managers) return;
  probes_.hit(ManagerProbe::MANAGERS_CHANGED);
  config_.managers = changed.managers;
  for (const auto& [id, registered] : state_.registry) {
    if (!registered.stream.open) continue;
    effects_.add(SendSessionMessage{id, registered.sessionId, sessionMessage(id)});
  }
}

bool Manager::namedManager(const NodeId& id) const {
  return std::any_of(config_.managers.begin(), config_.managers.end(),
                     [&](const Peer& peer) { return peer.nodeId == id; });
}

SessionMessage Manager::sessionMessage(const NodeId& id) const {
  SessionMessage message;
  for (const Peer& peer : config_.managers) {
    message.managers.push_back(WeightedPeer{peer, limits::REMOTE_WEIGHT_DEFAULT});
  }
  auto node = state_.cluster.nodes.find(id);
  if (node != state_.cluster.nodes.end()) message.node = nodeInfo(node->second);
  return message;
}

}  // namespace swarmlet::manager
