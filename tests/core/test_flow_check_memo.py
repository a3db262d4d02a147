"""check_flow's memo: one compiled result per text, without keeping the text alive."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.core.flow_check import check_flow

ROOT = Path(__file__).resolve().parents[2]


def test_a_text_is_compiled_once_and_not_kept_by_the_memo() -> None:
    text = (ROOT / "flows" / "waitlist.yaml").read_text(encoding="utf-8") + "\n# memo\n"
    same = "".join(list(text))  # an equal text, another object
    assert same is not text
    before = sys.getrefcount(text)
    first = check_flow(text, "waitlist.yaml")
    assert first.flow is not None, first.problems
    assert sys.getrefcount(text) == before  # memoised by its hash, not by the text itself
    assert check_flow(same, "waitlist.yaml") is first
    assert check_flow(same, "other.yaml") is not first  # problems name the file
