// swarmlet-demo: one agent core driven through a scripted story by a tiny deterministic world
// (two managers, a network with a fixed latency, an executor that describes the node), printing
// every input and effect through core/format.h and checking the session invariants after every
// step. It shows the core's contract end to end until the real binaries exist.
//
// Usage: swarmlet-demo [--seed N]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/agent/agent.h"
#include "core/format.h"
#include "sim/checked-agent.h"

namespace swarmlet::demo {
namespace {

using namespace agent;

const Peer M1{NodeId{"m1"}, "10.0.0.1:4242"};
const Peer M2{NodeId{"m2"}, "10.0.0.2:4242"};
const Duration LATENCY = Duration::milliseconds(2);
const Duration PERIOD = Duration::seconds(5);

class World {
 public:
  explicit World(uint64_t seed) : agent_(AgentConfig{seed}) {}

  int run() {
    NodeDescription description{"node-1", "linux/amd64", 2000, int64_t{4} << 30, {}};
    deliver(Instant::origin(), Start{description, {Peer{NodeId{}, M1.address}}, NodeRole::WORKER});
    schedule(at(30), [this] { crash(M1); });
    schedule(at(45), [this] { labels_["zone"] = "b"; });
    schedule(at(70), [this] {
      if (auto gen = registered()) {
        deliver(at(70), SessionMessageReceived{*gen, message(NodeRole::MANAGER)});
      }
    });
    schedule(at(90), [this] { deliver(at(90), LeaveRequested{}); });
    schedule(at(95), [this] { deliver(at(95), StopRequested{}); });
    while (!queue_.empty() && agent_.state().phase != AgentPhase::STOPPED) {
      auto next = queue_.begin();
      Instant when = next->first.first;
      std::optional<Instant> deadline = agent_.nextDeadline();
      if (deadline.has_value() && *deadline < when) {
        deliver(*deadline, Tick{});
        continue;
      }
      auto action = next->second;
      queue_.erase(next);
      action();
    }
    for (const auto& v : agent_.violations())
      printf("VIOLATION: %s\n", v.c_str());
    printf("%s\n", format(agent_.state()).c_str());
    printf("%zu invariant violations\n", agent_.violations().size());
    return agent_.violations().empty() ? 0 : 1;
  }

 private:
  static Instant at(int64_t seconds) { return Instant::origin() + Duration::seconds(seconds); }

  void schedule(Instant when, std::function<void()> action) {
    queue_.emplace(std::make_pair(when, sequence_++), std::move(action));
  }

  std::optional<Generation> registered() const {
    const SessionState& s = agent_.state().session;
    if (s.phase != SessionPhase::REGISTERED) return std::nullopt;
    return s.generation;
  }

  SessionMessage message(NodeRole desiredRole) const {
    SessionMessage m;
    for (const Peer& p : {M1, M2}) {
      if (!down_.count(p)) m.managers.push_back(WeightedPeer{p, 10});
    }
    m.node = NodeInfo{NodeId{"node-1"}, NodeRole::WORKER, desiredRole, NodeAvailability::ACTIVE};
    m.networkKeys = std::vector<EncryptionKey>{{"overlay", "k1", 1}};
    return m;
  }

  void crash(const Peer& manager) {
    down_.insert(manager);
    printf("%s world: manager %s crashes\n", formatInstant(at(30)).c_str(),
           format(manager).c_str());
    const SessionState& s = agent_.state().session;
    if (s.manager.has_value() && s.manager->address == manager.address &&
        s.phase != SessionPhase::DELAYING) {
      Generation gen = s.generation;
      schedule(at(30) + LATENCY, [this, gen] {
        deliver(at(30) + LATENCY,
                SessionFailed{gen, RpcError{ErrorCode::UNAVAILABLE, "peer disconnected"}});
      });
    }
  }

  void deliver(Instant now, const Input& input) {
    now_ = now;
    printf("%s <- %s\n", formatInstant(now).c_str(), format(input).c_str());
    for (const Effect& effect : agent_.step(now, input)) {
      printf("%s -> %s\n", formatInstant(now).c_str(), format(effect).c_str());
      answer(effect);
    }
  }

  // The managers and the executor answer effects after the network latency.
  void answer(const Effect& effect) {
    Instant reply = now_ + LATENCY;
    if (auto* open = std::get_if<OpenSession>(&effect)) {
      Generation gen = open->generation;
      bool down = false;
      for (const Peer& p : down_)
        down = down || p.address == open->manager.address;
      if (down) {
        schedule(reply, [this, gen, reply] {
          deliver(reply,
                  SessionFailed{gen, RpcError{ErrorCode::UNAVAILABLE, "connection refused"}});
        });
      } else {
        SessionId id{"session-" + std::to_string(gen)};
        schedule(reply, [this, gen, id, reply] {
          deliver(reply, SessionOpened{gen, id, message(NodeRole::WORKER)});
        });
      }
    } else if (auto* heartbeat = std::get_if<SendHeartbeat>(&effect)) {
      Generation gen = heartbeat->generation;
      schedule(reply, [this, gen, reply] {
        if (agent_.state().session.generation == gen) deliver(reply, HeartbeatAcked{gen, PERIOD});
      });
    } else if (auto* describe = std::get_if<DescribeNode>(&effect)) {
      RequestId request = describe->request;
      NodeDescription d{"node-1", "linux/amd64", 2000, int64_t{4} << 30, labels_};
      schedule(reply, [this, request, d, reply] { deliver(reply, NodeDescribed{request, d}); });
    }
  }

  sim::CheckedAgent agent_;
  Instant now_;
  uint64_t sequence_ = 0;
  std::map<std::pair<Instant, uint64_t>, std::function<void()>> queue_;
  std::set<Peer> down_;
  std::map<std::string, std::string> labels_;
};

}  // namespace
}  // namespace swarmlet::demo

int main(int argc, char** argv) {
  uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      fprintf(stderr, "usage: swarmlet-demo [--seed N]\n");
      return 2;
    }
  }
  printf(
      "swarmlet-demo seed=%llu: one agent, two managers; m1 crashes at 30s, the node's labels "
      "change at 45s, the manager asks for a promotion at 70s, leave at 90s, stop at 95s\n",
      static_cast<unsigned long long>(seed));
  return swarmlet::demo::World(seed).run();
}
