#!/usr/bin/env python3
"""Checks of the swarmsim command, one per invocation: SWARMSIM CHECK.

  one-run        --seed 1 passes, names seed, build, profile and replay first, the hash last
  sweep          seeds 1..1000 at the default (smoke) size pass and the summary says so
  determinism    --check-determinism passes on seeds 1..1000
  same-hash      a seed's trace hash is the same alone and inside a sweep
  bad-usage      a bad flag or value exits 2 with one line naming the problem
  report         --report writes results.json, trace.ndjson and a self-contained report.html
  regressions    the seeds that found bugs pass (each named after what broke), and the
                 transcript or unit test pinning each fix exists
  probes         a sweep names every probe with its count and the ones never hit; a required
                 probe never hit fails the sweep; an unknown probe name is a usage error
"""
import json
import os
import subprocess
import sys
import tempfile


# Under the sanitizers (about 40x slower) the long sweeps take their first tenth; the plain suite
# runs them whole.
SEEDS = "1..100" if os.environ.get("SWARMLET_SANITIZED") else "1..1000"


REQUIRED_PROBES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "required-probes.txt")


def required_probes():
    lines = open(REQUIRED_PROBES).read().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def run(swarmsim, *args):
    return subprocess.run([swarmsim, *args], capture_output=True, text=True, timeout=600)


def one_run(swarmsim):
    r = run(swarmsim, "--seed", "1")
    lines = r.stdout.strip().splitlines()
    assert r.returncode == 0, r.stdout + r.stderr
    assert lines[0].startswith("swarmsim seed=1 build="), lines[0]
    assert lines[1].startswith("profile: "), lines[1]
    assert lines[2].startswith("replay: swarmsim --seed 1 "), lines[2]
    assert lines[-1].startswith("trace hash: ") and len(lines[-1].split()[-1]) == 16, lines[-1]
    assert any(line.startswith("result: PASS") for line in lines), r.stdout


def sweep(swarmsim):
    r = run(swarmsim, "--seeds", SEEDS, "--jobs", "2",
            "--require-probes", ",".join(required_probes()))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    count = int(SEEDS.split("..")[1])
    assert f"seeds {SEEDS}: {count} passed, 0 failed" in r.stdout, r.stdout[-2000:]


def determinism(swarmsim):
    r = run(swarmsim, "--seeds", SEEDS, "--jobs", "2", "--check-determinism")
    assert r.returncode == 0, r.stdout[-3000:]
    r = run(swarmsim, "--seed", "3", "--check-determinism")
    assert "identical hash chains" in r.stdout, r.stdout


def same_hash(swarmsim):
    alone = run(swarmsim, "--seed", "7", "--duration", "60s")
    hash_alone = alone.stdout.strip().splitlines()[-1].split()[-1]
    inside = run(swarmsim, "--seeds", "5..9", "--jobs", "2", "--duration", "60s", "--json")
    summary = json.loads(inside.stdout)
    hashes = {entry["seed"]: entry["trace_hash"] for entry in summary["runs"]}
    assert hashes[7] == hash_alone, (hashes, hash_alone)
    assert len(set(hashes.values())) == 5, hashes


def bad_usage(swarmsim):
    for args, words in [(["--faults", "earthquake"], "earthquake"),
                        (["--duration", "soon"], "--duration"),
                        (["--seeds", "9..1"], "--seeds"),
                        (["--agents", "0"], "agents"),
                        (["--no-such-flag"], "no-such-flag")]:
        r = run(swarmsim, *args)
        assert r.returncode == 2, (args, r.returncode, r.stdout, r.stderr)
        assert words in r.stderr + r.stdout, (args, r.stderr)


def report(swarmsim):
    with tempfile.TemporaryDirectory() as folder:
        r = run(swarmsim, "--seed", "2", "--report", folder)
        assert r.returncode == 0, r.stdout
        results = json.load(open(os.path.join(folder, "results.json")))
        assert results["seed"] == 2 and results["passed"], results
        lines = open(os.path.join(folder, "trace.ndjson")).read().splitlines()
        assert len(lines) == results["events"] or len(lines) > 100, len(lines)
        first = json.loads(lines[0])
        assert {"i", "t_ns", "host", "event", "effects", "hash"} <= set(first), first
        html = open(os.path.join(folder, "report.html")).read()
        assert "<svg" in html and "Heartbeat round trip" in html and "<script" not in html
        # Each node's task states are drawn under its sessions.
        assert " running, " in html and " finished from " in html, "no task-state band"


# Seeds that found bugs, with what broke and what pins the fix. A seed stops replaying its
# original interleaving whenever the world's draws change, so every bug also has a pin that does
# not depend on them: a transcript (tests/testdata/...) or a unit test ("FILE:Suite.Name"). A bug
# of the simulated workload's own timing has only its seed, and says so.
REGRESSIONS = [
    (["--seed", "1"], "a lost answer left the status batch in flight for ever (drops now blackhole)",
     ["tests/testdata/agent-work/status-send-timeout.txt",
      "tests/sim/sim-infra-test.c++:Network.ADropBlackholesItsConnectionForGood"]),
    (["--seed", "133", "--faults", "heavy"], "a push lost between follower and leader on a live session",
     ["tests/sim/sim-infra-test.c++:Network.ACutConnectionStaysDeadAfterThePartitionHeals"]),
    (["--seed", "410", "--faults", "heavy"], "an old connection's close ended a resumed session",
     ["tests/core/shell-pipeline-test.c++:ManagerPipeline.OnlyTheCurrentConnectionsCloseCounts",
      "tests/core/shell-pipeline-test.c++:ManagerPipeline.PushesGoToTheNewestConnectionThatOpenedTheSession"]),
    (["--seed", "487", "--faults", "heavy"], "an old connection's close ended a resumed session",
     ["tests/core/shell-pipeline-test.c++:ManagerPipeline.OnlyTheCurrentConnectionsCloseCounts"]),
    (["--seed", "1", "--agents", "100", "--services", "10", "--replicas", "100",
      "--duration", "60s", "--faults", "light"], "a rolling update outlasted the heal phase",
     ["seed only: the simulated workload rolled a 100-replica service one task a second"]),
    (["--seed", "1592", "--faults", "heavy"],
     "an old connection's close, arriving while a newer connection's open was resuming the "
     "session, ended it (found with hostile inputs; the close now waits for the open's answer)",
     ["tests/core/shell-pipeline-test.c++:"
      "ManagerPipeline.AnOldConnectionsCloseDoesNotEndASessionANewerOpenIsResuming"]),
    (["--seed", "4196", "--duration", "60s", "--faults", "heavy"],
     "a late duplicate of a COMPLETE set made an agent drop a task its manager still counted "
     "(duplicates now keep their connection's order)",
     ["tests/sim/sim-infra-test.c++:Network.DuplicatesKeepTheirConnectionInOrder"]),
]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pinned(pin):
    """The pin exists: a transcript file, or a gtest case in the named source."""
    if pin.startswith("seed only: "):
        return True
    path, _, case = pin.partition(":")
    if not os.path.isfile(os.path.join(ROOT, path)):
        return False
    if not case:
        return True
    suite, name = case.split(".")
    return f"TEST({suite}, {name})" in open(os.path.join(ROOT, path)).read()


def regressions(swarmsim):
    for args, what, pins in REGRESSIONS:
        assert pins, f"{what}: no pin"
        for pin in pins:
            assert pinned(pin), f"{what}: its pin {pin} does not exist"
        r = run(swarmsim, *args)
        assert r.returncode == 0, f"{what}: swarmsim {' '.join(args)}\n{r.stdout[-1500:]}"


def probes(swarmsim):
    names = run(swarmsim, "--list-probes").stdout.split()
    assert len(names) == len(set(names)) and len(names) > 30, names
    for name in required_probes():
        assert name in names, f"{REQUIRED_PROBES} names {name}, which is not a probe"
    # The text summary: every probe with its count, then the ones never hit.
    r = run(swarmsim, "--seeds", "1..20", "--jobs", "2")
    assert r.returncode == 0, r.stdout[-2000:]
    listed = [line.split()[0] for line in r.stdout.splitlines() if line.startswith("  ")]
    assert listed == sorted(names), listed
    assert "probes never hit: " in r.stdout, r.stdout[-2000:]
    # The JSON summary and a one-run --probes agree with each other's shape.
    summary = json.loads(run(swarmsim, "--seeds", "1..20", "--jobs", "2", "--json").stdout)
    assert sorted(summary["probes"]) == sorted(names), summary["probes"]
    assert summary["probes_never_hit"] == [n for n in sorted(names) if summary["probes"][n] == 0]
    one = run(swarmsim, "--seed", "3", "--probes")
    assert "probes never hit: " in one.stdout, one.stdout[-2000:]
    # Planted: a probe these runs cannot reach (a refused credential: light faults send no
    # hostile inputs, sim/input-mix.h) is required, so the sweep passes every invariant and still
    # fails, naming the probe.
    unreached = "agent.credentials-refused"
    light = ["--seeds", "1..5", "--faults", "light", "--jobs", "2"]
    r = run(swarmsim, *light, "--require-probes", unreached)
    assert r.returncode == 1, (r.returncode, r.stdout[-2000:])
    assert f"REQUIRED PROBE NEVER HIT: {unreached}" in r.stdout, r.stdout[-2000:]
    assert "seeds 1..5: 5 passed, 0 failed" in r.stdout, r.stdout[-2000:]
    j = json.loads(run(swarmsim, *light, "--json", "--require-probes", unreached).stdout)
    assert j["required_probes_never_hit"] == [unreached], j.get("required_probes_never_hit")
    r = run(swarmsim, "--seed", "1", "--require-probes", "agent.no-such-probe")
    assert r.returncode == 2 and "unknown probe 'agent.no-such-probe'" in r.stderr, r.stderr


CHECKS = {"regressions": regressions, "one-run": one_run, "sweep": sweep, "determinism": determinism,
          "same-hash": same_hash, "bad-usage": bad_usage, "report": report, "probes": probes}

if __name__ == "__main__":
    swarmsim, check = sys.argv[1], sys.argv[2]
    CHECKS[check](swarmsim)
    print(f"swarmsim {check}: ok")
