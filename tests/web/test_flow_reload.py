"""A flow reload that fits reply models does not stop the web process from answering."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.flow_files import FlowDirectory
from bot.adapters.model_fitting import ChildFitter
from bot.core.intents import forget_models
from bot.core.reply_model import Example, ReplyModel
from bot.settings import Settings
from bot.web import app as web_app
from bot.web import create_app
from bot.web.keys import FLOWS
from tests.flows.test_flow_directory import edit
from tests.processes import fitting_children

ROOT = Path(__file__).resolve().parents[2]


class _Watched(ChildFitter):
    """The serving process's fitter, saying when a fit (in its child) has begun."""

    def __init__(self) -> None:
        super().__init__()
        self.fitting = threading.Event()

    def __call__(self, sets: Sequence[tuple[Example, ...]]) -> list[ReplyModel]:
        self.fitting.set()
        return super().__call__(sets)


async def test_the_web_answers_while_the_watcher_reload_fits(
    aiohttp_client: Any, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(ROOT / "flows" / "satisfaction.yaml", tmp_path / "satisfaction.yaml")
    fit = _Watched()
    flows = FlowDirectory(tmp_path, fit)
    flows.reload()
    old = flows.current("satisfaction")
    client = await aiohttp_client(create_app(settings, overrides={FLOWS: flows}))
    forget_models()  # the edit's models are fitted for real, in the child
    edit(tmp_path / "satisfaction.yaml", "examples: [otimo, ", "examples: [otimo, supimpa, ")
    fit.fitting.clear()
    monkeypatch.setattr(web_app, "_FLOW_RELOAD_SECONDS", 0.0)
    watcher = asyncio.create_task(web_app._watch_flows(flows))  # the web's reload trigger
    try:
        assert await asyncio.to_thread(fit.fitting.wait, 60)
        response = await client.get("/healthz")
        assert response.status == 200
        # Answered while the child still fits: the reload has not replaced the flow yet.
        assert flows.current("satisfaction") is old
    finally:
        watcher.cancel()
    # Another reload waits for the running one to end: by then the edit is in.
    assert (await flows.reload_in_thread()).loaded == []
    assert flows.current("satisfaction").version != old.version


# An edit of one training reply of the confirmation flow: with the models forgotten, the
# reload fits all of its models again in the child (about 12 s of CPU).
_EDIT = ('"chega de mensagem pelo amor de Deus"', '"chega de mensagem, pelo amor de Deus"')


async def test_a_stop_during_a_reload_ends_its_fit_at_once(tmp_path: Path) -> None:
    shutil.copy(ROOT / "flows" / "confirmation.yaml", tmp_path / "confirmation.yaml")
    fit = _Watched()
    flows = FlowDirectory(tmp_path, fit)
    flows.reload()
    old = flows.current("confirmation")
    forget_models()
    edit(tmp_path / "confirmation.yaml", *_EDIT)
    fit.fitting.clear()
    reload = asyncio.create_task(flows.reload_in_thread())
    assert await asyncio.to_thread(fit.fitting.wait, 60)

    flows.stop_fitting()  # what a shutdown does

    # The fit was cut short, not waited for: nothing new loaded, the old version serves,
    # and the edit is left for the next start (a fit after the stop starts no child).
    assert (await reload).loaded == []
    assert flows.current("confirmation") is old
    assert _fitting_children() == []
    assert (await flows.reload_in_thread()).loaded == []


async def test_the_web_stopping_during_a_reload_leaves_no_child_fitting(
    aiohttp_client: Any, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("confirmation", "satisfaction", "waitlist"):
        shutil.copy(ROOT / "flows" / f"{name}.yaml", tmp_path / f"{name}.yaml")
    monkeypatch.setattr(web_app, "_FLOW_RELOAD_SECONDS", 0.0)  # the watcher reloads at once
    app = create_app(settings.model_copy(update={"flows_dir": tmp_path}))
    client = await aiohttp_client(app)  # the app's own flows, fitter and watcher
    forget_models()
    edit(tmp_path / "confirmation.yaml", *_EDIT)
    for _ in range(1200):  # the watcher's reload starts fitting in a child
        if _fitting_children():
            break
        await asyncio.sleep(0.05)
    assert _fitting_children()

    await client.close()  # the app's cleanup, as on SIGTERM

    # Terminated by the cleanup (a fit left running holds the process's exit: the loop's
    # executor joins the reload's thread). Its reaping takes the thread a moment.
    for _ in range(200):
        if not _fitting_children():
            break
        await asyncio.sleep(0.05)
    assert _fitting_children() == []


def _fitting_children() -> list[int]:
    return fitting_children(os.getpid())
