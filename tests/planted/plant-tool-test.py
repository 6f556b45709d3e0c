#!/usr/bin/env python3
"""plant.py must apply a plant exactly and refuse one that no longer fits the core:
plant-tool-test.py PLANT_PY."""
import os
import subprocess
import sys
import tempfile


def plant(tool, folder, text, sources):
    path = os.path.join(folder, "x.plant")
    open(path, "w").write(text)
    args = [sys.executable, tool, path]
    for source in sources:
        args += [source, source + ".out"]
    return subprocess.run(args, capture_output=True, text=True)


FAKE_SWARMSIM = """#!/usr/bin/env python3
import json, sys
if "--list-rules" in sys.argv:
    print("work.stream-chains 9.5.8 the stream chains")
    sys.exit(0)
if "--json" not in sys.argv:
    sys.exit(0)  # the production build: the sweep passes
caught = [{"seed": seed, "rule": "work.stream-chains", "violation": "work.stream-chains: a gap",
           "replay": "swarmsim --seed %d" % seed} for seed in (3, 7)]
print(json.dumps({"passed": 8, "failed": 2, "failures": caught}))
sys.exit(1)
"""


def counts_caught_seeds(folder, tool):
    """planted-test.py fails a plant whose sweep catches it in fewer seeds than 'catch:' asks."""
    planted_test = os.path.join(os.path.dirname(os.path.abspath(tool)), "planted-test.py")
    fake = os.path.join(folder, "fake-swarmsim")
    open(fake, "w").write(FAKE_SWARMSIM)
    os.chmod(fake, 0o755)
    edit = "--- core/agent/a.c++\n  return 1;\n+++\n===\n"
    for share, passes in (("30", False), ("20", True)):
        path = os.path.join(folder, "rate.plant")
        open(path, "w").write(f"expect: work.stream-chains\nsweep: --seeds 1..10\ncatch: {share}\n" + edit)
        r = subprocess.run([sys.executable, planted_test, path, fake, fake], capture_output=True, text=True)
        said = r.stdout + r.stderr
        assert "2 of 10 seeds caught it" in said, said
        if passes:
            # Past the count (the fake cannot shrink, so the test fails later, at --shrink).
            assert "2 needed (catch: 20)" in said and "fewer than catch" not in said, said
        else:
            assert r.returncode != 0 and "fewer than catch: 30% (3)" in said, said


def main(tool):
    with tempfile.TemporaryDirectory() as folder:
        os.makedirs(os.path.join(folder, "core", "agent"))
        source = os.path.join(folder, "core", "agent", "a.c++")
        open(source, "w").write("int f() {\n  return 1;\n}\n")
        header = "# a bug\nexpect: words\nsweep: --seeds 1..2\ncatch: 50\n\n"

        good = plant(tool, folder, header + "--- core/agent/a.c++\n  return 1;\n+++\n  return 2;\n===\n",
                     [source])
        assert good.returncode == 0, good.stderr
        out = open(source + ".out").read()
        assert "return 2;" in out and "return 1;" not in out and "PLANTED BUG" in out, out

        stale = plant(tool, folder, header + "--- core/agent/a.c++\n  return 7;\n+++\n  return 2;\n===\n",
                      [source])
        assert stale.returncode != 0 and "occur 0 times" in stale.stderr, stale.stderr

        elsewhere = plant(tool, folder, header + "--- core/agent/b.c++\n  return 1;\n+++\n===\n",
                          [source])
        assert elsewhere.returncode != 0 and "is not one of the sources" in elsewhere.stderr, \
            elsewhere.stderr

        other = os.path.join(folder, "core", "agent", "c.c++")
        open(other, "w").write("int g();\n")
        unused = plant(tool, folder, header + "--- core/agent/a.c++\n  return 1;\n+++\n===\n",
                       [source, other])
        assert unused.returncode != 0 and "no edit changes it" in unused.stderr, unused.stderr

        unclosed = plant(tool, folder, header + "--- core/agent/a.c++\n  return 1;\n+++\n", [source])
        assert unclosed.returncode != 0 and "does not end with '==='" in unclosed.stderr

        edit = "--- core/agent/a.c++\n  return 1;\n+++\n===\n"
        no_expect = plant(tool, folder, "sweep: --seeds 1..2\ncatch: 50\n" + edit, [source])
        assert no_expect.returncode != 0 and "no 'expect:' line" in no_expect.stderr

        no_catch = plant(tool, folder, "expect: words\nsweep: --seeds 1..2\n" + edit, [source])
        assert no_catch.returncode != 0 and "no 'catch:' line" in no_catch.stderr, no_catch.stderr

        for bad in ("0", "101", "30%", "many"):
            wrong = plant(tool, folder, f"expect: words\nsweep: --seeds 1..2\ncatch: {bad}\n" + edit,
                          [source])
            assert wrong.returncode != 0 and "not a percentage" in wrong.stderr, (bad, wrong.stderr)

        counts_caught_seeds(folder, tool)


if __name__ == "__main__":
    main(sys.argv[1])
