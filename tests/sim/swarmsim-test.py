#!/usr/bin/env python3
"""Checks of the swarmsim command, one per invocation: SWARMSIM CHECK.

  one-run        --seed 1 passes, names seed, build, profile and replay first, the hash last
  sweep          seeds 1..1000 at the default (smoke) size pass and the summary says so
  determinism    --check-determinism passes on seeds 1..1000
  same-hash      a seed's trace hash is the same alone and inside a sweep
  bad-usage      a bad flag or value exits 2 with one line naming the problem
  report         --report writes results.json, trace.ndjson and a self-contained report.html
  regressions    the seeds that found bugs pass (each named after what broke)
"""
import json
import os
import subprocess
import sys
import tempfile


# Under the sanitizers (about 40x slower) the long sweeps take their first tenth; the plain suite
# runs them whole.
SEEDS = "1..100" if os.environ.get("SWARMLET_SANITIZED") else "1..1000"


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
    r = run(swarmsim, "--seeds", SEEDS, "--jobs", "2")
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


# Seeds that found bugs, with what broke. Each must pass from now on.
REGRESSIONS = [
    (["--seed", "1"], "a lost answer left the status batch in flight for ever (drops now blackhole)"),
    (["--seed", "133", "--faults", "heavy"], "a push lost between follower and leader on a live session"),
    (["--seed", "410", "--faults", "heavy"], "an old connection's close ended a resumed session"),
    (["--seed", "487", "--faults", "heavy"], "an old connection's close ended a resumed session"),
    (["--seed", "1", "--agents", "100", "--services", "10", "--replicas", "100",
      "--duration", "60s", "--faults", "light"], "a rolling update outlasted the heal phase"),
    (["--seed", "4196", "--duration", "60s", "--faults", "heavy"],
     "a late duplicate of a COMPLETE set made an agent drop a task its manager still counted "
     "(duplicates now keep their connection's order)"),
]


def regressions(swarmsim):
    for args, what in REGRESSIONS:
        r = run(swarmsim, *args)
        assert r.returncode == 0, f"{what}: swarmsim {' '.join(args)}\n{r.stdout[-1500:]}"


CHECKS = {"regressions": regressions, "one-run": one_run, "sweep": sweep, "determinism": determinism,
          "same-hash": same_hash, "bad-usage": bad_usage, "report": report}

if __name__ == "__main__":
    swarmsim, check = sys.argv[1], sys.argv[2]
    CHECKS[check](swarmsim)
    print(f"swarmsim {check}: ok")
