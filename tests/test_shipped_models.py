"""The shipped flows' reply models are fitted once per session, before any test, and every
test finds them whatever ran before it (tests/shipped_models.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.core.flow_check import check_flow
from bot.core.intents import forget_models
from bot.core.reply_model import Example, ReplyModel

ROOT = Path(__file__).resolve().parents[1]


def _refuse(sets: Sequence[tuple[Example, ...]]) -> list[ReplyModel]:
    raise AssertionError(f"{len(sets)} reply model(s) fitted inside a test")


def test_a_test_that_forgets_the_fitted_models() -> None:
    forget_models()  # as the reload tests do, to make the child fit for real


def test_the_next_test_compiles_every_shipped_flow_without_fitting() -> None:
    for path in sorted((ROOT / "flows").glob("*.yaml")):
        # A text check_flow's memo has not seen (its version differs), the same examples.
        text = path.read_text(encoding="utf-8") + "\n# compiled by a test\n"
        result = check_flow(text, str(path), fit=_refuse)
        assert result.flow is not None, result.problems
