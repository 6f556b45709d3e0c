#!/usr/bin/env python3
"""Fails when a file under the core includes a header the dependency rule forbids.

Usage: check-core-includes.py CORE_DIR

The core may include: its own headers ("core/..."), the C++ standard library minus the headers
that bring threads, clocks, random devices, files or streams, and KJ's value headers. Anything
else -- POSIX and system headers, kj/async*, kj/io.h, capnp/*, leveldb/*, io/, sim/, node/ -- is
a violation. Prints one line per violation (file:line: what and why) and exits 1 if any.
"""
import pathlib
import re
import sys

KJ_ALLOWED = {"common.h", "debug.h", "memory.h", "array.h", "string.h", "vector.h", "map.h",
              "one-of.h", "function.h", "hash.h", "table.h"}
STD_BANNED = {"thread", "mutex", "shared_mutex", "condition_variable", "future", "chrono",
              "random", "fstream", "iostream", "filesystem", "cstdio", "ctime", "csignal",
              "stop_token", "semaphore", "latch", "barrier", "execution", "syncstream"}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def verdict(kind, header):
    """None if allowed, else the reason."""
    if kind == '"':
        if header.startswith("core/"):
            return None
        return "only core headers may be included with quotes"
    if header.startswith("kj/"):
        if header[3:] in KJ_ALLOWED:
            return None
        return "KJ header outside the value-header allow-list"
    if "/" in header or header.endswith(".h"):
        return "system, POSIX or third-party header"
    if header in STD_BANNED:
        return "standard header that brings threads, clocks, randomness or files"
    return None


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root = pathlib.Path(sys.argv[1])
    files = sorted(p for p in root.rglob("*") if p.suffix in (".h", ".c++"))
    if not files:
        print(f"no sources found under {root}", file=sys.stderr)
        return 2
    violations = 0
    for path in files:
        if path.name.endswith("-test.c++"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            reason = verdict(match.group(1), match.group(2))
            if reason:
                print(f"{path}:{number}: includes {match.group(2)}: {reason}")
                violations += 1
    print(f"checked {len(files)} core files: {violations} forbidden includes")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
