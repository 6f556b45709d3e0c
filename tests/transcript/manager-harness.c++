#include "tests/transcript/manager-harness.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "core/format.h"
#include "core/limits.h"

namespace swarmlet::transcript {
namespace {

using namespace manager;

[[noreturn]] void fail(const std::string& message) {
  throw std::runtime_error(message);
}

Peer parsePeer(const std::string& text) {
  size_t at = text.find('@');
  if (at == std::string::npos) return Peer{NodeId{}, text};
  return Peer{NodeId{text.substr(0, at)}, text.substr(at + 1)};
}

RestartCondition parseCondition(const std::string& text) {
  if (text == "any") return RestartCondition::ANY;
  if (text == "on-failure") return RestartCondition::ON_FAILURE;
  if (text == "none") return RestartCondition::NONE;
  fail("not a restart condition (any, on-failure, none): " + text);
}

constexpr size_t LIST_MAX = 12;

const std::vector<std::string> SPEC_KEYS = {
    "name",    "replicas",      "command",      "args",   "env",         "secrets",     "configs",
    "restart", "restart-delay", "max-attempts", "window", "parallelism", "update-delay"};

std::string headerOf(const SendAssignments& send) {
  SendAssignments header = send;
  header.message.changes.clear();
  std::string text = format(Effect(header));
  const std::string empty = " changes=()";
  if (text.size() >= empty.size() &&
      text.compare(text.size() - empty.size(), empty.size(), empty) == 0) {
    text.resize(text.size() - empty.size());
  }
  return text + " changes=" + std::to_string(send.message.changes.size());
}

// Declared here, defined below the harness's handlers that use it.
void applySpecArgs(const Args& args, const ClusterState& cluster, ServiceSpec& spec);

}  // namespace

manager::Manager& ManagerHarness::core() {
  if (!manager_) fail("no manager yet: start with `manager`");
  return *manager_;
}

std::vector<std::string> ManagerHarness::handle(const Stanza& stanza) {
  const std::string& d = stanza.directive;
  const Args& args = stanza.args;
  if (d == "manager") return handleManager(args, false);
  if (d == "restart") return handleManager(args, true);
  if (d == "register") return handleRegister(args);
  if (d == "heartbeat") return handleHeartbeat(args);
  if (d == "status") return handleStatus(args, stanza.input);
  // resync NODE [session=S]: the agent asks for a fresh COMPLETE set.
  if (d == "resync") return step(ResyncRequested{node(args), sessionOf(node(args), args)}, false);
  // close NODE [session=S]: the agent's session stream ended.
  if (d == "close") return step(SessionClosed{node(args), sessionOf(node(args), args)}, false);
  // managers-changed managers=(m1@addr,...): the shell's list of managers changed; a restart keeps
  // the new one.
  if (d == "managers-changed") {
    ManagersChanged changed;
    for (const auto& item : args.list("managers"))
      changed.managers.push_back(parsePeer(item));
    config_.managers = changed.managers;
    return step(changed, false);
  }
  if (d == "advance") return handleAdvance(args);
  if (d == "create-service") return handleCreateService(args);
  if (d == "update-service") return handleUpdateService(args);
  if (d == "tasks") return handleTasks(args);
  if (d == "nodes") return handleNodes();
  if (d == "services") return handleServices();
  // state: the one-line summary.
  if (d == "state") return {format(core().state())};
  // deadline: when the manager next needs a tick.
  if (d == "deadline") {
    KJ_IF_MAYBE (deadline, core().nextDeadline()) {
      return {formatInstant(*deadline)};
    }
    return {"none"};
  }
  return handleControl(d, args);
}

// manager seed=N [managers=(m1@addr,...)] [period=5s] | restart [seed=N]
// `restart` builds a new manager from what was persisted (a restart or leader change).
std::vector<std::string> ManagerHarness::handleManager(const Args& args, bool restart) {
  args.expectOnly({"seed", "managers", "period"});
  if (restart != (manager_ != nullptr)) fail(restart ? "no manager to restart" : "manager exists");
  if (!restart) {
    if (args.has("managers")) {
      for (const auto& item : args.list("managers"))
        config_.managers.push_back(parsePeer(item));
    }
    if (args.has("period")) config_.heartbeatPeriod = args.duration("period");
    Duration period =
        args.has("period") ? config_.heartbeatPeriod : limits::MANAGER_HEARTBEAT_PERIOD;
    checker_ = std::make_unique<sim::ManagerChecker>(period);
  }
  config_.seed = static_cast<uint64_t>(args.integer("seed"));
  manager_ = std::make_unique<manager::Manager>(config_);
  sessions_.clear();
  return step(Start{checker_->snapshot()}, false);
}

// register NODE [hostname=H] [resume | session=S]: the node opens a session.
std::vector<std::string> ManagerHarness::handleRegister(const Args& args) {
  args.expectOnly({"hostname", "session"});
  NodeId id = node(args);
  SessionRequested request{++lastRequest_, id, {}, NodeDescription{}};
  request.description.hostname = args.string("hostname", id.value);
  std::vector<std::string> words = args.words();
  if (std::find(words.begin(), words.end(), "resume") != words.end()) {
    request.previousSessionId = sessions_.count(id) ? sessions_[id] : SessionId{};
  } else if (args.has("session")) {
    request.previousSessionId = SessionId{args.string("session")};
  }
  return step(request, false);
}

// heartbeat NODE [session=S|none]
std::vector<std::string> ManagerHarness::handleHeartbeat(const Args& args) {
  args.expectOnly({"session"});
  return step(HeartbeatReceived{++lastRequest_, node(args), sessionOf(node(args), args)}, false);
}

// status NODE [session=S], then one update per input line: TASK STATE ["message"]
// TASK is web.1 (slot 1 of service web), web@n1 (global service web on n1) or a task id.
std::vector<std::string> ManagerHarness::handleStatus(const Args& args,
                                                      const std::vector<std::string>& input) {
  args.expectOnly({"session"});
  StatusesReceived statuses{++lastRequest_, node(args), sessionOf(node(args), args), {}};
  for (const std::string& line : input) {
    std::istringstream words(line);
    std::string ref, stateName, message;
    words >> ref >> stateName;
    std::getline(words, message);
    if (!message.empty() && message.front() == ' ') message.erase(0, 1);
    std::optional<TaskState> state = parseTaskState(stateName);
    if (!state.has_value()) fail("not a task state: " + stateName);
    statuses.updates.push_back(
        TaskStatusUpdate{taskRef(ref), TaskStatus{*state, now_, message, "", std::nullopt}});
  }
  return step(statuses, false);
}

// advance DURATION: moves time forward, ticking the manager at each deadline on the way.
std::vector<std::string> ManagerHarness::handleAdvance(const Args& args) {
  Instant target = now_ + parseDuration(onlyWord(args));
  std::vector<std::string> output;
  for (;;) {
    Instant next;
    KJ_IF_MAYBE (d, core().nextDeadline()) {
      next = *d;
    } else {
      break;
    }
    if (next > target) break;
    now_ = next;
    for (auto& line : step(Tick{}, true))
      output.push_back(std::move(line));
  }
  now_ = target;
  return output;
}

namespace {

// The optional spec keys shared by create-service and update-service; secrets and configs are
// named (an unknown name is passed on as an id, for the manager to refuse).
void applySpecArgs(const Args& args, const ClusterState& cluster, ServiceSpec& spec) {
  if (args.has("name")) spec.name = args.string("name");
  if (args.has("replicas")) spec.replicas = args.integer("replicas");
  if (args.has("command")) spec.task.command = args.string("command");
  if (args.has("args")) spec.task.args = args.list("args");
  if (args.has("env")) {
    spec.task.env.clear();
    for (const auto& item : args.list("env")) {
      size_t eq = item.find('=');
      spec.task.env[item.substr(0, eq)] = eq == std::string::npos ? "" : item.substr(eq + 1);
    }
  }
  if (args.has("secrets")) {
    spec.task.secrets.clear();
    for (const auto& name : args.list("secrets")) {
      SecretId id{name};
      for (const auto& [key, secret] : cluster.secrets) {
        if (secret.name == name) id = key;
      }
      spec.task.secrets.push_back(id);
    }
  }
  if (args.has("configs")) {
    spec.task.configs.clear();
    for (const auto& name : args.list("configs")) {
      ConfigId id{name};
      for (const auto& [key, config] : cluster.configs) {
        if (config.name == name) id = key;
      }
      spec.task.configs.push_back(id);
    }
  }
  if (args.has("restart")) spec.restart.condition = parseCondition(args.string("restart"));
  if (args.has("restart-delay")) spec.restart.delay = args.duration("restart-delay");
  if (args.has("max-attempts")) spec.restart.maxAttempts = args.integer("max-attempts");
  if (args.has("window")) spec.restart.window = args.duration("window");
  if (args.has("parallelism")) spec.update.parallelism = args.integer("parallelism");
  if (args.has("update-delay")) spec.update.delay = args.duration("update-delay");
}

}  // namespace

// create-service NAME|"" [global] [replicas=N] [command=C] [args=(a,b)] [env=(K=V,..)]
//   [secrets=(names)] [configs=(names)] [restart=any|on-failure|none] [restart-delay=D]
//   [max-attempts=N] [window=D] [parallelism=N] [update-delay=D]
// The restart delay defaults to 0 here (not SwarmKit's 5 s) so transcripts name the delay they
// test.
std::vector<std::string> ManagerHarness::handleCreateService(const Args& args) {
  args.expectOnly(SPEC_KEYS);
  std::vector<std::string> words = args.words();
  if (words.empty()) fail("create-service needs a name");
  ServiceSpec spec;
  spec.name = words[0] == "\"\"" ? "" : words[0];
  if (std::find(words.begin(), words.end(), "global") != words.end()) {
    spec.mode = ServiceMode::GLOBAL;
  }
  spec.restart.delay = Duration();
  applySpecArgs(args, core().state().cluster, spec);
  return step(Control{++lastRequest_, CreateService{spec}}, false);
}

// update-service NAME [any create-service key]: the current spec with the given keys replaced.
std::vector<std::string> ManagerHarness::handleUpdateService(const Args& args) {
  args.expectOnly(SPEC_KEYS);
  std::vector<std::string> words = args.words();
  if (words.empty()) fail("update-service needs a name");
  ServiceId id = serviceNamed(words[0]);
  ServiceSpec spec;
  auto it = core().state().cluster.services.find(id);
  if (it != core().state().cluster.services.end()) spec = it->second.spec;
  if (std::find(words.begin(), words.end(), "global") != words.end()) {
    spec.mode = ServiceMode::GLOBAL;
  }
  applySpecArgs(args, core().state().cluster, spec);
  return step(Control{++lastRequest_, UpdateService{id, spec}}, false);
}

// scale NAME N | remove-service NAME | promote|demote|drain|pause|activate NODE |
// remove-node NODE [force] | create-secret|create-config NAME [data=X] |
// remove-secret|remove-config NAME
std::vector<std::string> ManagerHarness::handleControl(const std::string& d, const Args& args) {
  std::vector<std::string> words = args.words();
  auto first = [&]() {
    if (words.empty()) fail(d + " needs an argument");
    return words[0];
  };
  auto secretNamed = [&](const std::string& name) {
    for (const auto& [id, secret] : core().state().cluster.secrets) {
      if (secret.name == name) return id;
    }
    return SecretId{name};
  };
  auto configNamed = [&](const std::string& name) {
    for (const auto& [id, config] : core().state().cluster.configs) {
      if (config.name == name) return id;
    }
    return ConfigId{name};
  };
  ControlOperation op;
  if (d == "scale") {
    if (words.size() != 2) fail("scale NAME REPLICAS");
    op = ScaleService{serviceNamed(words[0]), std::stoll(words[1])};
  } else if (d == "remove-service") {
    op = RemoveService{serviceNamed(first())};
  } else if (d == "promote") {
    op = PromoteNode{NodeId{first()}};
  } else if (d == "demote") {
    op = DemoteNode{NodeId{first()}};
  } else if (d == "drain") {
    op = DrainNode{NodeId{first()}};
  } else if (d == "pause") {
    op = PauseNode{NodeId{first()}};
  } else if (d == "activate") {
    op = ActivateNode{NodeId{first()}};
  } else if (d == "remove-node") {
    op = RemoveNode{NodeId{first()}, words.size() > 1 && words[1] == "force"};
  } else if (d == "create-secret") {
    op = CreateSecret{first() == "\"\"" ? "" : first(), args.string("data", "")};
  } else if (d == "create-config") {
    op = CreateConfig{first() == "\"\"" ? "" : first(), args.string("data", "")};
  } else if (d == "remove-secret") {
    op = RemoveSecret{secretNamed(first())};
  } else if (d == "remove-config") {
    op = RemoveConfig{configNamed(first())};
  } else {
    fail("unknown directive " + d);
  }
  return step(Control{++lastRequest_, op}, false);
}

// tasks [NAME]: one line per task, by service name, slot (or node) and age.
std::vector<std::string> ManagerHarness::handleTasks(const Args& args) {
  std::vector<std::string> words = args.words();
  const ClusterState& cluster = core().state().cluster;
  std::vector<const Task*> tasks;
  for (const auto& [id, task] : cluster.tasks) {
    if (!words.empty() && taskName(task).rfind(words[0], 0) != 0) continue;
    tasks.push_back(&task);
  }
  std::sort(tasks.begin(), tasks.end(), [&](const Task* a, const Task* b) {
    return std::make_tuple(taskName(*a), a->version) < std::make_tuple(taskName(*b), b->version);
  });
  std::vector<std::string> output;
  for (const Task* task : tasks) {
    output.push_back(taskName(*task) + " " + task->id.value +
                     " node=" + (task->nodeId.empty() ? "none" : task->nodeId.value) + " desired=" +
                     format(task->desiredState) + " state=" + format(task->status.state) +
                     " version=" + std::to_string(task->version) + " " + format(task->spec));
  }
  if (output.empty()) output.push_back("no tasks");
  return output;
}

std::vector<std::string> ManagerHarness::handleNodes() {
  std::vector<std::string> output;
  for (const auto& [id, node] : core().state().cluster.nodes)
    output.push_back(format(node));
  if (output.empty()) output.push_back("no nodes");
  return output;
}

std::vector<std::string> ManagerHarness::handleServices() {
  std::vector<std::string> output;
  for (const auto& [id, service] : core().state().cluster.services) {
    output.push_back(format(service));
  }
  if (output.empty()) output.push_back("no services");
  return output;
}

std::vector<std::string> ManagerHarness::step(const Input& input, bool timed) {
  manager::Manager& manager = core();
  manager.step(now_, input);
  kj::Vector<Effect> taken = manager.takeEffects();
  std::vector<Effect> effects(taken.begin(), taken.end());
  size_t violationsBefore = checker_->violations().size();
  checker_->observe(now_, input, effects, manager.state());

  std::string prefix = timed ? formatInstant(now_) + " " : "";
  std::vector<std::string> output;
  for (const Effect& effect : effects) {
    if (const auto* answer = std::get_if<SessionAnswer>(&effect)) {
      if (!answer->error.has_value()) sessions_[answer->node] = answer->sessionId;
    }
    // Large batches print as counts: transcripts about the cap need not list 100 tasks.
    if (const auto* send = std::get_if<SendAssignments>(&effect)) {
      output.push_back(prefix + headerOf(*send));
      if (send->message.changes.size() > LIST_MAX) continue;
      for (const AssignmentChange& change : send->message.changes) {
        output.push_back(prefix + "  " + format(change));
      }
      continue;
    }
    if (const auto* persist = std::get_if<Persist>(&effect)) {
      if (persist->writes.size() > LIST_MAX) {
        output.push_back(prefix + "persist writes=" + std::to_string(persist->writes.size()));
        continue;
      }
    }
    output.push_back(prefix + format(effect));
  }
  for (size_t i = violationsBefore; i < checker_->violations().size(); ++i) {
    output.push_back("VIOLATION: " + checker_->violations()[i]);
  }
  return output;
}

std::string ManagerHarness::onlyWord(const Args& args) const {
  std::vector<std::string> words = args.words();
  if (words.size() != 1) fail("expected one argument");
  return words[0];
}

NodeId ManagerHarness::node(const Args& args) const {
  std::vector<std::string> words = args.words();
  if (words.empty()) fail("name the node");
  return NodeId{words[0]};
}

// session=S names one (session=none: empty); otherwise the one the node was last given.
SessionId ManagerHarness::sessionOf(const NodeId& id, const Args& args) const {
  if (args.has("session")) {
    std::string text = args.string("session");
    return SessionId{text == "none" ? "" : text};
  }
  auto it = sessions_.find(id);
  return it == sessions_.end() ? SessionId{} : it->second;
}

ServiceId ManagerHarness::serviceNamed(const std::string& name) const {
  for (const auto& [id, service] : manager_->state().cluster.services) {
    if (service.spec.name == name) return id;
  }
  return ServiceId{name};  // not a name: maybe an id (or unknown, for the manager to refuse)
}

// web.1 -> the live task of slot 1 (else the newest); web@n1 -> the same for a global service.
TaskId ManagerHarness::taskRef(const std::string& ref) const {
  size_t dot = ref.find('.');
  size_t at = ref.find('@');
  if (dot == std::string::npos && at == std::string::npos) return TaskId{ref};
  size_t split = dot != std::string::npos ? dot : at;
  ServiceId service = serviceNamed(ref.substr(0, split));
  std::string unit = ref.substr(split + 1);
  const Task* best = nullptr;
  for (const auto& [id, task] : manager_->state().cluster.tasks) {
    if (task.serviceId != service) continue;
    bool match =
        dot != std::string::npos ? std::to_string(task.slot) == unit : task.nodeId.value == unit;
    if (!match) continue;
    if (best == nullptr || isLive(task) > isLive(*best) ||
        (isLive(task) == isLive(*best) && task.version > best->version)) {
      best = &task;
    }
  }
  if (best == nullptr) fail("no task " + ref);
  return best->id;
}

std::string ManagerHarness::taskName(const Task& task) const {
  auto service = manager_->state().cluster.services.find(task.serviceId);
  std::string name = service == manager_->state().cluster.services.end()
                         ? task.serviceId.value
                         : service->second.spec.name;
  if (task.slot != 0) return name + "." + std::to_string(task.slot);
  return name + "@" + (task.nodeId.empty() ? "none" : task.nodeId.value);
}

}  // namespace swarmlet::transcript
