"""`python -m tests.faults` (what `make test-faults` runs): the whole fault and property suite, then
the summary: per fault kind the trials run and how many ended with KPIs other than the undisturbed
run's (must be 0), and per source the records sent and accounted (accepted + duplicate +
dead-lettered, from the HTTP answers and from `ioc status`). Extra arguments go to pytest.
Exit status: pytest's, or 1 when the ledger shows a difference pytest did not already fail on.
"""
from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path

import orjson
import pytest


def main(argv: list[str]) -> int:
    seed = os.environ.setdefault("IOC_FAULTS_SEED", str(random.SystemRandom().randrange(1, 10**9)))
    with tempfile.TemporaryDirectory(prefix="ioc-faults-") as folder:
        ledger = Path(folder) / "ledger.jsonl"
        os.environ["IOC_FAULTS_SUMMARY"] = str(ledger)
        started = time.monotonic()
        # every test of tests/faults at full scale, and those without a scale (known bugs, shapes)
        code = pytest.main(["-q", "-m", "faults or not faults", "-k", "not quick", "tests/faults", *argv])
        entries = [orjson.loads(line) for line in ledger.read_bytes().splitlines()] if ledger.exists() else []
    from tests.faults.summary import render, verdict
    minutes = (time.monotonic() - started) / 60
    print(
        f"\n=== make test-faults: summary (seed {seed}, {minutes:.1f} min; "
        f"rerun with IOC_FAULTS_SEED={seed}) ==="
    )
    problems = verdict(entries)
    if not entries:
        print("no trial ran")
    else:
        print(render(entries))
        print(
            "\n".join(["PROBLEMS:", *problems])
            if problems
            else "every trial ended with the undisturbed KPIs; every record sent was accounted"
        )
    return int(code) or (1 if problems or not entries else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
