"""The robot's guide agrees with the API: every appointment status it returns, and which
answers may be retried (the same as the OpenAPI text says)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.core.model import AppointmentStatus
from bot.web.api.openapi_parts import DESCRIPTION, ERRORS, RETRYABLE

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "integration.md"


def test_the_guide_lists_every_appointment_status() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    table = text[text.index("`status` is one of:") :]
    table = table[: table.index("\n\n", table.index("| --- |"))]
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M))
    assert listed == {status.value for status in AppointmentStatus}


def _retried(text: str) -> set[str]:
    """The answers a sentence "Retry only A, B and C (and timeouts …" names."""
    found = re.search(r"Retry (?:\*\*only\*\*|only) (.+?) \(and timeouts", text, re.S)
    assert found is not None, "no 'Retry only … (and timeouts' sentence"
    return set(re.findall(r"\d{3}(?: `[a-z_]+`)?", found.group(1)))


def test_the_guide_and_the_openapi_text_retry_the_same_answers() -> None:
    guide = _retried(GUIDE.read_text(encoding="utf-8"))
    assert (
        guide
        == _retried(DESCRIPTION)
        == set(RETRYABLE)
        == {
            "409 `in_progress`",
            "429",
            "503",
        }
    )
    # What the code answers: only those carry Retry-After in the documented errors.
    with_retry_after = {
        status for status, doc in ERRORS.items() if "Retry-After" in doc.get("headers", {})
    }
    assert with_retry_after <= {answer.split()[0] for answer in RETRYABLE}
