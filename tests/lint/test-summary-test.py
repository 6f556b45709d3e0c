#!/usr/bin/env python3
"""The CI count must not hide a failure: test-summary-test.py TEST_SUMMARY_PY.

Feeds the summary hand-made meson logs: a passing gtest case, a failing one, a plain test, a
timed-out plain test that meson wrote as an empty case, and a gtest binary that crashed before
writing any case."""
import json
import os
import subprocess
import sys
import tempfile

JUNIT = """<?xml version='1.0' encoding='utf-8'?>
<testsuites tests="5" failures="1">
 <testsuite name="p.p / unit.Suite" tests="2">
  <testcase name="Passes" classname="p.p / unit.Suite"/>
  <testcase name="Fails" classname="p.p / unit.Suite"><failure/></testcase>
 </testsuite>
 <testsuite name="p" tests="2">
  <testcase name="p / lint" classname="p"/>
  <testcase name="p / slow" classname="p"/>
 </testsuite>
</testsuites>
"""
LOG = [{"name": "p / unit", "result": "FAIL"}, {"name": "p / lint", "result": "OK"},
       {"name": "p / slow", "result": "TIMEOUT"}, {"name": "p / crashed", "result": "ERROR"}]


def main(tool):
    with tempfile.TemporaryDirectory() as folder:
        junit = os.path.join(folder, "testlog.junit.xml")
        open(junit, "w").write(JUNIT)
        with open(os.path.join(folder, "testlog.json"), "w") as log:
            for entry in LOG:
                log.write(json.dumps(entry) + "\n")
        r = subprocess.run([sys.executable, tool, junit], capture_output=True, text=True)
        # Passes and lint pass; Fails, the timed-out slow and the crashed binary fail.
        assert r.stdout.strip() == "2 passed, 3 failed", r.stdout + r.stderr
        missing = subprocess.run([sys.executable, tool, os.path.join(folder, "none.xml")],
                                 capture_output=True, text=True)
        assert missing.returncode == 1 and "1 failed" in missing.stdout, missing.stdout


if __name__ == "__main__":
    main(sys.argv[1])
