#!/usr/bin/env python3
"""The simulator's rules are its specification: rules-test.py SWARMSIM SOURCE_ROOT [--planted].

Every rule that `swarmsim --list-rules` prints (sim/rules.c++) must
1. be asserted by a test that plants its violation: an `EXPECT_TRUE(reports(checker,
   Rule::NAME, ...))` or `EXPECT_TRUE(breaks(..., Rule::NAME, ...))` in tests/sim/*-test.c++, or a planted bug whose `expect:` names
   it (tests/planted/*.plant);
2. be listed in docs/simulator.md's rule table, in backquotes, beside the spec item it checks.

--planted copies the sources it reads, adds a rule with neither test nor row, and requires this
check to name it: the check itself must be able to fail.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

TABLE = "sim/rules.c++"


def table(root):
    """(enum, name) of every rule in the table, in order."""
    return re.findall(r'RuleInfo\{(\w+),\s*"([^"]+)"', open(os.path.join(root, TABLE)).read())


def problems(root, listed):
    rules = table(root)
    found = []
    names = [name for _, name in rules]
    if listed is not None and listed != names:
        found.append(f"swarmsim --list-rules {listed} differs from {TABLE} {names}")
    asserted = set()
    for path in glob.glob(os.path.join(root, "tests/sim/*-test.c++")):
        text = open(path).read()
        for call in re.finditer(r"EXPECT_TRUE\(\s*(?:reports|breaks)\(", text):
            asserted |= set(re.findall(r"Rule::(\w+)", text[call.end():text.index(";", call.end())]))
    planted = set()
    for path in glob.glob(os.path.join(root, "tests/planted/*.plant")):
        planted |= set(re.findall(r"^expect:\s*(\S+)", open(path).read(), re.M))
    docs = open(os.path.join(root, "docs/simulator.md")).read()
    for enum, name in rules:
        if enum not in asserted and name not in planted:
            found.append(f"rule {name} ({enum}) has no test planting its violation")
        if f"`{name}`" not in docs:
            found.append(f"rule {name} is not in docs/simulator.md's rule table")
    return found


def planted(root):
    with tempfile.TemporaryDirectory() as copy:
        for part in ["sim", "tests/sim", "tests/planted", "docs"]:
            shutil.copytree(os.path.join(root, part), os.path.join(copy, part))
        path = os.path.join(copy, TABLE)
        text = open(path).read()
        text = text.replace("constexpr std::array RULES{",
                            'constexpr std::array RULES{\n    RuleInfo{PLANTED_RULE, "planted.rule", "x", "x"},', 1)
        open(path, "w").write(text)
        found = problems(copy, None)
        assert any("planted.rule (PLANTED_RULE) has no test" in p for p in found), found
        assert any("planted.rule is not in docs" in p for p in found), found
        assert len(found) == 2, f"the check reports more than the planted rule: {found}"
    print("the planted rule is reported: no test, no row")


def main():
    swarmsim, root = sys.argv[1], sys.argv[2]
    if "--planted" in sys.argv[3:]:
        planted(root)
        return
    out = subprocess.run([swarmsim, "--list-rules"], capture_output=True, text=True, check=True).stdout
    listed = [line.split(" ")[0] for line in out.splitlines() if line]
    found = problems(root, listed)
    for p in found:
        print(p)
    if found:
        sys.exit(1)
    print(f"{len(listed)} rules, each with a test planting its violation and a row in docs/simulator.md")


if __name__ == "__main__":
    main()
