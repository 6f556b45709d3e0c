#!/usr/bin/env python3
"""Prints 'N passed, M failed[, K skipped]' from meson's JUnit logs, counting test cases.

Usage: test-summary.py JUNIT_XML [JUNIT_XML ...]

A gtest binary run with protocol 'gtest' contributes one case per test (one per transcript file
for the transcript binary); every other meson test contributes one case. Exits 1 when a log is
missing or holds no test case, so an empty run never passes as green.
"""
import sys
import xml.etree.ElementTree as ET


def main():
    passed = failed = skipped = 0
    for path in sys.argv[1:]:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as error:
            print(f"test-summary: cannot read {path}: {error}", file=sys.stderr)
            print(f"{passed} passed, {failed + 1} failed")
            return 1
        for case in root.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
    line = f"{passed} passed, {failed} failed"
    print(line + (f", {skipped} skipped" if skipped else ""))
    return 0 if passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
