#!/usr/bin/env python3
"""Fails when a C++ file tracked in the project is not clang-format clean.

Usage: check-format.py CLANG_FORMAT SOURCE_ROOT
"""
import pathlib
import subprocess
import sys


def main():
    clang_format, root = sys.argv[1], pathlib.Path(sys.argv[2])
    files = sorted(str(p) for folder in ("core", "io", "sim", "node", "bench", "tests")
                   for p in (root / folder).rglob("*") if p.suffix in (".h", ".c++"))
    result = subprocess.run([clang_format, "--dry-run", "--Werror", *files],
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stderr[:20000])
        print(f"clang-format: some of {len(files)} files need formatting; run "
              f"`clang-format -i` on them")
        return 1
    print(f"clang-format: {len(files)} files clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
