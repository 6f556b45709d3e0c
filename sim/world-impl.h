// The inside of sim/world.h: hosts, messages and the event loop. Only the world's own .c++ files
// include this header.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/agent/agent.h"
#include "core/manager/manager.h"
#include "core/prng.h"
#include "core/shell/agent-pipeline.h"
#include "core/shell/manager-pipeline.h"
#include "sim/checked-agent.h"
#include "sim/cluster-store.h"
#include "sim/event-queue.h"
#include "sim/executor-model.h"
#include "sim/hash-chain.h"
#include "sim/host-clock.h"
#include "sim/input-mix.h"
#include "sim/manager-checker.h"
#include "sim/workload.h"
#include "sim/world-rules.h"
#include "sim/world.h"

namespace swarmlet::sim {

// --- Messages on the simulated network ------------------------------------------------------

// The words of a message that name what went wrong, without its ids, counts and times (every
// word holding a digit becomes '#'): what --shrink compares where a rule's name alone is too
// broad (which core assertion failed).
std::string maskedHead(const std::string& message);

// The batch numbers of status calls a hostile agent forges (world-inputs.c++): far above any an
// agent sends, so that its shell never takes their answers for its own.
inline constexpr uint64_t FORGED_BATCH_FIRST = uint64_t{1} << 40;

// The agent's shell hung up the connection (or its process died and the kernel reset it).
struct ClosedNotice {};
// From an agent's shell to a manager (forwarded to the leader by a follower): a call of the
// session protocol (core/shell/messages.h) or the connection's close.
using ToManagerMessage = std::variant<shell::AgentCall, ClosedNotice>;
// From the leader back to an agent's shell.
using ToAgentMessage = shell::ManagerMessage;

// --- Events ----------------------------------------------------------------------------------

struct AgentWake {
  uint32_t agent = 0;
  uint64_t incarnation = 0;
};
struct ManagerWake {
  uint32_t manager = 0;
  uint64_t incarnation = 0;
};
struct ArriveAtManager {
  uint32_t manager = 0;  // the manager the agent dialled
  uint32_t agent = 0;
  uint64_t agentIncarnation = 0;
  Generation generation = 0;
  bool forwarded = false;  // already passed through a follower
  ToManagerMessage message;
};
struct ArriveAtAgent {
  uint32_t agent = 0;
  uint64_t incarnation = 0;
  Generation generation = 0;
  ToAgentMessage message;
};
struct ExecutorFinished {
  uint32_t agent = 0;
  uint64_t incarnation = 0;
  TaskId task;
  agent::OperationId operation = 0;
  agent::ExecutorResult result;
};
struct DescribeFinished {
  uint32_t agent = 0;
  uint64_t incarnation = 0;
  RequestId request = 0;
  bool again = false;  // the executor answering the same request a second time
};
struct AgentSynced {
  uint32_t agent = 0;
  uint64_t incarnation = 0;
};
struct ManagerCommitted {
  uint32_t manager = 0;
  uint64_t incarnation = 0;
};
struct Replicated {
  uint64_t term = 0;
  uint64_t upTo = 0;  // replicate the leader's writes up to this sequence number
};
struct FaultBegins {
  Fault fault;
};
struct FaultEnds {
  Fault fault;
};
struct ElectLeader {
  uint64_t term = 0;
};
struct WorkloadStep {};
// One of the inputs of the run's InputMix (world-inputs.c++).
struct InputStep {};
// The node's operator starts its agent again (after fixing its credentials, or a clean stop).
struct AgentRestart {
  uint32_t agent = 0;
  uint64_t incarnation = 0;
};
// The node's operator sees the agent cannot find a manager, and restarts it with a good address.
struct JoinFixed {
  uint32_t agent = 0;
  uint64_t incarnation = 0;
};
// The node stops its agent (after it left the cluster).
struct AgentStopRequest {
  uint32_t agent = 0;
  uint64_t incarnation = 0;
};
struct HealBegins {};
// The heal phase puts back what the workload changed (world-workload.c++).
struct WorkloadRestore {};
struct RunEnds {};
using WorldEvent =
    std::variant<AgentWake, ManagerWake, ArriveAtManager, ArriveAtAgent, ExecutorFinished,
                 DescribeFinished, AgentSynced, ManagerCommitted, Replicated, FaultBegins,
                 FaultEnds, ElectLeader, WorkloadStep, InputStep, WorkloadRestore, AgentStopRequest,
                 AgentRestart, JoinFixed, HealBegins, RunEnds>;

// --- Hosts -----------------------------------------------------------------------------------

// The simulated transport of one session generation; the pipeline keeps what the session is
// doing, this only where it goes and when its calls left (for the statistics).
struct Connection {
  // The manager an address no manager serves reaches: a dial there is refused.
  static constexpr uint32_t NOWHERE = UINT32_MAX;

  Generation generation = 0;
  uint32_t manager = 0;  // the manager dialled, or NOWHERE
  std::optional<Instant> heartbeatSentAt;
  std::optional<Instant> statusSentAt;
};

struct AgentHost {
  uint32_t index = 0;
  HostId host = 0;
  NodeId node;
  std::unique_ptr<CheckedAgent> core;
  bool alive = true;
  bool gone = false;  // left the cluster (or stopped): not coming back
  uint64_t incarnation = 0;
  std::optional<Instant> wakeAt;  // true time
  HostClock clock;
  std::optional<Connection> connection;
  // The shell's rules (group commit, connections, matching answers), shared with production.
  shell::AgentPipeline shell;
  // The simulated store: what the sync in flight writes, and what is durable.
  std::vector<agent::StoreOp> staged;
  agent::StoreSnapshot durable;
  std::vector<Peer> savedManagers;
  std::unique_ptr<ExecutorModel> executor;
  std::map<TaskId, std::pair<agent::OperationId, agent::ExecutorCall>> operations;
  // WAITs on a process that runs on, canceled or not: each returns when its process exits (after
  // a SHUTDOWN), as a real executor's wait does, so a canceled WAIT answers a second time.
  std::map<TaskId, agent::OperationId> waitsOnRunningProcesses;
  // In a late-delivery run: the last assignments the core was given, with their generation, to
  // be given again once a newer session has registered (a late duplicate).
  std::optional<agent::AssignmentsReceived> lastAssignments;
  std::set<SecretId> secrets;
  std::set<ConfigId> configs;
  bool leaving = false;
  // Until its first start's credentials are refused (an InputMix family): then fixed.
  bool badCredentials = false;
  // Until its first start, which names no manager it can dial (an InputMix family).
  bool badJoin = false;
  // Stopped by its operator, to be started again (an InputMix family).
  bool restartAfterStop = false;
};

// An agent's connection as the managers see it, packed into the pipeline's ConnectionId so
// that, among one node's connections, a later incarnation or generation is a greater id.
struct ConnectionRef {
  uint32_t agent = 0;
  uint64_t agentIncarnation = 0;
  Generation generation = 0;
  uint32_t via = 0;  // the manager the agent dialled

  shell::ConnectionId pack() const;
  static ConnectionRef unpack(shell::ConnectionId id);
};

struct ManagerHost {
  uint32_t index = 0;
  HostId host = 0;
  Peer peer;
  bool alive = true;
  uint64_t incarnation = 0;
  std::unique_ptr<manager::Manager> core;  // only on the leader
  std::unique_ptr<ManagerChecker> checker;
  std::optional<Instant> wakeAt;
  // The shell's rules (request ids, group commit, newest connection), shared with production.
  shell::ManagerPipeline shell;
  std::map<RequestId, manager::ControlOperation> controls;
  // Status reports answered so far (an armed leader crash waits for a commit that answers some).
  uint64_t statusesAnswered = 0;
  std::vector<manager::Write> staged;
  // Control requests the API must refuse, with the code their flaw calls for; status calls
  // forged by one node about another's task (world-inputs.c++).
  std::map<RequestId, manager::ControlErrorCode> refusalsExpected;
  std::map<RequestId, TaskId> forgedCalls;
};

class World {
 public:
  World(const WorldConfig& config, const EventSink& sink);
  RunResult run();

 private:
  // world.c++: the loop, time, records, liveness.
  void schedule(Instant at, WorldEvent event) { queue_.push(at, std::move(event)); }
  void dispatch(const WorldEvent& event);
  void record(const std::string& host, std::string what, const std::vector<std::string>& effects,
              uint64_t stateDigest);
  // The run's first violation ends it. `rule` is what --shrink keeps (sim/rules.h's name, or
  // more); `message` says what happened, its rule's name first.
  void violation(const std::string& rule, const std::string& message);
  void violation(Rule rule, const std::string& detail);
  // A checker's violation ("<rule>: <detail>", see sim/rules.h) on the named host.
  void checkerViolation(const std::string& host, const std::string& violation);
  void checkLiveness();
  bool fullCheck(ManagerHost& manager);
  bool fullCheck(AgentHost& agent);
  bool stopped() const { return !result_.passed || finished_; }

  // world-agents.c++: the agents' shells.
  void startAgent(AgentHost& agent, bool restart);
  // Returns how many effects the step produced.
  size_t stepAgent(AgentHost& agent, const agent::Input& input);
  std::optional<std::vector<agent::Effect>> stepAgentCore(AgentHost& agent,
                                                          const agent::Input& input);
  void carryOutEffects(AgentHost& agent, std::vector<agent::Effect> effects);
  // In a late-delivery run: `input`, a completion the core must ignore, goes to the core anyway,
  // and must change nothing.
  void deliverLate(AgentHost& agent, const agent::Input& input);
  void deliverLateArrival(AgentHost& agent, const ArriveAtAgent& arrival);
  void executeAgentOps(AgentHost& agent);
  void executeAgentOp(AgentHost& agent, shell::AgentPortOp& op);
  void sendToManager(AgentHost& agent, ToManagerMessage message);
  void onArriveAtAgent(const ArriveAtAgent& arrival);
  void deliverToAgent(AgentHost& agent, Connection& connection, const agent::Input& input);
  void redeliverSupersededAssignments(AgentHost& agent);
  void onExecutorFinished(const ExecutorFinished& finished);
  void startOperation(AgentHost& agent, const agent::ExecutorOperation& operation);
  void finishWaitOnExit(AgentHost& agent, const TaskId& task);
  void crashAgent(AgentHost& agent);
  void dropConnection(AgentHost& agent, const std::string& why);
  uint64_t channelOf(const AgentHost& agent, Generation generation) const;
  void wakeAgentLater(AgentHost& agent);
  void sampleTaskStates(const AgentHost& agent);

  // world-managers.c++: the managers' shells, the replicated store, leadership.
  void startLeader(uint32_t index);
  void stepManager(ManagerHost& manager, const manager::Input& input);
  void executeManagerOps(ManagerHost& manager);
  void executeManagerOp(ManagerHost& manager, shell::ManagerPortOp& op);
  void onArriveAtManager(const ArriveAtManager& arrival);
  void replyToAgent(ManagerHost& leader, const ConnectionRef& to, ToAgentMessage message);
  void loseLeader(const std::string& why, bool crashed);
  void onElectLeader(const ElectLeader& elect);
  void wakeManagerLater(ManagerHost& manager);
  // Returns the request id, or 0 when no manager leads. `refusal`: the request is invalid, and
  // must be refused with that code (checked when answered, world-inputs.c++).
  RequestId control(manager::ControlOperation operation,
                    std::optional<manager::ControlErrorCode> refusal = std::nullopt);
  void crashManager(ManagerHost& manager);
  void breakSessionsVia(std::optional<uint32_t> manager, const std::string& why);

  // world-faults.c++: faults and the heal phase.
  void beginFault(const Fault& fault);
  void endFault(const Fault& fault);
  void fireArmedLeaderCrash(ManagerHost& leader);
  void heal();
  void applyPartitions();
  void spanBegin(const std::string& host, const std::string& kind);
  void spanEnd(const std::string& host, const std::string& kind, const std::string& label = "");

  // world-workload.c++: the operator's side.
  void workloadStep();
  void createMissingServices();
  void featureStep(const manager::ServiceRecord& service);
  void restartPolicyStep(const manager::ServiceRecord& service);
  void availabilityStep(const manager::ServiceRecord& service);
  void nodeRemovalStep(const manager::ServiceRecord& service);
  void dependencyStep(const manager::ServiceRecord& service);
  void serviceChurnStep(const manager::ServiceRecord& service);
  void globalServiceStep(const manager::ServiceRecord& service);
  std::optional<NodeId> drawNode(Prng& prng);
  void restoreWorkload();

  // world-inputs.c++: the inputs of the run's InputMix, and their rules.
  void inputStep();
  void invalidControlStep();
  void nodeRoleStep();
  void managersListStep();
  void hostileStatusStep();
  void checkRefusal(ManagerHost& manager, RequestId request,
                    const std::optional<manager::ControlError>& error);
  void checkForgedAnswer(ManagerHost& manager, shell::Reply& reply);
  void checkForgedStatuses(const ManagerHost& manager);
  void describeFinished(AgentHost& agent, const DescribeFinished& finished);
  void credentialsRefused(AgentHost& agent, const std::string& error);
  void restartStep();
  void overtakeOpenAnswers(std::vector<shell::ManagerPortOp>& ops);
  void stoppedForRestart(AgentHost& agent);

  WorldConfig config_;
  EventSink sink_;
  Profile profile_;
  std::vector<Fault> schedule_;
  EventQueue<WorldEvent> queue_;
  Network network_;
  Prng workload_;
  Prng world_;
  // Each agent's clock rate and offset, and the offset steps at restarts (the CLOCK family).
  Prng clocks_;
  bool lateDeliveries_ = false;
  WorkloadMix mix_;
  InputMix inputs_;
  Prng inputsPrng_;
  std::vector<ManagerHost> managers_;
  std::vector<AgentHost> agents_;
  std::optional<uint32_t> leader_;
  uint64_t term_ = 0;
  // The replicated cluster store: what a new leader starts from. Writes of the current leader
  // reach it after a replication lag; a leader lost before then loses them.
  manager::ClusterState replicatedStore_;
  std::deque<std::pair<uint64_t, std::vector<manager::Write>>> unreplicated_;
  uint64_t writeSequence_ = 0;
  std::vector<ServiceId> services_;
  RequestId nextControl_ = 0;
  bool healing_ = false;
  bool finished_ = false;
  HashChain chain_;
  RunResult result_;
  // The probes of leaders already gone, and the world's own.
  manager::ManagerProbes lostLeaderProbes_;
  WorldProbes worldProbes_;
  std::map<std::string, Instant> openSpans_;
  std::map<uint32_t, TaskSample> lastTaskSample_;
  std::vector<Fault> activePartitions_;
  // LEADER_CRASH_AFTER_COMMIT faults waiting for the leader's next commit, oldest first.
  std::vector<Fault> armedLeaderCrashes_;
  // What the workload made and the leader confirmed, oldest first.
  std::vector<SecretId> secrets_;
  std::vector<ConfigId> configs_;
  std::optional<ServiceId> globalService_;
  uint64_t secretsMade_ = 0;
  // Forged status calls so far, and the tasks they named (no record may ever hold their status).
  uint64_t forgeries_ = 0;
  std::set<TaskId> forgedTasks_;
};

}  // namespace swarmlet::sim
