#!/usr/bin/env python3
"""The include check must catch a planted violation.

Usage: planted-include-test.py CHECKER CORE_DIR

Copies the core to a temporary folder, plants forbidden includes into a copy of one header (a
thread header, a POSIX header, KJ's async layer, capnp and an io/ header), runs the checker on
the copy and requires it to fail naming every planted line -- and to pass on the clean copy.
"""
import pathlib
import shutil
import subprocess
import sys
import tempfile

PLANTED = ["#include <thread>", "#include <unistd.h>", "#include <kj/async-io.h>",
           "#include <capnp/message.h>", '#include "io/driver.h"']


def run(checker, folder):
    return subprocess.run([sys.executable, checker, str(folder)], capture_output=True, text=True)


def main():
    checker, core = sys.argv[1], pathlib.Path(sys.argv[2])
    with tempfile.TemporaryDirectory() as temp:
        copy = pathlib.Path(temp) / "core"
        shutil.copytree(core, copy)
        clean = run(checker, copy)
        if clean.returncode != 0:
            print("the clean copy of the core already fails:\n" + clean.stdout)
            return 1
        target = copy / "time.h"
        target.write_text(target.read_text() + "\n" + "\n".join(PLANTED) + "\n")
        planted = run(checker, copy)
        print(planted.stdout)
        if planted.returncode != 1:
            print(f"FAIL: the checker exited {planted.returncode} on planted includes")
            return 1
        missed = [p for p in PLANTED if p.split()[1].strip('<>"') not in planted.stdout]
        if missed:
            print("FAIL: the checker missed: " + ", ".join(missed))
            return 1
    print("the include check caught every planted violation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
