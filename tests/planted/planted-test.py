#!/usr/bin/env python3
"""A planted bug must be caught: planted-test.py PLANT PLANTED_SWARMSIM SWARMSIM.

1. The plant's bounded sweep ('sweep:' in the plant file), run on the planted build, fails with
   the plant's violation in at least 'catch:' percent of its seeds: a violation of the rule
   named by 'expect:' (a name of sim/rules.h) whose text holds 'detail:' when the plant gives
   one. Every seed of the sweep counts, so a change of the simulator that makes the bug rare
   fails here, not only one that hides it altogether.
2. The production swarmsim passes that same sweep, every seed of it, so each failure is the
   plant's doing.
3. --shrink on the planted build reduces the first caught run (fewer faults, agents or simulated
   time, and nothing larger), and the shrunk replay still fails with the same violation.
"""
import json
import math
import os
import re
import shlex
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # nothing written beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plant as plant_file  # noqa: E402 (the parser of plant files)


def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=600)


def seconds(text):
    total = 0.0
    for number, unit in re.findall(r"([0-9.]+)(ms|us|ns|h|m|s)", text):
        total += float(number) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[unit]
    return total


def main(plant, planted, production):
    started = time.monotonic()
    fields, _ = plant_file.parse(plant)
    expect, sweep = fields["expect"], shlex.split(fields["sweep"])
    detail, share = fields.get("detail", ""), int(fields["catch"])
    rules = run([production, "--list-rules"]).stdout.split("\n")
    assert any(line.split(" ")[0] == expect for line in rules), f"'{expect}' is not a rule"

    r = run([planted, *sweep, "--jobs", "2", "--json"])
    assert r.returncode == 1, f"the sweep {sweep} did not fail (exit {r.returncode}):\n{r.stderr}"
    summary = json.loads(r.stdout)
    said = lambda f: f["rule"] + ": " + f["violation"]
    ours = lambda f: f["rule"].split(": ")[0] == expect and detail in f["violation"]
    failures = summary.get("failures", [])
    caught = [f for f in failures if ours(f)]
    others = [said(f) for f in failures if not ours(f)]
    seeds = summary["passed"] + summary["failed"]
    needed = math.ceil(share * seeds / 100)
    assert caught, f"no failure of rule {expect} says '{detail}'; failures: {others[:5]}"
    print(f"{plant}: {len(caught)} of {seeds} seeds caught it, {needed} needed (catch: {share}) "
          f"(first: seed {caught[0]['seed']}: {said(caught[0])})")
    if others:
        print(f"  {len(others)} other violations, also from the plant: {others[:3]}")
    assert len(caught) >= needed, \
        f"only {len(caught)} of {seeds} seeds caught it, fewer than catch: {share}% ({needed})"

    # The same sweep on the production build passes, every seed of it.
    r = run([production, *sweep, "--jobs", "2"])
    assert r.returncode == 0, f"production swarmsim fails the same sweep too:\n{r.stdout[-2000:]}"
    replay = shlex.split(caught[0]["replay"])[1:]

    # --shrink reduces it, and the reduced run fails the same way.
    r = run([planted, *replay, "--shrink"])
    assert r.returncode == 1, r.stdout[-2000:]
    shrunk = re.search(r"^shrunk in \d+ runs: (\d+) of (\d+) faults, (\d+) of (\d+) agents, "
                       r"(\d+) of (\d+) services, (\d+) of (\d+) replicas, (\S+) of (\S+), "
                       r"(\d+) families off", r.stdout, re.M)
    assert shrunk, f"no shrink summary:\n{r.stdout[-2000:]}"
    print("  " + shrunk.group(0))
    g = shrunk.groups()
    pairs = [(int(g[0]), int(g[1])), (int(g[2]), int(g[3])), (int(g[4]), int(g[5])),
             (int(g[6]), int(g[7])), (seconds(g[8]), seconds(g[9])), (0, int(g[10]))]
    assert all(now <= before for now, before in pairs), shrunk.group(0)
    assert any(now < before for now, before in pairs), f"--shrink did not reduce the run: {shrunk.group(0)}"
    line = next(l for l in r.stdout.splitlines() if l.startswith("shrunk replay: "))
    r = run([planted, *shlex.split(line[len("shrunk replay: "):])[1:]])
    assert r.returncode == 1, f"the shrunk replay passes:\n{r.stdout[-2000:]}"
    rule = re.search(r"^rule: ([^\s:]+)", r.stdout, re.M)
    assert rule and rule.group(1) == expect and detail in r.stdout, \
        f"the shrunk replay fails another way:\n{r.stdout[-2000:]}"
    print("  " + line)
    print(f"  took {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: planted-test.py PLANT PLANTED_SWARMSIM SWARMSIM")
    main(*sys.argv[1:])
