"""The robot's guide lists every appointment status the API returns, and only those."""

from __future__ import annotations

import re
from pathlib import Path

from bot.core.model import AppointmentStatus

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "integration.md"


def test_the_guide_lists_every_appointment_status() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    table = text[text.index("`status` is one of:") :]
    table = table[: table.index("\n\n", table.index("| --- |"))]
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M))
    assert listed == {status.value for status in AppointmentStatus}
