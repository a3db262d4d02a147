"""The shipped flows' reply models, fitted once per test session, before the first test.

Fitting them is about 12 s of CPU (a minute of wall time on a loaded machine), which
the first test to compile a shipped flow used to pay inside its own 60 s timeout. The
session fits them after collection, outside any test, when a collected test may compile
them, and every test starts with them among the models a compile reuses
(:func:`bot.core.reply_fitting.trained`): one that dropped them (``forget_models``) or
pushed them out costs the next one nothing, so no test depends on the order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.core import reply_fitting
from bot.core.flow_check import check_flow
from bot.core.reply_fitting import fit_here, trained
from bot.core.reply_model import Example, ReplyModel

__all__ = ["fit_shipped_models", "put_back_shipped_models"]

ROOT = Path(__file__).resolve().parents[1]

_MODELS: dict[tuple[Example, ...], ReplyModel] = {}
_MENTIONS: dict[Path, bool] = {}


def _may_compile(item: pytest.Item) -> bool:
    """A test whose module names flows or settings (the app and the services load the
    shipped flows) may compile them; a run of pure tests alone does not pay the fit."""
    path = Path(str(item.path))
    if path not in _MENTIONS:
        text = path.read_text(encoding="utf-8") if path.suffix == ".py" else ""
        _MENTIONS[path] = "flows" in text or "settings" in text
    return _MENTIONS[path]


def fit_shipped_models(items: Sequence[pytest.Item]) -> None:
    """Fit the shipped flows' models here, once, if a collected test may need them."""
    if _MODELS or not any(_may_compile(item) for item in items):
        return

    def recorded(sets: Sequence[tuple[Example, ...]]) -> list[ReplyModel]:
        models = fit_here(sets)
        _MODELS.update(zip(sets, models, strict=True))
        return models

    for path in sorted((ROOT / "flows").glob("*.yaml")):
        check_flow(path.read_text(encoding="utf-8"), str(path), fit=recorded)


def put_back_shipped_models() -> None:
    """Make the fitted models the ones a compile finds again, if a test dropped them."""
    if not _MODELS:
        return
    # By identity over the few kept models: hashing the example sets (thousands of
    # examples each) on every test would cost more than the check is worth.
    kept = {id(model) for model in reply_fitting._TRAINED.values()}
    if all(id(model) in kept for model in _MODELS.values()):
        return
    trained(list(_MODELS), lambda missing: [_MODELS[examples] for examples in missing])
