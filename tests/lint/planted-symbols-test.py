#!/usr/bin/env python3
"""The symbol check must catch a planted violation.

Usage: planted-symbols-test.py CHECKER NM CLEAN_LIBRARY PLANTED_LIBRARY

PLANTED_LIBRARY is the core's objects plus planted-symbols.c++, which calls a clock, the C
random generator, a random device, a socket and a thread. The checker must pass on the clean
core library and fail on the planted one, naming each planted symbol.
"""
import subprocess
import sys

EXPECTED = ["time", "rand", "socket", "std::chrono::_V2::system_clock::now", "std::random_device",
            "pthread_create", "std::thread"]


def main():
    checker, nm, clean, planted = sys.argv[1:5]
    result = subprocess.run([sys.executable, checker, nm, clean], capture_output=True, text=True)
    if result.returncode != 0:
        print("the clean core library fails the check:\n" + result.stdout)
        return 1
    result = subprocess.run([sys.executable, checker, nm, planted], capture_output=True, text=True)
    print(result.stdout)
    if result.returncode != 1:
        print(f"FAIL: the checker exited {result.returncode} on the planted library")
        return 1
    missed = [name for name in EXPECTED if f"references {name}" not in result.stdout]
    if missed:
        print("FAIL: the checker missed: " + ", ".join(missed))
        return 1
    print("the symbol check caught every planted violation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
