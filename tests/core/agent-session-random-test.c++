// Random walks through the agent's session half: a seeded world answers the agent's effects
// with random delays, successes, failures and silence, injects stream ends, session messages,
// description changes, leave and stop, and runs the session invariant checker after every step.
// Each seed is a reproducible run; a failure names its seed and step.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/agent/agent.h"
#include "core/format.h"
#include "core/prng.h"
#include "sim/checked-agent.h"

namespace swarmlet::agent {
namespace {

constexpr int STEPS_PER_RUN = 400;
constexpr uint64_t SEEDS = 300;

const std::vector<Peer> MANAGERS{{NodeId{"m1"}, "10.0.0.1:4242"},
                                 {NodeId{"m2"}, "10.0.0.2:4242"},
                                 {NodeId{"m3"}, "10.0.0.3:4242"}};

struct Pending {
  Instant at;
  Input input;
};

class RandomWorld {
 public:
  explicit RandomWorld(uint64_t seed) : prng_(seed), agent_(AgentConfig{seed}) {}

  // Runs the walk; returns "" or the first problem with its context.
  std::string run() {
    Start start{NodeDescription{"node-1", "", 1000, 0, {}}, {}, NodeRole::WORKER};
    if (prng_.uniform(4) != 0) start.managers.push_back(MANAGERS[prng_.uniform(3)]);
    deliver(Start(start));
    for (int i = 0; i < STEPS_PER_RUN && agent_.state().phase == AgentPhase::RUNNING; ++i) {
      stepOnce();
      if (!agent_.violations().empty()) {
        return "step " + std::to_string(i) + ": " + agent_.violations().front() + "\n" + log_;
      }
    }
    return "";
  }

  const std::string& log() const { return log_; }

 private:
  RpcError randomError() {
    static const ErrorCode CODES[] = {ErrorCode::UNAVAILABLE, ErrorCode::DEADLINE_EXCEEDED,
                                      ErrorCode::NOT_FOUND,   ErrorCode::INVALID_ARGUMENT,
                                      ErrorCode::ABORTED,     ErrorCode::UNAUTHENTICATED};
    // Refused credentials are rare; they stop the agent before its first session.
    ErrorCode code = CODES[prng_.uniform(prng_.uniform(20) == 0 ? 6 : 5)];
    return RpcError{code, "random"};
  }

  SessionMessage randomMessage() {
    SessionMessage message;
    for (const Peer& peer : MANAGERS) {
      if (prng_.uniform(3) != 0) message.managers.push_back(WeightedPeer{peer, 10});
    }
    if (prng_.uniform(2) == 0) {
      NodeRole desired = prng_.uniform(4) == 0 ? NodeRole::MANAGER : NodeRole::WORKER;
      message.node =
          NodeInfo{NodeId{"node-1"}, NodeRole::WORKER, desired, NodeAvailability::ACTIVE};
    }
    if (prng_.uniform(3) == 0) {
      message.networkKeys = std::vector<EncryptionKey>{{"overlay", "k", prng_.uniform(4)}};
    }
    return message;
  }

  Duration latency() {
    return Duration::microseconds(static_cast<int64_t>(prng_.uniform(7'000'000)));
  }

  void answer(const Effect& effect) {
    Instant at = now_ + latency();
    if (auto* open = std::get_if<OpenSession>(&effect)) {
      uint64_t roll = prng_.uniform(10);
      if (roll < 6) {
        SessionId id{prng_.uniform(2) == 0 && !open->previousSessionId.empty()
                         ? open->previousSessionId.value
                         : "s" + std::to_string(open->generation)};
        pending_.push_back({at, SessionOpened{open->generation, id, randomMessage()}});
      } else if (roll < 9) {
        pending_.push_back({at, SessionFailed{open->generation, randomError()}});
      }  // else silence: the agent's 5 s start timeout must fire
    } else if (auto* heartbeat = std::get_if<SendHeartbeat>(&effect)) {
      uint64_t roll = prng_.uniform(10);
      Duration period = Duration::milliseconds(static_cast<int64_t>(100 + prng_.uniform(10'000)));
      if (roll < 8)
        pending_.push_back({at, HeartbeatAcked{heartbeat->generation, period}});
      else if (roll < 9)
        pending_.push_back({at, HeartbeatFailed{heartbeat->generation, randomError()}});
    } else if (auto* describe = std::get_if<DescribeNode>(&effect)) {
      std::optional<NodeDescription> description;
      if (prng_.uniform(5) != 0) {
        description = NodeDescription{
            "node-1", "", static_cast<int64_t>(1000 * (1 + prng_.uniform(2))), 0, {}};
      }
      pending_.push_back({at, NodeDescribed{describe->request, description}});
    }
  }

  // One event: the earliest of a pending answer, the agent's deadline, or an outside event.
  void stepOnce() {
    size_t earliest = pending_.size();
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (earliest == pending_.size() || pending_[i].at < pending_[earliest].at) earliest = i;
    }
    Instant deadline = agent_.nextDeadline().value_or(now_ + Duration::hours(1));
    uint64_t roll = prng_.uniform(100);
    if (roll < 8) {
      outsideEvent(roll);
    } else if (earliest < pending_.size() && pending_[earliest].at <= deadline) {
      Pending next = pending_[earliest];
      pending_.erase(pending_.begin() + static_cast<long>(earliest));
      now_ = std::max(now_, next.at);
      deliver(next.input);
    } else {
      now_ = deadline;
      deliver(Tick{});
    }
  }

  void outsideEvent(uint64_t roll) {
    const SessionState& session = agent_.state().session;
    now_ = now_ + latency();
    if (roll < 4 && session.phase == SessionPhase::REGISTERED) {
      deliver(SessionMessageReceived{session.generation, randomMessage()});
    } else if (roll < 6 && session.phase != SessionPhase::DELAYING) {
      deliver(SessionFailed{session.generation, randomError()});
    } else if (roll < 7 && prng_.uniform(5) == 0) {
      deliver(LeaveRequested{});
    } else if (prng_.uniform(40) == 0) {
      deliver(StopRequested{});
    } else {
      deliver(Tick{});
    }
  }

  void deliver(const Input& input) {
    std::vector<Effect> effects = agent_.step(now_, input);
    log_ += formatInstant(now_) + " <- " + format(input) + "\n";
    for (const Effect& effect : effects) {
      log_ += formatInstant(now_) + " -> " + format(effect) + "\n";
      answer(effect);
    }
    if (log_.size() > 20'000) log_.erase(0, log_.size() - 20'000);
  }

  Prng prng_;
  sim::CheckedAgent agent_;
  Instant now_;
  std::vector<Pending> pending_;
  std::string log_;
};

TEST(AgentSessionRandom, InvariantsHoldOnEverySeed) {
  for (uint64_t seed = 1; seed <= SEEDS; ++seed) {
    std::string problem = RandomWorld(seed).run();
    ASSERT_EQ(problem, "") << "seed " << seed;
  }
}

TEST(AgentSessionRandom, TheSameSeedReplaysTheSameRun) {
  // The world prints every input and effect; two runs of one seed must print the same.
  for (uint64_t seed : {3u, 17u, 99u}) {
    RandomWorld a(seed), b(seed);
    a.run();
    b.run();
    EXPECT_FALSE(a.log().empty());
    EXPECT_EQ(a.log(), b.log());
  }
}

}  // namespace
}  // namespace swarmlet::agent
