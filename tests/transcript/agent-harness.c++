#include "tests/transcript/agent-harness.h"

#include <stdexcept>

#include "core/format.h"
#include "core/limits.h"

namespace swarmlet::transcript {
namespace {

[[noreturn]] void fail(const std::string& message) {
  throw std::runtime_error(message);
}

// "m1@10.0.0.1:4242" or a bare address (a join address has no node id yet).
Peer parsePeer(const std::string& text) {
  size_t at = text.find('@');
  if (at == std::string::npos) return Peer{NodeId{}, text};
  return Peer{NodeId{text.substr(0, at)}, text.substr(at + 1)};
}

// "m1@10.0.0.1:4242=10"; the weight defaults to the dispatcher's 10.
WeightedPeer parseWeightedPeer(const std::string& text) {
  size_t equals = text.rfind('=');
  if (equals == std::string::npos)
    return WeightedPeer{parsePeer(text), limits::REMOTE_WEIGHT_DEFAULT};
  return WeightedPeer{parsePeer(text.substr(0, equals)), std::stoll(text.substr(equals + 1))};
}

NodeRole parseRole(const std::string& text) {
  if (text == "worker") return NodeRole::WORKER;
  if (text == "manager") return NodeRole::MANAGER;
  fail("not a role (worker, manager): " + text);
}

NodeAvailability parseAvailability(const std::string& text) {
  if (text == "active") return NodeAvailability::ACTIVE;
  if (text == "pause") return NodeAvailability::PAUSE;
  if (text == "drain") return NodeAvailability::DRAIN;
  fail("not an availability (active, pause, drain): " + text);
}

ErrorCode parseCode(const std::string& text) {
  for (ErrorCode code : {ErrorCode::UNAVAILABLE, ErrorCode::DEADLINE_EXCEEDED, ErrorCode::NOT_FOUND,
                         ErrorCode::INVALID_ARGUMENT, ErrorCode::PERMISSION_DENIED,
                         ErrorCode::ABORTED, ErrorCode::UNAUTHENTICATED, ErrorCode::INTERNAL}) {
    if (format(code) == text) return code;
  }
  fail("not an error code: " + text);
}

NodeDescription parseDescription(const Args& args) {
  NodeDescription description;
  description.hostname = args.string("hostname", "");
  description.platform = args.string("platform", "");
  description.cpus = args.maybeInteger("cpus").value_or(0);
  description.memoryBytes = args.maybeInteger("memory").value_or(0);
  return description;
}

// managers=(...) node=ID [role=..] [desired-role=..] [availability=..] keys=(subsystem:lamport,...)
SessionMessage parseSessionMessage(const Args& args) {
  SessionMessage message;
  if (args.has("managers")) {
    for (const auto& item : args.list("managers"))
      message.managers.push_back(parseWeightedPeer(item));
  }
  if (args.has("node")) {
    NodeInfo node;
    node.id = NodeId{args.string("node")};
    node.role = parseRole(args.string("role", "worker"));
    node.desiredRole = parseRole(args.string("desired-role", format(node.role)));
    node.availability = parseAvailability(args.string("availability", "active"));
    message.node = node;
  }
  if (args.has("keys")) {
    std::vector<EncryptionKey> keys;
    for (const auto& item : args.list("keys")) {
      size_t colon = item.find(':');
      if (colon == std::string::npos) fail("a key is subsystem:lamport-time, not " + item);
      keys.push_back(
          EncryptionKey{item.substr(0, colon), "key-" + item, std::stoull(item.substr(colon + 1))});
    }
    message.networkKeys = keys;
  }
  return message;
}

}  // namespace

sim::CheckedAgent& AgentHarness::agent() {
  if (!agent_) fail("no agent yet: start with `agent`");
  return *agent_;
}

std::vector<std::string> AgentHarness::handle(const Stanza& stanza) {
  const std::string& d = stanza.directive;
  const Args& args = stanza.args;
  if (auto work = handleWork(stanza)) return *work;
  if (d == "agent") return handleAgent(args);
  if (d == "advance") return handleAdvance(args);
  // wait: advance to the agent's next deadline, whatever it is, and tick there.
  if (d == "wait") {
    std::optional<Instant> deadline = agent().nextDeadline();
    if (!deadline.has_value()) fail("the agent has no deadline to wait for");
    now_ = *deadline;
    return step(agent::Tick{}, true);
  }
  // skip D: the clock moves on by D without a tick, so the next input finds its deadlines due
  // (a shell whose timer fires late, or an answer that races it).
  if (d == "skip") {
    std::vector<std::string> words = args.words();
    if (words.size() != 1) fail("skip takes one duration");
    Duration by = parseDuration(words[0]);
    if (by < Duration()) fail("skip moves the clock forward only");
    now_ = now_ + by;
    return {};
  }
  if (d == "open-ok") return handleOpenOk(args);
  if (d == "open-fail" || d == "stream-end" || d == "heartbeat-fail") return handleFailure(d, args);
  if (d == "message") return handleMessage(args);
  if (d == "heartbeat-ok") return handleHeartbeatOk(args);
  if (d == "described") return handleDescribed(args);
  // leave: the node leaves the cluster.
  if (d == "leave") return step(agent::LeaveRequested{}, false);
  // stop: the agent stops.
  if (d == "stop") return step(agent::StopRequested{}, false);
  // state: the agent's state and its remotes, one line each.
  if (d == "state") return handleState();
  // deadline: when the agent next needs a tick.
  if (d == "deadline") {
    std::optional<Instant> deadline = agent().nextDeadline();
    return {deadline.has_value() ? formatInstant(*deadline) : "none"};
  }
  fail("unknown directive " + d);
}

// agent seed=N [hostname=H] [role=worker|manager] [managers=(m1@addr,...)]
std::vector<std::string> AgentHarness::handleAgent(const Args& args) {
  args.expectOnly({"seed", "hostname", "platform", "cpus", "memory", "role", "managers"});
  if (agent_) fail("the agent already exists");
  agent_ = std::make_unique<sim::CheckedAgent>(
      agent::AgentConfig{static_cast<uint64_t>(args.integer("seed"))});
  agent::Start start;
  start.description = parseDescription(args);
  start.role = parseRole(args.string("role", "worker"));
  if (args.has("managers")) {
    for (const auto& item : args.list("managers"))
      start.managers.push_back(parsePeer(item));
  }
  return step(start, false);
}

// advance DURATION: moves time forward, ticking the agent at each deadline on the way.
std::vector<std::string> AgentHarness::handleAdvance(const Args& args) {
  std::vector<std::string> words = args.words();
  if (words.size() != 1) fail("advance takes one duration");
  Instant target = now_ + parseDuration(words[0]);
  std::vector<std::string> output;
  for (;;) {
    std::optional<Instant> next = agent().nextDeadline();
    if (!next.has_value() || *next > target || *next < now_) break;
    now_ = *next;
    for (auto& line : step(agent::Tick{}, true))
      output.push_back(std::move(line));
  }
  // The agent sees the new time too (a Tick with nothing due changes nothing), so time going
  // backwards is refused by the agent itself.
  Instant previous = now_;
  now_ = target;
  try {
    for (auto& line : step(agent::Tick{}, true))
      output.push_back(std::move(line));
  } catch (...) {
    now_ = previous;
    throw;
  }
  return output;
}

Generation AgentHarness::generationArg(const Args& args, std::optional<Generation> outstanding,
                                       const char* what) const {
  if (args.has("gen")) return static_cast<Generation>(args.integer("gen"));
  if (!outstanding.has_value()) fail(std::string("no ") + what + " outstanding; name gen=");
  return *outstanding;
}

// open-ok session=ID [gen=N] [managers=(...)] [node=ID role=.. desired-role=..] [keys=(...)]
std::vector<std::string> AgentHarness::handleOpenOk(const Args& args) {
  args.expectOnly(
      {"gen", "session", "managers", "node", "role", "desired-role", "availability", "keys"});
  agent::SessionOpened opened{generationArg(args, opening_, "open-session"),
                              SessionId{args.string("session")}, parseSessionMessage(args)};
  return step(opened, false);
}

// open-fail|stream-end|heartbeat-fail code=CODE [msg="..."] [gen=N]
std::vector<std::string> AgentHarness::handleFailure(const std::string& directive,
                                                     const Args& args) {
  args.expectOnly({"gen", "code", "msg"});
  RpcError error{parseCode(args.string("code")), args.string("msg", "")};
  if (directive == "heartbeat-fail") {
    return step(agent::HeartbeatFailed{generationArg(args, heartbeat_, "heartbeat"), error}, false);
  }
  Generation generation = directive == "open-fail"
                              ? generationArg(args, opening_, "open-session")
                              : generationArg(args, agent().state().session.generation, "session");
  return step(agent::SessionFailed{generation, error}, false);
}

// message [gen=N] [managers=(...)] [node=ID role=.. desired-role=..] [keys=(...)]
std::vector<std::string> AgentHarness::handleMessage(const Args& args) {
  args.expectOnly({"gen", "managers", "node", "role", "desired-role", "availability", "keys"});
  Generation generation = generationArg(args, agent().state().session.generation, "session");
  return step(agent::SessionMessageReceived{generation, parseSessionMessage(args)}, false);
}

// heartbeat-ok period=DURATION [gen=N]
std::vector<std::string> AgentHarness::handleHeartbeatOk(const Args& args) {
  args.expectOnly({"gen", "period"});
  return step(
      agent::HeartbeatAcked{generationArg(args, heartbeat_, "heartbeat"), args.duration("period")},
      false);
}

// described [request=N] [hostname=H ...] | described failed
std::vector<std::string> AgentHarness::handleDescribed(const Args& args) {
  args.expectOnly({"request", "hostname", "platform", "cpus", "memory"});
  RequestId request = 0;
  if (args.has("request")) {
    request = static_cast<RequestId>(args.integer("request"));
  } else if (describe_.has_value()) {
    request = *describe_;
  } else {
    fail("no describe-node outstanding; name request=");
  }
  std::vector<std::string> words = args.words();
  bool failed = words.size() == 1 && words[0] == "failed";
  agent::NodeDescribed described{request, std::nullopt};
  if (!failed) described.description = parseDescription(args);
  return step(described, false);
}

std::vector<std::string> AgentHarness::handleState() {
  return {format(agent().state()), format(agent().state().remotes)};
}

std::vector<std::string> AgentHarness::step(const agent::Input& input, bool timed) {
  sim::CheckedAgent& core = agent();
  Generation before = core.state().session.generation;
  size_t violationsBefore = core.violations().size();
  std::vector<agent::Effect> effects = core.step(now_, input);
  trackWork(input, effects);

  std::string prefix = timed ? formatInstant(now_) + " " : "";
  std::vector<std::string> output;
  for (const agent::Effect& effect : effects) {
    for (const auto& line : effectLines(effect))
      output.push_back(prefix + line);
    if (auto* open = std::get_if<agent::OpenSession>(&effect)) opening_ = open->generation;
    if (auto* heartbeat = std::get_if<agent::SendHeartbeat>(&effect))
      heartbeat_ = heartbeat->generation;
    if (auto* describe = std::get_if<agent::DescribeNode>(&effect)) describe_ = describe->request;
  }
  const agent::AgentState& state = core.state();
  if (state.session.generation != before && state.phase == agent::AgentPhase::RUNNING) {
    output.push_back(prefix + "> new session gen=" + std::to_string(state.session.generation) +
                     " delay=" + formatDuration(state.session.drawnDelay) +
                     " backoff=" + formatDuration(state.backoff));
  }
  for (size_t i = violationsBefore; i < core.violations().size(); ++i) {
    output.push_back("VIOLATION: " + core.violations()[i]);
  }
  return output;
}

}  // namespace swarmlet::transcript
