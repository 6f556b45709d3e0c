#!/usr/bin/env python3
"""Prints 'N passed, M failed[, K skipped]' from meson's JUnit logs, counting test cases.

Usage: test-summary.py JUNIT_XML [JUNIT_XML ...]

A gtest binary run with protocol 'gtest' contributes one case per test (one per transcript file
for the transcript binary); every other meson test contributes one case. A test that meson saw
fail, time out or crash (its JSON log beside the JUnit one) counts as at least one failed case
even when the JUnit log recorded no failure for it (meson writes a timed-out test as an empty,
passing-looking case). Exits 1 when a log is missing or holds no test case, so an empty run
never passes as green.
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

BAD_RESULTS = {"FAIL", "TIMEOUT", "ERROR", "UNEXPECTEDPASS"}


def meson_failures(junit_path):
    """Names of the tests meson itself judged failed, from testlog*.json beside the JUnit log."""
    json_path = junit_path.replace(".junit.xml", ".json")
    if not os.path.exists(json_path):
        return set()
    names = set()
    for line in open(json_path):
        line = line.strip()
        if line:
            entry = json.loads(line)
            if entry.get("result") in BAD_RESULTS:
                names.add(entry["name"])
    return names


def main():
    passed = failed = skipped = 0
    for path in sys.argv[1:]:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as error:
            print(f"test-summary: cannot read {path}: {error}", file=sys.stderr)
            print(f"{passed} passed, {failed + 1} failed")
            return 1
        bad = meson_failures(path)
        shown = set()  # the failed tests whose failure the JUnit log itself shows
        for suite in root.iter("testsuite"):
            for case in suite.iter("testcase"):
                # A plain test's case is named after the test; a gtest binary's cases sit in
                # suites named "<project>.<test>.<gtest suite>".
                owners = {name for name in bad
                          if case.get("name") == name or f".{name}." in suite.get("name", "")}
                if case.find("failure") is not None or case.find("error") is not None:
                    failed += 1
                    shown |= owners
                elif case.find("skipped") is not None:
                    skipped += 1
                elif case.get("name") in bad:
                    failed += 1  # the empty case meson writes for a timed-out test
                    shown.add(case.get("name"))
                else:
                    passed += 1
        failed += len(bad - shown)  # e.g. a gtest binary that crashed before writing its cases
    line = f"{passed} passed, {failed} failed"
    print(line + (f", {skipped} skipped" if skipped else ""))
    return 0 if passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
