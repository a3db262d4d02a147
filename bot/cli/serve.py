"""Running the long-lived processes until SIGINT/SIGTERM, then draining them."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.adapters.flow_files import FlowDirectory
from bot.adapters.model_fitting import ChildFitter
from bot.cli.ops_port import metrics_port, ops_site
from bot.heap import freeze_start_up
from bot.logs import skip_record_lookups
from bot.settings import Settings
from bot.web import create_app
from bot.web.connections import CappedSite
from bot.web.keys import FLOWS
from bot.web.pages import announce
from workers.broker import create_broker

__all__ = ["serve"]

log = logging.getLogger("digitaly")

_WORKER_STOP_SECONDS = 15.0


def serve(settings: Settings, *, web: bool, worker: bool, scheduler: bool) -> None:
    """Run the chosen parts in one event loop until a stop signal."""
    skip_record_lookups()
    asyncio.run(_serve(settings, web=web, worker=worker, scheduler=scheduler))


async def _serve(settings: Settings, *, web: bool, worker: bool, scheduler: bool) -> None:
    stop, started = asyncio.Event(), asyncio.Event()
    main = asyncio.current_task()
    assert main is not None  # asyncio.run's task

    def on_signal() -> None:
        # A stop during start-up is not held until start-up ends (a flow's reply models
        # take seconds of CPU to fit, a minute on a loaded machine): start-up is cancelled,
        # which ends the fit (FlowDirectory.reload_in_thread) and closes what was opened.
        if not started.is_set() and not stop.is_set():
            main.cancel()
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        await _run(settings, stop, started, web=web, worker=worker, scheduler=scheduler)
    except asyncio.CancelledError:
        if started.is_set() or not stop.is_set():
            raise  # not our stop during start-up
        main.uncancel()
        log.info("stopped during start-up")


async def _run(
    settings: Settings,
    stop: asyncio.Event,
    started: asyncio.Event,
    *,
    web: bool,
    worker: bool,
    scheduler: bool,
) -> None:
    """Start the chosen parts, set ``started``, serve until ``stop``, then drain them."""
    if not settings.twilio_enabled:
        log.warning("no Twilio credentials: outbound messages go to the simulator channel only")

    if web + worker + scheduler > 1:
        # Several roles in one process: the schema once, before any of them starts, so their
        # own start-up checks find it current instead of racing for the migration lock. On
        # the embedded server (SecantusDB) a collection created while another session upserts
        # the lock document can livelock both (seen once: `digitaly run` never ready, the
        # server at 100 % CPU for minutes).
        from workers.context import apply_schema

        await apply_schema(settings)
    # One compile of the flows per process: checking them trains the reply classifier,
    # seconds of CPU that would otherwise run again, blocking the loop, once the web
    # part already answers ready (the scheduler's reload keeps this copy current).
    flows: FlowDirectory | None = None
    if web and scheduler:
        flows = FlowDirectory(settings.flows_dir, ChildFitter())
        await flows.load_at_start()
    async with contextlib.AsyncExitStack() as stack:
        broker = create_broker(settings)
        stop_jobs: Callable[[], Awaitable[None]] | None = None
        in_progress: set[asyncio.Task[Any]] = set()  # the scheduler's runs, while they run
        reloaded: FlowDirectory | None = None  # the scheduler's flows
        ops = metrics_port(settings, web=web)
        if ops is not None:
            await stack.enter_async_context(ops_site(settings, ops))
        if web:
            runner = _web_runner(settings, flows)
            # Before setup: a stop during it closes what its contexts opened so far.
            stack.push_async_callback(runner.cleanup)
            await runner.setup()
            await web_site(runner, settings).start()
            address = f"http://{settings.host}:{settings.port}"
            log.info("web listening", extra={"address": address})
            print(f"Digitaly is running at {address}  (Ctrl-C to stop)", flush=True)
            await announce(runner.app, address)
        if scheduler:
            # Imported only by the processes that run them: the jobs bring the report
            # builder (reportlab), APScheduler and SMTP, megabytes a web process never uses.
            from workers.jobs import create_jobs
            from workers.scheduler import add_cron_jobs, create_scheduler, stop_scheduler

            jobs = await stack.enter_async_context(create_jobs(settings, broker, flows))
            reloaded = jobs.flows
            sched = create_scheduler(jobs.interval, in_progress=in_progress)
            add_cron_jobs(sched, jobs.cron, in_progress=in_progress)
            sched.start()
            stop_jobs = functools.partial(
                stop_scheduler, sched, in_progress, within=_WORKER_STOP_SECONDS
            )
            stack.push_async_callback(stop_jobs)  # on an error before the stop signal too
            log.info("scheduler started", extra={"jobs": sorted([*jobs.interval, *jobs.cron])})
        worker_task: asyncio.Task[None] | None = None
        if worker:
            from workers.runtime import run_worker
            from workers.tasks import register_tasks

            register_tasks(broker, settings)
            worker_task = asyncio.create_task(run_worker(broker, stop))
            log.info("worker started")
        # Everything built so far lives as long as the process: out of the collector's walks.
        log.info("start-up heap frozen", extra={"objects": freeze_start_up()})
        started.set()
        await stop.wait()
        log.info("stopping")
        # A flow reload fitting reply models would hold the scheduler's stop (it waits for
        # its runs) and the exit (the loop's executor joins the reload's thread).
        for directory in (flows, reloaded):  # the same one in `digitaly run`: stops twice
            if directory is not None:
                directory.stop_fitting()
        if stop_jobs is not None:  # first: its runs hand tasks to the worker's broker
            await stop_jobs()
        if worker_task is not None:
            try:
                await asyncio.wait_for(worker_task, _WORKER_STOP_SECONDS)
            except TimeoutError:
                log.warning("worker did not stop in time; its tasks will be redelivered")


def _web_runner(settings: Settings, flows: FlowDirectory | None) -> web.AppRunner:
    app = create_app(settings, overrides={FLOWS: flows} if flows is not None else None)
    return web.AppRunner(app, access_log=None, shutdown_timeout=10.0)


def web_site(runner: web.AppRunner, settings: Settings) -> web.TCPSite:
    cap = settings.web_limits.max_connections_per_client
    return CappedSite(runner, settings.host, settings.port, cap=cap)
