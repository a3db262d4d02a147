"""Run every benchmark, print a table, write bench/results.json with the machine's facts."""

from __future__ import annotations

import json
import os
import platform
import sys
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
    }


def main() -> None:
    rows: list[dict[str, Any]] = []
    for name, run in SUITES.items():
        for row in run():
            rows.append({"suite": name, **row})
    width = max(len(row["figure"]) for row in rows)
    print(f"{'figure':<{width}}  {'value':>12}  {'baseline':>12}  ratio")
    for row in rows:
        print(
            f"{row['figure']:<{width}}  {row['value']:>12} {row['unit']:<0}"
            f"  {row['baseline']:>12}  {row['ratio']}"
        )
    out = Path(__file__).with_name("results.json")
    out.write_text(json.dumps({"machine": _machine(), "rows": rows}, indent=2, ensure_ascii=False))
    print(f"\nwritten {out}")


main()
