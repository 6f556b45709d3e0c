// The agent core's session half under load: heartbeat rounds (tick, send, ack) and session
// churn (open, register, fail, back off). Reports events per second of core time alone.
#include <benchmark/benchmark.h>

#include "core/agent/agent.h"

namespace swarmlet::agent {
namespace {

const Peer M1{NodeId{"m1"}, "10.0.0.1:4242"};
const Peer M2{NodeId{"m2"}, "10.0.0.2:4242"};

// One registered session; each iteration is one heartbeat round: the tick that sends it and
// the ack that schedules the next (2 events).
void BM_HeartbeatRound(benchmark::State& state) {
  Agent agent(AgentConfig{1});
  Instant now;
  agent.step(now, Start{NodeDescription{"n1", "", 0, 0, {}}, {M1, M2}, NodeRole::WORKER});
  agent.step(now, SessionOpened{1, SessionId{"s1"}, {}});
  agent.step(now, HeartbeatAcked{1, Duration::seconds(5)});
  agent.takeEffects();
  for (auto _ : state) {
    KJ_IF_MAYBE (deadline, agent.nextDeadline()) {
      now = *deadline;
    }
    agent.step(now, Tick{});
    agent.step(now, HeartbeatAcked{agent.state().session.generation, Duration::seconds(5)});
    benchmark::DoNotOptimize(agent.takeEffects());
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_HeartbeatRound);

// Each iteration: the delay expires and a session opens, registers, then fails (3 events).
void BM_SessionChurn(benchmark::State& state) {
  Agent agent(AgentConfig{1});
  Instant now;
  agent.step(now, Start{NodeDescription{"n1", "", 0, 0, {}}, {M1, M2}, NodeRole::WORKER});
  for (auto _ : state) {
    Generation generation = agent.state().session.generation;
    // Tick through the drawn delay (and any description refresh that falls due first).
    while (agent.state().session.phase == SessionPhase::DELAYING) {
      KJ_IF_MAYBE (deadline, agent.nextDeadline()) {
        now = *deadline;
      }
      agent.step(now, Tick{});
    }
    agent.step(now, SessionOpened{generation, SessionId{"s"}, {}});
    agent.step(now, SessionFailed{generation, RpcError{ErrorCode::UNAVAILABLE, "gone"}});
    benchmark::DoNotOptimize(agent.takeEffects());
  }
  state.SetItemsProcessed(state.iterations() * 3);
}
BENCHMARK(BM_SessionChurn);

}  // namespace
}  // namespace swarmlet::agent

BENCHMARK_MAIN();
