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


def main(tool):
    with tempfile.TemporaryDirectory() as folder:
        os.makedirs(os.path.join(folder, "core", "agent"))
        source = os.path.join(folder, "core", "agent", "a.c++")
        open(source, "w").write("int f() {\n  return 1;\n}\n")
        header = "# a bug\nexpect: words\nsweep: --seeds 1..2\n\n"

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

        no_expect = plant(tool, folder, "sweep: --seeds 1..2\n--- core/agent/a.c++\n  return 1;\n+++\n===\n",
                          [source])
        assert no_expect.returncode != 0 and "no 'expect:' line" in no_expect.stderr


if __name__ == "__main__":
    main(sys.argv[1])
