"""A flow reload that fits reply models does not stop the web process from answering."""

from __future__ import annotations

import asyncio
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
