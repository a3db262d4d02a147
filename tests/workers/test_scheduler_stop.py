"""Stopping the scheduler lets the runs in progress end, then takes no more.

APScheduler's ``shutdown()`` cancels a coroutine job mid-run (its asyncio executor
cannot wait): at every Ctrl-C of ``digitaly run`` a scan was cut, logged as an error
with its traceback, and the worker's broker was closed under it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from workers.scheduler import create_scheduler, stop_scheduler


class _Scan:
    """A job that takes ``seconds`` and records how each run ended."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.began = asyncio.Event()
        self.ended: list[str] = []

    async def __call__(self) -> None:
        self.began.set()
        try:
            await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            self.ended.append("cancelled")
            raise
        self.ended.append("finished")


async def _running(scan: _Scan) -> tuple[AsyncIOScheduler, set[asyncio.Task[Any]]]:
    """A scheduler running ``scan`` every 0.1 s, once its first run has begun."""
    in_progress: set[asyncio.Task[Any]] = set()
    scheduler = create_scheduler({"scan": (timedelta(seconds=0.1), scan)}, in_progress=in_progress)
    scheduler.start()
    await asyncio.wait_for(scan.began.wait(), 5)
    return scheduler, in_progress


async def test_a_run_in_progress_finishes_and_no_new_run_starts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scan = _Scan(0.5)
    scheduler, in_progress = await _running(scan)
    assert len(in_progress) == 1
    with caplog.at_level(logging.WARNING):
        await stop_scheduler(scheduler, in_progress, within=5)
    assert scan.ended == ["finished"]
    assert not scheduler.running
    assert in_progress == set()
    await asyncio.sleep(0.3)  # three ticks: a scheduler still running would start one
    assert scan.ended == ["finished"]
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_run_longer_than_the_deadline_is_cancelled_and_said(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scan = _Scan(30)
    scheduler, in_progress = await _running(scan)
    with caplog.at_level(logging.WARNING):
        await stop_scheduler(scheduler, in_progress, within=0.2)
        await asyncio.sleep(0.05)  # the cancellation reaches the run
    assert scan.ended == ["cancelled"]
    assert any(r.getMessage() == "scheduled runs cancelled at stop" for r in caplog.records)


async def test_stopping_a_scheduler_that_never_started_does_nothing() -> None:
    scheduler = create_scheduler({"scan": (timedelta(seconds=1), _Scan(0))})
    await stop_scheduler(scheduler, set(), within=1)
    assert not scheduler.running
