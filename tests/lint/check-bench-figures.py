#!/usr/bin/env python3
"""Checks bench/figures.json against the speed table of targets.md.

Usage: check-bench-figures.py FIGURES TARGETS_MD
       check-bench-figures.py --self-test FIGURES

Every row of the table under "## Speed and scale" must be named by a figure's `row` or listed in
`not_measured` with a reason; every `row` a figure quotes must be a row of that table; every
figure names a program of `programs` (or "suite") and a floor or target in the right direction.
Exits 77 (skipped) when TARGETS_MD is absent: it lives beside the repository, in shared/design/.
--self-test runs the check on a table made of the mapped rows, then on the same with one row
more, and fails unless the first passes and the second is caught.
"""
import json
import os
import sys


def speed_rows(markdown):
    """The first cell of every row of the table in the "Speed and scale" section."""
    rows = []
    inside = False
    for line in markdown.splitlines():
        if line.startswith("## "):
            inside = line.startswith("## Speed and scale")
            continue
        if not inside or not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] in ("What", "") or set(cells[0]) <= set("- "):
            continue
        rows.append(cells[0])
    return rows


def problems(spec, rows):
    found = []
    mapped = {f["row"] for f in spec["figures"] if f.get("row")}
    skipped = {}
    for item in spec.get("not_measured", []):
        if not item.get("reason"):
            found.append(f"not_measured row without a reason: {item.get('row')}")
        skipped[item.get("row")] = item.get("reason")
    for row in rows:
        if row not in mapped and row not in skipped:
            found.append(f"targets.md row neither measured nor listed as not measured: {row}")
    for row in sorted(mapped | set(skipped)):
        if row not in rows:
            found.append(f"figures.json quotes a row targets.md does not have: {row}")
    ids = set()
    for figure in spec["figures"]:
        if figure["id"] in ids:
            found.append(f"figure id twice: {figure['id']}")
        ids.add(figure["id"])
        if figure["program"] != "suite" and figure["program"] not in spec["programs"]:
            found.append(f"{figure['id']}: unknown program {figure['program']}")
        if figure.get("better") not in ("higher", "lower"):
            found.append(f"{figure['id']}: better must be higher or lower")
        floor, target = figure.get("floor"), figure.get("target")
        if floor is not None and target is not None:
            if (figure["better"] == "higher") != (target > floor):
                found.append(f"{figure['id']}: the target is not beyond the floor")
        if figure.get("row") and floor is None and target is None:
            found.append(f"{figure['id']}: quotes a row but has neither floor nor target")
    return found


def self_test(spec):
    rows = sorted({f["row"] for f in spec["figures"] if f.get("row")} |
                  {i["row"] for i in spec.get("not_measured", [])})
    table = "## Speed and scale\n\n| What | Floor | Target | Anchor |\n| --- | --- | --- | --- |\n"
    table += "".join(f"| {row} | 1 | 2 | x |\n" for row in rows)
    clean = problems(spec, speed_rows(table))
    planted = problems(spec, speed_rows(table + "| A figure nobody measures | 1 | 2 | x |\n"))
    if clean:
        print("self-test: the mapped rows alone were refused:", *clean, sep="\n  ")
        return 1
    if not any("A figure nobody measures" in p for p in planted):
        print("self-test: an unmapped row was not caught")
        return 1
    print("self-test: an unmapped row is caught")
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--self-test":
        with open(argv[2]) as f:
            return self_test(json.load(f))
    if len(argv) != 3:
        print(__doc__)
        return 2
    with open(argv[1]) as f:
        spec = json.load(f)
    if not os.path.exists(argv[2]):
        print(f"skipped: {argv[2]} not found")
        return 77
    with open(argv[2]) as f:
        rows = speed_rows(f.read())
    found = problems(spec, rows)
    for problem in found:
        print(problem)
    if not found:
        print(f"{len(rows)} rows of targets.md's speed table: each measured or listed with a reason")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
