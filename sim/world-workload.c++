// The workload of the simulated cluster: the operator's side, through the leader's control API.
// Every seed creates, scales and rolls its replicated services; the seed's WorkloadMix
// (sim/workload.h) adds restart policies, a global service, node availability and removal,
// secrets and configs that change under running tasks, and services removed and created again.
// The heal phase puts back what an operator would (every node active, the default restart
// policy), so the liveness checks can demand the full replica counts.
#include "core/format.h"
#include "sim/world-impl.h"

namespace swarmlet::sim {

using swarmlet::format;

namespace {

manager::RestartPolicy drawRestartPolicy(Prng& prng) {
  manager::RestartPolicy policy;
  policy.condition = static_cast<manager::RestartCondition>(prng.uniform(3));
  policy.delay = prng.uniform(3) == 0 ? Duration() : prng.uniformDuration(Duration::seconds(10));
  policy.maxAttempts = static_cast<int64_t>(prng.uniform(4));
  policy.window = prng.uniform(2) == 0 ? Duration() : Duration::seconds(10 + prng.uniform(50));
  return policy;
}

}  // namespace

void World::workloadStep() {
  Instant now = queue_.now();
  if (healing_ || now >= Instant::origin() + config_.duration) return;
  if (secrets_.empty() && services_.empty()) {
    control(manager::CreateSecret{"database-password", "s3cret"});
    if (mix_.dependencies) control(manager::CreateConfig{"app-config", "listen=8080"});
    schedule(now + Duration::seconds(1), WorkloadStep{});
    return;
  }
  bool features = !(mix_ == WorkloadMix{});
  if (services_.size() < config_.services || (mix_.globalService && !globalService_)) {
    createMissingServices();
  } else if (leader_.has_value()) {
    const ServiceId& id = services_[workload_.uniform(services_.size())];
    const auto& services = managers_[*leader_].core->state().cluster.services;
    auto service = services.find(id);
    if (service != services.end()) {
      uint64_t roll = workload_.uniform(10);
      if (roll < (features ? 3 : 5)) {
        int64_t replicas = 1 + static_cast<int64_t>(workload_.uniform(2 * config_.replicas));
        control(manager::ScaleService{id, replicas});
      } else if (roll < (features ? 5 : 8)) {
        manager::ServiceSpec spec = service->second.spec;
        spec.task.env["VERSION"] = std::to_string(workload_.uniform(1000));
        control(manager::UpdateService{id, spec});
      } else if (features) {
        featureStep(service->second);
      }
    }
  }
  // A seed with features acts more often, so that each gets exercised within a short run.
  Duration next = features
                      ? Duration::seconds(5) + workload_.uniformDuration(Duration::seconds(15))
                      : Duration::seconds(10) + workload_.uniformDuration(Duration::seconds(30));
  schedule(now + next, WorkloadStep{});
}

// Asks once per missing service; the answers record the ids.
void World::createMissingServices() {
  manager::ServiceSpec spec;
  spec.replicas = config_.replicas;
  spec.task.command = "/usr/bin/app";
  spec.task.args = {"--serve"};
  spec.task.env = {{"VERSION", "1"}};
  if (services_.empty() && !secrets_.empty()) spec.task.secrets = {secrets_.back()};
  if (services_.empty() && mix_.dependencies && !configs_.empty()) {
    spec.task.configs = {configs_.back()};
  }
  // Big services roll in larger steps, so an update finishes within the heal phase.
  spec.update.parallelism = 1 + config_.replicas / 10;
  spec.update.delay = Duration::seconds(1);
  for (uint32_t i = 0; i < config_.services; ++i) {
    spec.name = "service-" + std::to_string(i);
    control(manager::CreateService{spec});
  }
  if (mix_.globalService && !globalService_) {
    manager::ServiceSpec global = spec;
    global.name = "global-0";
    global.mode = manager::ServiceMode::GLOBAL;
    global.replicas = 0;
    control(manager::CreateService{global});
  }
}

// One step of a feature the seed's mix turned on, drawn among them.
void World::featureStep(const manager::ServiceRecord& service) {
  std::vector<void (World::*)(const manager::ServiceRecord&)> steps;
  if (mix_.restartPolicies) steps.push_back(&World::restartPolicyStep);
  if (mix_.nodeAvailability) steps.push_back(&World::availabilityStep);
  if (mix_.nodeRemoval) steps.push_back(&World::nodeRemovalStep);
  if (mix_.dependencies) steps.push_back(&World::dependencyStep);
  if (mix_.serviceChurn) steps.push_back(&World::serviceChurnStep);
  if (mix_.globalService) steps.push_back(&World::globalServiceStep);
  (this->*steps[workload_.uniform(steps.size())])(service);
}

void World::restartPolicyStep(const manager::ServiceRecord& service) {
  manager::ServiceSpec spec = service.spec;
  spec.restart = drawRestartPolicy(workload_);
  control(manager::UpdateService{service.id, spec});
}

// A node drawn among the cluster's; nothing when the leader knows none.
std::optional<NodeId> World::drawNode(Prng& prng) {
  const auto& nodes = managers_[*leader_].core->state().cluster.nodes;
  if (nodes.empty()) return std::nullopt;
  auto it = nodes.begin();
  std::advance(it, static_cast<long>(prng.uniform(nodes.size())));
  return it->first;
}

void World::availabilityStep(const manager::ServiceRecord&) {
  std::optional<NodeId> node = drawNode(workload_);
  if (!node) return;
  switch (workload_.uniform(3)) {
    case 0:
      control(manager::DrainNode{*node});
      return;
    case 1:
      control(manager::PauseNode{*node});
      return;
    default:
      control(manager::ActivateNode{*node});
  }
}

// A DOWN node is removed; a live one only with force (one time in four), and its agent then
// registers again as a new node.
void World::nodeRemovalStep(const manager::ServiceRecord&) {
  std::optional<NodeId> node = drawNode(workload_);
  if (!node) return;
  const auto& record = managers_[*leader_].core->state().cluster.nodes.at(*node);
  bool force = workload_.uniform(4) == 0;
  if (record.status != manager::NodeStatus::DOWN && !force) return;
  control(manager::RemoveNode{*node, force});
}

// Secrets and configs change under running tasks: a new secret, a service moved onto it (a
// rolling update), and removals, refused while a service still uses what they name.
void World::dependencyStep(const manager::ServiceRecord& service) {
  switch (workload_.uniform(4)) {
    case 0:
      control(manager::CreateSecret{"database-password-" + std::to_string(++secretsMade_),
                                    "s3cret-" + std::to_string(secretsMade_)});
      return;
    case 1: {
      if (secrets_.empty()) return;
      manager::ServiceSpec spec = service.spec;
      spec.task.secrets = {secrets_.back()};
      if (!configs_.empty()) spec.task.configs = {configs_.back()};
      control(manager::UpdateService{service.id, spec});
      return;
    }
    case 2:
      // Any secret: the newest is often not yet used, and goes.
      if (!secrets_.empty()) {
        control(manager::RemoveSecret{secrets_[workload_.uniform(secrets_.size())]});
      }
      return;
    default:
      if (!configs_.empty()) control(manager::RemoveConfig{configs_.front()});
  }
}

void World::serviceChurnStep(const manager::ServiceRecord& service) {
  control(manager::RemoveService{service.id});
}

// The global service follows the nodes: a drained or removed node loses its task, and gets one
// back when it is active again; here it is rolled like a replicated one.
void World::globalServiceStep(const manager::ServiceRecord&) {
  if (!globalService_) return;
  const auto& services = managers_[*leader_].core->state().cluster.services;
  auto global = services.find(*globalService_);
  if (global == services.end()) return;
  manager::ServiceSpec spec = global->second.spec;
  spec.task.env["VERSION"] = std::to_string(workload_.uniform(1000));
  control(manager::UpdateService{global->first, spec});
}

// In the heal phase, once a leader is up: every node active again, every service back on the
// default restart policy (which also gives units the policy gave up on a fresh start).
void World::restoreWorkload() {
  if (!leader_.has_value()) {
    schedule(queue_.now() + Duration::seconds(5), WorkloadRestore{});
    return;
  }
  const manager::ClusterState& cluster = managers_[*leader_].core->state().cluster;
  std::vector<manager::ControlOperation> operations;
  for (const auto& [id, node] : cluster.nodes) {
    if (node.availability != NodeAvailability::ACTIVE) {
      operations.push_back(manager::ActivateNode{id});
    }
  }
  for (const auto& [id, service] : cluster.services) {
    if (service.spec.restart == manager::RestartPolicy{}) continue;
    manager::ServiceSpec spec = service.spec;
    spec.restart = manager::RestartPolicy{};
    operations.push_back(manager::UpdateService{id, spec});
  }
  for (manager::ControlOperation& operation : operations)
    control(std::move(operation));
  // And the managers list every leader starts with, in case an input changed it
  // (world-inputs.c++).
  if (inputs_.managerLists) {
    std::vector<Peer> list;
    for (const ManagerHost& m : managers_)
      list.push_back(m.peer);
    stepManager(managers_[*leader_], manager::ManagersChanged{list});
  }
}

}  // namespace swarmlet::sim
