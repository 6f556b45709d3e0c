// End-to-end dispatch without RPC: one manager core and N agent cores in one loop, every effect
// delivered at once as the input it becomes on the other side (docs/protocol.md), executor calls
// answered at once (WAIT never ends: a started task stays RUNNING), store writes taken as durable.
// Each iteration starts from N registered agents, creates a replicated service of 10 tasks per
// agent and runs until the manager holds every task RUNNING. Time is simulated: when nothing is
// left to deliver it jumps to the earliest deadline, so the figure is the cores' CPU (and this
// loop's), not the batch intervals. Items: tasks RUNNING; targets in ../shared/design/targets.md.
#include <benchmark/benchmark.h>
#include <kj/debug.h>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/agent/agent.h"
#include "core/manager/manager.h"

namespace swarmlet {
namespace {

constexpr int TASKS_PER_AGENT = 10;
// A run that has not converged after this many simulated seconds is a bug in the loop or a core.
constexpr Duration CONVERGE_LIMIT = Duration::seconds(120);

const Peer MANAGER{NodeId{"manager-1"}, "10.0.0.1:4242"};

struct ToManager {
  manager::Input input;
};
struct ToAgent {
  size_t agent = 0;
  agent::Input input;
};
using Delivery = std::variant<ToManager, ToAgent>;

// One manager, `agents` agent cores, and the messages between them.
class Cluster {
 public:
  explicit Cluster(size_t agents)
      : manager_(manager::ManagerConfig{1, {MANAGER}, Duration::seconds(5)}) {
    manager_.step(now_, manager::Start{});
    drainManager();
    for (size_t i = 0; i < agents; ++i) {
      nodes_.push_back(Node{std::make_unique<agent::Agent>(agent::AgentConfig{i + 2}),
                            NodeId{"node-" + std::to_string(i)},
                            0,
                            {}});
      NodeDescription description{nodes_[i].id.value, "linux/amd64", 2000, int64_t{1} << 30, {}};
      stepAgent(i, agent::Start{description, {MANAGER}, NodeRole::WORKER, {}});
      byNode_[nodes_[i].id] = i;
    }
    runUntil([this] { return registered() == nodes_.size(); });
  }

  // Creates a service of `replicas` tasks and runs until the manager has them all RUNNING.
  void dispatch(int64_t replicas) {
    manager::ServiceSpec spec;
    spec.name = "web-" + std::to_string(++services_);
    spec.replicas = replicas;
    spec.task.command = "/bin/server";
    spec.task.args = {"--port", "80"};
    queue_.push_back(ToManager{manager::Control{++request_, manager::CreateService{spec}}});
    runUntil([this, replicas] { return running() == static_cast<size_t>(replicas); });
  }

  // Removes every service and runs until their tasks are gone from the agents.

  uint64_t statusUpdates() const { return statusUpdates_; }

 private:
  struct Node {
    std::unique_ptr<agent::Agent> core;
    NodeId id;
    Generation generation = 0;
    SessionId session;
  };
  // Who waits for a manager answer: the agent and the session generation it asked on.
  struct Caller {
    size_t agent = 0;
    Generation generation = 0;
    BatchId batch = 0;
  };

  template <typename Done>
  void runUntil(Done done) {
    const Instant limit = now_ + CONVERGE_LIMIT;
    for (;;) {
      while (!queue_.empty()) {
        Delivery delivery = std::move(queue_.front());
        queue_.pop_front();
        deliver(std::move(delivery));
      }
      if (done()) return;
      KJ_REQUIRE(now_ < limit, "the cluster did not converge");
      advance();
    }
  }

  // Moves time to the earliest deadline and ticks every core due then.
  void advance() {
    Instant next = now_ + Duration::seconds(1);
    KJ_IF_MAYBE (d, manager_.nextDeadline()) {
      if (*d < next) next = *d;
    }
    for (const Node& node : nodes_) {
      KJ_IF_MAYBE (d, node.core->nextDeadline()) {
        if (*d < next) next = *d;
      }
    }
    if (next > now_) now_ = next;
    stepManager(manager::Tick{});
    for (size_t i = 0; i < nodes_.size(); ++i) {
      KJ_IF_MAYBE (d, nodes_[i].core->nextDeadline()) {
        if (*d <= now_) stepAgent(i, agent::Tick{});
      }
    }
  }

  void deliver(Delivery&& delivery) {
    if (auto* toManager = std::get_if<ToManager>(&delivery)) {
      stepManager(std::move(toManager->input));
    } else {
      auto& toAgent = std::get<ToAgent>(delivery);
      stepAgent(toAgent.agent, std::move(toAgent.input));
    }
  }

  void stepManager(const manager::Input& input) {
    manager_.step(now_, input);
    drainManager();
  }

  void drainManager() {
    for (manager::Effect& effect : manager_.takeEffects())
      std::visit([this](auto& e) { managerEffect(e); }, effect);
  }

  void managerEffect(manager::Persist&) {}
  void managerEffect(manager::ControlAnswer& answer) {
    KJ_REQUIRE(!answer.error.has_value(), answer.error->message);
  }
  void managerEffect(manager::SessionAnswer& answer) {
    Caller caller = takeCaller(answer.request);
    if (answer.error.has_value()) {
      queue_.push_back(
          ToAgent{caller.agent, agent::SessionFailed{caller.generation, *answer.error}});
      return;
    }
    nodes_[caller.agent].session = answer.sessionId;
    queue_.push_back(ToAgent{caller.agent, agent::SessionOpened{caller.generation, answer.sessionId,
                                                                std::move(answer.message)}});
  }
  void managerEffect(manager::HeartbeatAnswer& answer) {
    Caller caller = takeCaller(answer.request);
    if (answer.error.has_value()) {
      queue_.push_back(
          ToAgent{caller.agent, agent::HeartbeatFailed{caller.generation, *answer.error}});
    } else {
      queue_.push_back(
          ToAgent{caller.agent, agent::HeartbeatAcked{caller.generation, answer.period}});
    }
  }
  void managerEffect(manager::StatusesAnswer& answer) {
    Caller caller = takeCaller(answer.request);
    if (answer.error.has_value()) {
      queue_.push_back(ToAgent{
          caller.agent, agent::StatusesFailed{caller.generation, caller.batch, *answer.error}});
    } else {
      queue_.push_back(
          ToAgent{caller.agent, agent::StatusesAcked{caller.generation, caller.batch}});
    }
  }
  void managerEffect(manager::SendSessionMessage& send) {
    size_t agent = byNode_.at(send.node);
    queue_.push_back(ToAgent{
        agent, agent::SessionMessageReceived{nodes_[agent].generation, std::move(send.message)}});
  }
  void managerEffect(manager::SendAssignments& send) {
    size_t agent = byNode_.at(send.node);
    queue_.push_back(ToAgent{
        agent, agent::AssignmentsReceived{nodes_[agent].generation, std::move(send.message)}});
  }
  void managerEffect(manager::EndSession& end) {
    size_t agent = byNode_.at(end.node);
    queue_.push_back(ToAgent{agent, agent::SessionFailed{nodes_[agent].generation, end.error}});
  }

  void stepAgent(size_t index, agent::Input&& input) {
    Node& node = nodes_[index];
    node.core->step(now_, std::move(input));
    for (agent::Effect& effect : node.core->takeEffects())
      std::visit([this, index](auto& e) { agentEffect(index, e); }, effect);
  }

  void agentEffect(size_t index, agent::OpenSession& open) {
    Node& node = nodes_[index];
    node.generation = open.generation;
    callers_[++request_] = Caller{index, open.generation, 0};
    queue_.push_back(ToManager{manager::SessionRequested{request_, node.id, open.previousSessionId,
                                                         std::move(open.description)}});
  }
  void agentEffect(size_t index, agent::CloseSession&) {
    Node& node = nodes_[index];
    queue_.push_back(ToManager{manager::SessionClosed{node.id, node.session}});
  }
  void agentEffect(size_t index, agent::SendHeartbeat& heartbeat) {
    callers_[++request_] = Caller{index, heartbeat.generation, 0};
    queue_.push_back(
        ToManager{manager::HeartbeatReceived{request_, nodes_[index].id, heartbeat.sessionId}});
  }
  void agentEffect(size_t index, agent::SendStatuses& send) {
    callers_[++request_] = Caller{index, send.generation, send.batch};
    statusUpdates_ += send.updates.size();
    queue_.push_back(ToManager{manager::StatusesReceived{request_, nodes_[index].id, send.sessionId,
                                                         std::move(send.updates)}});
  }
  void agentEffect(size_t index, agent::ResyncAssignments& resync) {
    queue_.push_back(ToManager{manager::ResyncRequested{nodes_[index].id, resync.sessionId}});
  }
  void agentEffect(size_t index, agent::DescribeNode& describe) {
    NodeDescription description{nodes_[index].id.value, "linux/amd64", 2000, int64_t{1} << 30, {}};
    queue_.push_back(ToAgent{index, agent::NodeDescribed{describe.request, description}});
  }
  // The instant executor: every call succeeds at once, except WAIT, which ends only when it is
  // cancelled (the task runs until it is shut down).
  void agentEffect(size_t index, agent::ExecutorOperation& operation) {
    if (operation.call == agent::ExecutorCall::WAIT) return;
    queue_.push_back(
        ToAgent{index, agent::ExecutorDone{operation.taskId, operation.operation, {}}});
  }
  void agentEffect(size_t index, agent::CancelOperation& cancel) {
    agent::ExecutorResult canceled{agent::ErrorClass::CANCELED, std::nullopt, "canceled"};
    queue_.push_back(
        ToAgent{index, agent::ExecutorDone{cancel.taskId, cancel.operation, canceled}});
  }
  template <typename Other>
  void agentEffect(size_t, Other&) {}

  Caller takeCaller(RequestId request) {
    auto it = callers_.find(request);
    KJ_REQUIRE(it != callers_.end(), "an answer to no call", request);
    Caller caller = it->second;
    callers_.erase(it);
    return caller;
  }

  size_t registered() const {
    size_t ready = 0;
    for (const auto& [id, node] : manager_.state().cluster.nodes)
      ready += node.status == manager::NodeStatus::READY;
    return ready;
  }

  size_t running() const {
    size_t count = 0;
    for (const auto& [id, task] : manager_.state().cluster.tasks) {
      count += task.desiredState == TaskState::RUNNING && task.status.state == TaskState::RUNNING;
    }
    return count;
  }

  manager::Manager manager_;
  Instant now_;
  RequestId request_ = 0;
  uint64_t services_ = 0;
  uint64_t statusUpdates_ = 0;
  std::vector<Node> nodes_;
  std::map<NodeId, size_t> byNode_;
  std::map<RequestId, Caller> callers_;
  std::deque<Delivery> queue_;
};

// Arg: agents. Each iteration: a service of 10 tasks per agent, created to every task RUNNING.
// The cluster is built (agents registered) and torn down outside the timed part.
void BM_DispatchToRunningNoRpc(benchmark::State& state) {
  const auto agents = static_cast<size_t>(state.range(0));
  const auto replicas = static_cast<int64_t>(agents) * TASKS_PER_AGENT;
  uint64_t statuses = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto cluster = std::make_unique<Cluster>(agents);
    uint64_t before = cluster->statusUpdates();
    state.ResumeTiming();
    cluster->dispatch(replicas);
    state.PauseTiming();
    statuses += cluster->statusUpdates() - before;
    cluster.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * replicas);
  state.counters["statuses"] =
      benchmark::Counter(static_cast<double>(statuses), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DispatchToRunningNoRpc)
    ->ArgName("agents")
    ->Arg(100)
    ->Arg(1000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace swarmlet

BENCHMARK_MAIN();
