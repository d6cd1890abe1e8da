"""The figures of CI's schemathesis run (tests/api/test_schemathesis.py).

    .venv/bin/python -m benchmarks.schemathesis_run

Runs the test as CI does, in a subprocess, and reads the app's own request log (one JSON
line per request on stderr) for what was sent and answered: operations tested, requests,
answers by status, 5xx, and the operations whose answers broke the spec (failed tests).
The requests include the one login each operation's account makes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter

TEST = "tests/api/test_schemathesis.py"


def run() -> tuple[str, str, float]:
    started = time.perf_counter()
    command = [sys.executable, "-m", "pytest", TEST, "-q", "-s", "-p", "no:cacheprovider"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return done.stdout, done.stderr, time.perf_counter() - started


def statuses(log: str) -> Counter[int]:
    counts: Counter[int] = Counter()
    for line in log.splitlines():
        if '"event": "request"' not in line:
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("logger") == "cognitia.http":
            counts[int(entry["status"])] += 1
    return counts


def outcome(stdout: str) -> tuple[int, int, str]:
    """Passed and failed operations, and pytest's own duration."""
    summary = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    passed = re.search(r"(\d+) passed", summary)
    failed = re.search(r"(\d+) failed", summary)
    seconds = re.search(r"in ([\d.]+)s", summary)
    return (
        int(passed.group(1)) if passed else 0,
        int(failed.group(1)) if failed else 0,
        seconds.group(1) if seconds else "?",
    )


def main() -> None:
    stdout, stderr, wall = run()
    counts = statuses(stderr)
    passed, failed, test_seconds = outcome(stdout)
    by_class = {f"{n}xx": sum(v for k, v in counts.items() if k // 100 == n) for n in (2, 4, 5)}
    rows = [
        ("operations", passed + failed),
        ("requests", sum(counts.values())),
        *by_class.items(),
        ("operations breaking the spec", failed),
        ("pytest seconds", test_seconds),
        ("wall seconds (with start-up)", f"{wall:.1f}"),
    ]
    for name, value in rows:
        print(f"| {name} | {value} |")
    print("| answers by status | " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
