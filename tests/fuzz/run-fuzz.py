#!/usr/bin/env python3
"""Runs one libFuzzer target for a while from a committed seed corpus, without touching it.

Usage: run-fuzz.py FUZZER CORPUS_DIR SECONDS ARTIFACT_DIR [WORK_CORPUS_DIR]

New inputs the fuzzer finds go to WORK_CORPUS_DIR (a temporary directory when not given), never
to CORPUS_DIR. A crash, an assertion, a sanitizer report, a leak or a slow input (over 10 s)
fails the run; libFuzzer writes the input that caused it under ARTIFACT_DIR, and this script
prints how to replay it. Exits with the fuzzer's status.
"""
import os
import re
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) not in (5, 6):
        print(__doc__, file=sys.stderr)
        return 2
    fuzzer, corpus, seconds, artifacts = sys.argv[1:5]
    name = os.path.basename(fuzzer)
    os.makedirs(artifacts, exist_ok=True)
    env = dict(os.environ)
    # A UBSan finding must stop the run like an ASan one (it only warns by default).
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:abort_on_error=1:print_stacktrace=1")
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as scratch:
        work = sys.argv[5] if len(sys.argv) == 6 else scratch
        os.makedirs(work, exist_ok=True)
        command = [fuzzer, f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2048",
                   "-print_final_stats=1", f"-artifact_prefix={artifacts}/", work, corpus]
        result = subprocess.run(command, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace")
    output = result.stdout
    runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", output)
    count = runs.group(1) if runs else "?"
    if result.returncode == 0:
        print(f"{name}: {count} inputs in {seconds} s, no crash")
        return 0
    print(output[-20000:])
    found = re.findall(r"Test unit written to (\S+)", output)
    replay = f"{fuzzer} {found[-1]}" if found else f"{fuzzer} <input>"
    print(f"{name}: FAILED after {count} inputs (exit {result.returncode}); "
          f"replay with: {replay}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
