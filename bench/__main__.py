"""Run every benchmark, print a table, write bench/results.json with the machine's facts."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from bench import durability, engine, fanout, reports, scan, slots, understanding, webhook

SUITES = {
    "engine": engine.run,
    "understanding": understanding.run,
    "webhook": webhook.run,
    "fanout": fanout.run,
    "scan": scan.run,
    "slots": slots.run,
    "reports": reports.run,
    "durability": durability.run,
}


def _machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        # Other work on the machine slows every figure: the 1, 5, 15-minute load averages.
        "load_average": [round(n, 1) for n in os.getloadavg()],
    }


def main() -> None:
    rows: list[dict[str, Any]] = []
    took: dict[str, float] = {}  # seconds per suite: `make bench` must stay under 15 minutes
    for name, run in SUITES.items():
        began = time.monotonic()
        for row in run():
            rows.append({"suite": name, **row})
        took[name] = round(time.monotonic() - began, 1)
        print(f"  {name}: {took[name]:.0f} s", file=sys.stderr, flush=True)
    width = max(len(row["figure"]) for row in rows)
    machine = {**_machine(), "suite_seconds": took}
    print(f"{machine['cpus']} CPUs, load average {machine['load_average']} at the end")
    print("seconds per suite: " + ", ".join(f"{k} {v:.0f}" for k, v in took.items()))
    print(f"{'figure':<{width}}  {'value':>12}  {'baseline':>12}  ratio")
    for row in rows:
        print(
            f"{row['figure']:<{width}}  {row['value']:>12} {row['unit']:<0}"
            f"  {row['baseline']:>12}  {row['ratio']}"
            + (f"  (load {row['load']})" if "load" in row else "")
        )
    out = Path(__file__).with_name("results.json")
    out.write_text(json.dumps({"machine": machine, "rows": rows}, indent=2, ensure_ascii=False))
    print(f"\nwritten {out}")


main()
