// The event loop of the simulated cluster, its records (hash chain, trace) and the liveness
// checks at the end of a run.
#include "sim/world.h"

#include <kj/exception.h>

#include <chrono>

#include "core/format.h"
#include "sim/world-impl.h"

namespace swarmlet::sim {

using swarmlet::format;
namespace {

// Independent PRNG streams of a run (Prng::deriveSeed(seed, stream)).
constexpr uint64_t NETWORK_STREAM = 1;
constexpr uint64_t WORKLOAD_STREAM = 2;
constexpr uint64_t WORLD_STREAM = 3;
constexpr uint64_t CLOCKS_STREAM = 4;
// Its own stream, so that the choice leaves every other draw of the run as it was.
constexpr uint64_t LATE_STREAM = 5;
// The InputMix's own draws (which node, which request, when); 6 and 7 draw the mixes themselves.
constexpr uint64_t INPUTS_STREAM = 8;
// A clock runs at most this far off true time, in parts per million, whatever the profile says.
constexpr int64_t CLOCK_PPM_MAX = 100'000;

// A task written at a settled state (running, or an end state): its agent reports nothing newer
// until something changes the task, so if the write is lost, only the re-report after the next
// registration brings it back.
bool writesSettledStatus(const std::vector<manager::Write>& writes) {
  for (const manager::Write& write : writes) {
    const auto* put = std::get_if<manager::Put>(&write);
    const Task* task = put == nullptr ? nullptr : std::get_if<Task>(&put->record);
    if (task != nullptr && task->status.state >= TaskState::RUNNING) return true;
  }
  return false;
}

}  // namespace

Profile profileFor(const WorldConfig& config) {
  Profile profile = drawProfile(config.seed, config.faults);
  for (FaultFamily family : config.disabledFamilies)
    profile[family] = FamilySettings{};
  return profile;
}

InputMix inputsFor(const WorldConfig& config) {
  InputMix inputs = drawInputMix(config.seed, quietInputs(config.faults));
  for (const std::string& name : config.disabledInputs)
    disableInput(inputs, name);
  return inputs;
}

RunResult runWorld(const WorldConfig& config, const EventSink& sink) {
  World world(config, sink);
  return world.run();
}

World::World(const WorldConfig& config, const EventSink& sink)
    : config_(config),
      sink_(sink),
      profile_(profileFor(config)),
      schedule_(config.schedule.has_value()
                    ? *config.schedule
                    : drawFaultSchedule(config.seed, profile_, config.duration, config.agents,
                                        config.managers)),
      network_(profile_, Prng::deriveSeed(config.seed, NETWORK_STREAM)),
      workload_(Prng::deriveSeed(config.seed, WORKLOAD_STREAM)),
      world_(Prng::deriveSeed(config.seed, WORLD_STREAM)),
      clocks_(Prng::deriveSeed(config.seed, CLOCKS_STREAM)),
      lateDeliveries_(Prng(Prng::deriveSeed(config.seed, LATE_STREAM)).uniform(2) == 1),
      inputsPrng_(Prng::deriveSeed(config.seed, INPUTS_STREAM)) {
  result_.lateDeliveries = lateDeliveries_;
  mix_ = drawWorkloadMix(config.seed);
  result_.workload = mix_;
  inputs_ = inputsFor(config);
  result_.inputs = inputs_;
  KJ_REQUIRE(config.managers >= 1 && config.agents >= 1, "a cluster needs a manager and an agent");
  for (uint32_t i = 0; i < config.managers; ++i) {
    ManagerHost host;
    host.index = i;
    host.host = i;
    host.peer =
        Peer{NodeId{"manager-" + std::to_string(i)}, "10.0.0." + std::to_string(i + 1) + ":4242"};
    managers_.push_back(std::move(host));
  }
  for (uint32_t i = 0; i < config.agents; ++i) {
    AgentHost host;
    host.index = i;
    host.host = config.managers + i;
    host.node = NodeId{"node-" + std::to_string(i)};
    host.executor =
        std::make_unique<ExecutorModel>(profile_, Prng::deriveSeed(config.seed, 10'000 + i));
    // Drawn whether or not CLOCK is on, so that switching it leaves the other draws alone.
    const FamilySettings& clock = profile_[FaultFamily::CLOCK];
    int64_t ppmMax = std::min<int64_t>(static_cast<int64_t>(clock.rate * 1e6), CLOCK_PPM_MAX);
    int64_t ppm =
        static_cast<int64_t>(clocks_.uniform(2 * static_cast<uint64_t>(ppmMax) + 1)) - ppmMax;
    Duration offset = clocks_.uniformDuration(Duration::seconds(600));
    if (clock.enabled) host.clock = HostClock(offset, ppm);
    agents_.push_back(std::move(host));
  }
  if (inputs_.badCredentials) agents_[inputsPrng_.uniform(agents_.size())].badCredentials = true;
  if (inputs_.badJoin) agents_[inputsPrng_.uniform(agents_.size())].badJoin = true;
  result_.profile = profile_;
  result_.schedule = schedule_;
}

RunResult World::run() {
  auto started = std::chrono::steady_clock::now();
  startLeader(0);
  for (AgentHost& agent : agents_) {
    Instant at = Instant::origin() + world_.uniformDuration(Duration::seconds(1));
    schedule(at, AgentWake{agent.index, 0});
  }
  schedule(Instant::origin() + Duration::milliseconds(500), WorkloadStep{});
  schedule(Instant::origin() + Duration::seconds(3), InputStep{});
  for (const Fault& fault : schedule_)
    schedule(fault.at, FaultBegins{fault});
  schedule(Instant::origin() + config_.duration, HealBegins{});
  schedule(Instant::origin() + config_.duration + config_.healPeriod, RunEnds{});
  while (!queue_.empty() && !stopped()) {
    auto entry = queue_.pop();
    result_.stats.events++;
    // A core's own assertion is a bug found like any other: reported with the run's seed and
    // shrunk by its rule, never a crash of the whole sweep.
    try {
      dispatch(entry.payload);
    } catch (const kj::Exception& e) {
      std::string description = e.getDescription().cStr();
      const RuleInfo& rule = ruleInfo(Rule::WORLD_CORE_ASSERTIONS_HOLD);
      violation(std::string(rule.name) + ": " + maskedHead(description),
                violationOf(rule.rule, std::string(e.getFile()) + ":" +
                                           std::to_string(e.getLine()) + ": " + description));
      break;
    }
    if (config_.wallBudgetSeconds > 0 && result_.stats.events % 4096 == 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >
            config_.wallBudgetSeconds) {
      result_.truncated = true;
      break;
    }
  }
  result_.simulated = queue_.now() - Instant::origin();
  result_.traceHash = chain_.value();
  result_.stats.network = network_.counters();
  result_.probes = emptyTally();
  for (const AgentHost& agent : agents_) {
    if (agent.core) addTo(result_.probes, agent.core->probes());
  }
  for (const ManagerHost& manager : managers_) {
    if (manager.core) addTo(result_.probes, manager.core->probes());
  }
  addTo(result_.probes, lostLeaderProbes_);
  addTo(result_.probes, worldProbes_);
  for (const auto& [key, begin] : openSpans_) {
    size_t space = key.find(' ');
    result_.timeline.push_back(
        Span{key.substr(0, space), key.substr(space + 1), begin, queue_.now(), ""});
  }
  result_.wallSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result_;
}

void World::dispatch(const WorldEvent& event) {
  std::visit(
      [this](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, AgentWake>) {
          AgentHost& agent = agents_[e.agent];
          if (e.incarnation == 0 && !agent.core) {
            startAgent(agent, false);
          } else if (agent.alive && agent.core && e.incarnation == agent.incarnation &&
                     agent.wakeAt == queue_.now()) {
            agent.wakeAt.reset();
            stepAgent(agent, agent::Tick{});
          }
        } else if constexpr (std::is_same_v<E, ManagerWake>) {
          ManagerHost& manager = managers_[e.manager];
          if (manager.alive && manager.core && e.incarnation == manager.incarnation &&
              manager.wakeAt == queue_.now()) {
            manager.wakeAt.reset();
            stepManager(manager, manager::Tick{});
          }
        } else if constexpr (std::is_same_v<E, ArriveAtManager>) {
          onArriveAtManager(e);
        } else if constexpr (std::is_same_v<E, ArriveAtAgent>) {
          onArriveAtAgent(e);
        } else if constexpr (std::is_same_v<E, ExecutorFinished>) {
          onExecutorFinished(e);
        } else if constexpr (std::is_same_v<E, DescribeFinished>) {
          AgentHost& agent = agents_[e.agent];
          if (agent.alive && e.incarnation == agent.incarnation) describeFinished(agent, e);
        } else if constexpr (std::is_same_v<E, AgentSynced>) {
          AgentHost& agent = agents_[e.agent];
          if (!agent.alive || e.incarnation != agent.incarnation) return;
          for (const agent::StoreOp& op : agent.staged)
            agent::applyStoreOp(agent.durable, op);
          agent.staged.clear();
          agent.shell.synced();
          executeAgentOps(agent);
        } else if constexpr (std::is_same_v<E, ManagerCommitted>) {
          ManagerHost& manager = managers_[e.manager];
          // A leader that lost its term without crashing dropped its pipeline and staged writes.
          if (!manager.alive || e.incarnation != manager.incarnation) return;
          if (!manager.shell.committing()) return;
          bool settled = writesSettledStatus(manager.staged);
          unreplicated_.emplace_back(++writeSequence_, std::move(manager.staged));
          manager.staged.clear();
          Duration lag =
              Duration::milliseconds(1) + world_.uniformDuration(profile_.replicationLagMax);
          schedule(queue_.now() + lag, Replicated{term_, writeSequence_});
          manager.shell.committed();
          uint64_t answered = manager.statusesAnswered;
          executeManagerOps(manager);
          if (manager.statusesAnswered != answered && settled) fireArmedLeaderCrash(manager);
        } else if constexpr (std::is_same_v<E, Replicated>) {
          if (e.term != term_) return;  // that leader's unreplicated writes were lost
          while (!unreplicated_.empty() && unreplicated_.front().first <= e.upTo) {
            for (const manager::Write& write : unreplicated_.front().second) {
              applyWrite(replicatedStore_, write);
            }
            unreplicated_.pop_front();
          }
        } else if constexpr (std::is_same_v<E, FaultBegins>) {
          beginFault(e.fault);
        } else if constexpr (std::is_same_v<E, FaultEnds>) {
          endFault(e.fault);
        } else if constexpr (std::is_same_v<E, ElectLeader>) {
          onElectLeader(e);
        } else if constexpr (std::is_same_v<E, WorkloadStep>) {
          workloadStep();
        } else if constexpr (std::is_same_v<E, InputStep>) {
          inputStep();
        } else if constexpr (std::is_same_v<E, AgentRestart>) {
          AgentHost& agent = agents_[e.agent];
          if (!agent.alive && !agent.gone && e.incarnation == agent.incarnation) {
            startAgent(agent, true);
          }
        } else if constexpr (std::is_same_v<E, JoinFixed>) {
          AgentHost& agent = agents_[e.agent];
          if (agent.alive && !agent.gone && e.incarnation == agent.incarnation) {
            worldProbes_.hit(WorldProbe::BAD_JOIN_FIXED);
            crashAgent(agent);
            startAgent(agent, true);
          }
        } else if constexpr (std::is_same_v<E, WorkloadRestore>) {
          restoreWorkload();
        } else if constexpr (std::is_same_v<E, AgentStopRequest>) {
          AgentHost& agent = agents_[e.agent];
          if (agent.alive && !agent.gone && e.incarnation == agent.incarnation) {
            stepAgent(agent, agent::StopRequested{});
          }
        } else if constexpr (std::is_same_v<E, HealBegins>) {
          heal();
        } else if constexpr (std::is_same_v<E, RunEnds>) {
          for (AgentHost& agent : agents_) {
            if (!fullCheck(agent)) return;
          }
          checkLiveness();
          finished_ = true;
        }
      },
      event);
}

void World::record(const std::string& host, std::string what,
                   const std::vector<std::string>& effects, uint64_t stateDigest) {
  uint64_t link = chain_.add(host + " " + what, stateDigest);
  if (config_.recordChain) {
    result_.chain.push_back(link);
    result_.chainEvents.push_back(formatInstant(queue_.now()) + " " + host + " " + what);
  }
  if (sink_) {
    sink_(EventRecord{chain_.length(), queue_.now(), host, std::move(what), effects, link});
  }
}

void World::violation(const std::string& rule, const std::string& message) {
  if (!result_.passed) return;
  result_.passed = false;
  result_.rule = rule;
  result_.violation = message;
  result_.violationAt = queue_.now();
}

void World::violation(Rule rule, const std::string& detail) {
  violation(std::string(ruleInfo(rule).name), violationOf(rule, detail));
}

void World::checkerViolation(const std::string& host, const std::string& violation) {
  size_t end = violation.find(": ");
  std::string rule = violation.substr(0, end);
  std::string detail = end == std::string::npos ? std::string() : violation.substr(end + 2);
  this->violation(rule, rule + ": " + host + ": " + detail);
}

// The manager checker's whole-cluster checks run on a schedule in big runs (see ManagerChecker);
// a leader's run ends (the heal phase over, or the leader lost) with them, so nothing it did is
// left unchecked.
bool World::fullCheck(ManagerHost& manager) {
  if (!manager.core || !manager.checker) return true;
  size_t violationsBefore = manager.checker->violations().size();
  manager.checker->checkAll(manager.core->state());
  if (manager.checker->violations().size() == violationsBefore) return true;
  const std::string& first = manager.checker->violations()[violationsBefore];
  checkerViolation(manager.peer.nodeId.value, first);
  return false;
}

// The agents' work checkers compare memory with the store in full on a schedule (see
// WorkerChecker); the run ends with that comparison for every agent still holding its memory.
bool World::fullCheck(AgentHost& agent) {
  if (!agent.core) return true;  // a dead agent's memory is that of its last step
  size_t violationsBefore = agent.core->violations().size();
  agent.core->checkAll();
  if (agent.core->violations().size() == violationsBefore) return true;
  const std::string& first = agent.core->violations()[violationsBefore];
  checkerViolation(agent.node.value, first);
  return false;
}

void World::checkLiveness() {
  if (leader_.has_value() && !fullCheck(managers_[*leader_])) return;
  std::vector<LiveAgent> live;
  for (const AgentHost& agent : agents_) {
    if (!agent.gone) live.push_back(LiveAgent{&agent.node, &agent.core->state()});
  }
  const manager::ManagerState* cluster =
      leader_.has_value() ? &managers_[*leader_].core->state() : nullptr;
  if (std::optional<Broken> broken = firstBrokenLiveness(cluster, live)) {
    violation(broken->rule, broken->detail);
  }
}

}  // namespace swarmlet::sim
