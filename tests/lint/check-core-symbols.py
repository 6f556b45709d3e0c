#!/usr/bin/env python3
"""Fails when the built core library references I/O, clock, thread or randomness symbols.

Usage: check-core-symbols.py NM LIBRARY

Reads the library's undefined symbols with `nm -C -u` and reports each one that would let the
core touch the outside world: sockets, files, clocks, threads, random devices, sleeping,
processes. Exits 1 if any is found.
"""
import re
import subprocess
import sys

BANNED_NAMES = {
    "socket", "connect", "bind", "listen", "accept", "accept4", "send", "recv", "sendto",
    "recvfrom", "open", "open64", "openat", "creat", "read", "write", "pread", "pwrite", "readv",
    "writev", "fopen", "fopen64", "fread", "fwrite", "clock_gettime", "gettimeofday", "time",
    "clock", "rand", "srand", "random", "srandom", "rand_r", "drand48", "getrandom", "getentropy",
    "arc4random", "pthread_create", "sleep", "usleep", "nanosleep", "fork", "execve", "system",
    "getpid", "kill", "signal", "sigaction", "epoll_wait", "poll", "select",
}
BANNED_PATTERNS = [
    (re.compile(r"std::chrono::.*_clock::now"), "reads a clock"),
    (re.compile(r"std::random_device"), "reads an entropy device"),
    (re.compile(r"std::thread"), "starts a thread"),
    (re.compile(r"std::basic_[io]?fstream|std::basic_filebuf"), "opens files"),
    (re.compile(r"std::filesystem::"), "touches the filesystem"),
    (re.compile(r"std::(cout|cerr|clog)\b"), "writes to the console"),
    (re.compile(r"kj::(setupAsyncIo|EventLoop|Timer|newDiskFilesystem)"), "uses KJ's I/O layer"),
]


def main():
    if len(sys.argv) != 3:
        print("usage: check-core-symbols.py NM LIBRARY", file=sys.stderr)
        return 2
    nm, library = sys.argv[1], sys.argv[2]
    result = subprocess.run([nm, "-C", "-u", library], capture_output=True, text=True)
    if result.returncode != 0:
        print(f"{nm} failed on {library}: {result.stderr.strip()}", file=sys.stderr)
        return 2
    symbols = sorted({line.split(None, 1)[1].strip() for line in result.stdout.splitlines()
                      if line.strip().startswith("U ")})
    found = []
    for symbol in symbols:
        name = symbol.split("@")[0]
        if name in BANNED_NAMES:
            found.append(f"{symbol}: a system call or libc function the core must not use")
            continue
        for pattern, why in BANNED_PATTERNS:
            if pattern.search(symbol):
                found.append(f"{symbol}: {why}")
                break
    for line in found:
        print(f"{library}: references {line}")
    print(f"checked {len(symbols)} undefined symbols: {len(found)} forbidden")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
