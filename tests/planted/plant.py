#!/usr/bin/env python3
"""Applies a planted bug to copies of core sources: plant.py PLANT (SOURCE OUTPUT)...

A plant file (tests/planted/*.plant) opens with '#' lines saying what the bug is, then
'expect:' (the rule, a name of sim/rules.h, whose violation the simulator must report),
optionally 'detail:' (words that violation must hold), 'sweep:' (the swarmsim arguments of
the bounded sweep that must find it) and 'catch:' (the share of the sweep's seeds, in percent,
that must find it: a whole number in 1..100), then one or more edits:

    --- core/agent/reporter.c++
    lines to find (exactly once in that file)
    +++
    lines to put in their place
    ===

Every SOURCE must be edited and every edit must name a SOURCE, so the plant and the build that
compiles it cannot drift apart. A find that no longer matches fails the build with the file and
the lines, which means the core changed under the plant: update the plant.
"""
import sys


def parse(path):
    header, edits, current, part = {}, [], None, None
    for number, line in enumerate(open(path).read().splitlines(), 1):
        if current is None:
            if line.startswith("--- "):
                current = {"path": line[4:].strip(), "find": [], "replace": [], "line": number}
                part = "find"
            elif line.startswith("#") or not line.strip():
                continue
            elif ":" in line:
                key, value = line.split(":", 1)
                header[key.strip()] = value.strip()
            else:
                sys.exit(f"{path}:{number}: expected a '--- FILE' edit, a 'key: value' or a comment")
        elif line == "+++":
            part = "replace"
        elif line == "===":
            edits.append(current)
            current = None
        else:
            current[part].append(line)
    if current is not None:
        sys.exit(f"{path}: the edit at line {current['line']} does not end with '==='")
    for key in ("expect", "sweep", "catch"):
        if key not in header:
            sys.exit(f"{path}: no '{key}:' line")
    if not header["catch"].isdigit() or not 1 <= int(header["catch"]) <= 100:
        sys.exit(f"{path}: 'catch: {header['catch']}' is not a percentage of seeds in 1..100")
    if not edits:
        sys.exit(f"{path}: no edits")
    return header, edits


def main(argv):
    if len(argv) < 4 or len(argv) % 2 != 0:
        sys.exit("usage: plant.py PLANT (SOURCE OUTPUT)...")
    plant = argv[1]
    _, edits = parse(plant)
    pairs = list(zip(argv[2::2], argv[3::2]))
    texts = {source: open(source).read() for source, _ in pairs}
    edited = set()
    for edit in edits:
        sources = [s for s, _ in pairs if s.replace("\\", "/").endswith("/" + edit["path"])]
        if len(sources) != 1:
            sys.exit(f"{plant}:{edit['line']}: {edit['path']} is not one of the sources the build "
                     f"gives this plant ({', '.join(s for s, _ in pairs)})")
        source = sources[0]
        find = "\n".join(edit["find"]) + "\n"
        count = texts[source].count(find)
        if count != 1:
            sys.exit(f"{plant}:{edit['line']}: the lines to find occur {count} times in "
                     f"{edit['path']} (the core changed under the plant: update it):\n{find}")
        texts[source] = texts[source].replace(find, "\n".join(edit["replace"]) + "\n")
        edited.add(source)
    for source, output in pairs:
        if source not in edited:
            sys.exit(f"{plant}: the build gives {source} but no edit changes it")
        with open(output, "w") as out:
            out.write(f"// A PLANTED BUG ({plant.split('/')[-1]}): a test-only copy of {source.split('/core/')[-1]}.\n")
            out.write(texts[source])


if __name__ == "__main__":
    main(sys.argv)
