"""Profile mode of the webhook bench: where a reply's CPU goes, in µs per reply.

``python -m bench.webhook --profile --rate 40 --steps 2 --patients 300`` seeds
and starts both servers as :mod:`bench.webhook` does, then runs a warm-up step
and ``--steps`` steps at one offered rate on each, under py-spy
(:mod:`bench.profile`), and writes ``bench/profile.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.profile import print_summary, record, summary
from bench.webhook import PATIENTS, STEP_SECONDS, open_bench, run_step

__all__ = ["main", "profile"]


async def _profile(
    workdir: Path,
    rate: float,
    steps: int,
    patients: int,
    keep: Path | None,
    gil: bool,
    bare_bulk: bool,
) -> dict[str, Any]:
    """A warm-up step, then ``steps`` steps at ``rate`` on each server under py-spy;
    with ``keep``, py-spy's raw stacks are copied there (``web.spy``, ``bare.spy``)."""
    found: dict[str, Any] = {}
    async with open_bench(workdir, patients, bare_bulk=bare_bulk) as bench:
        found["idle_rss_mb"] = {"web": bench.idle_rss[0], "bare": bench.idle_rss[1]}
        for target in (bench.bare, bench.web):
            await run_step(target, rate)  # warm-up: first connections, caches
            with record(target.pid, workdir / f"{target.name}.spy", gil=gil) as profile:
                for _ in range(steps):
                    await run_step(target, rate)
            measured = target.steps[1:]
            done = sum(s.completed for s in measured)
            cpu = sum(s.cpu for s in measured)
            table = summary(profile[0], done, cpu * 1e6 / max(done, 1))
            table.update(
                replies=done,
                rss_peak_mb=max(s.rss_peak for s in target.steps),
                round_trips=dict(bench.commands),
                bare_round_trips=bench.bare_round_trips,
            )
            found[target.name] = table
            if keep is not None:
                shutil.copy(workdir / f"{target.name}.spy", keep / f"{target.name}.spy")
    return found


def profile(
    rate: float,
    steps: int,
    patients: int = PATIENTS,
    keep: Path | None = None,
    *,
    gil: bool = True,
    bare_bulk: bool = True,
) -> dict[str, Any]:
    """Where a reply's CPU goes in the web process and in the bare handler (µs per reply)."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-webhook-profile-") as tmp:
        return asyncio.run(_profile(Path(tmp), rate, steps, patients, keep, gil, bare_bulk))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webhook --profile", description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0, help="offered msgs/s")
    parser.add_argument("--steps", type=int, default=3, help=f"{STEP_SECONDS:g} s each")
    parser.add_argument("--patients", type=int, default=PATIENTS, help="fewer seed faster")
    parser.add_argument("--stacks", type=Path, help="keep py-spy's raw stacks in this folder")
    parser.add_argument(
        "--all-samples",
        action="store_true",
        help="count samples of threads not holding the GIL too (py-spy without --gil)",
    )
    parser.add_argument(
        "--bare-per-op",
        action="store_true",
        help="the baseline makes one round trip per operation of the turn's bulkWrite "
        "(the baseline before issue 20's seventh round)",
    )
    args = parser.parse_args(argv)
    tables = profile(
        args.rate,
        args.steps,
        args.patients,
        args.stacks,
        gil=not args.all_samples,
        bare_bulk=not args.bare_per_op,
    )
    print(f"idle RSS (MB): {tables['idle_rss_mb']}")
    for name, table in tables.items():
        if name != "idle_rss_mb":
            print_summary(
                f"{name} at {args.rate:g}/s, {table['replies']} replies", table, sys.stdout
            )
    out = Path(__file__).with_name("profile.json")
    out.write_text(json.dumps(tables, indent=2, ensure_ascii=False))
    print(f"\nwritten {out}")
