"""Log lines: JSON, masked phones, and the leak detector the whole suite runs under."""

from __future__ import annotations

import json
import logging

import pytest

from bot.logs import (
    JsonFormatter,
    configure_logging,
    correlation_id,
    mask_phone,
    skip_record_lookups,
)
from tests.conftest import _PHONE


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+5511987654321", "+55*********21"),
        ("whatsapp:+556187654321", "+55********21"),
        ("123", "***"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked
    assert not _PHONE.search(mask_phone(phone))


def test_leak_detector_sees_a_phone_in_clear() -> None:
    assert _PHONE.search('{"event": "x", "to": "+5511987654321"}')
    assert _PHONE.search("whatsapp:5561987654321")
    assert not _PHONE.search("SM5511987654321000")  # digits inside a longer id
    assert not _PHONE.search("c550503578241aef")  # a hex correlation id


def test_json_line_carries_extras_and_correlation_id() -> None:
    record = logging.makeLogRecord(
        {"msg": "inbound stored", "levelname": "INFO", "name": "t", "sid": "SM1"}
    )
    token = correlation_id.set("SM1")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        correlation_id.reset(token)
    assert line["event"] == "inbound stored"
    assert line["sid"] == "SM1"
    assert line["correlation_id"] == "SM1"


def test_lines_without_record_lookups_are_the_same(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    for name in ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing"):
        monkeypatch.setattr(logging, name, getattr(logging, name))  # restored after the test
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    configure_logging("INFO")
    skip_record_lookups()
    seen: list[logging.LogRecord] = []
    root.handlers[0].addFilter(lambda record: seen.append(record) is None)
    logging.getLogger("bot.test").info("reply decided", extra={"state": "kept"})
    line = json.loads(capsys.readouterr().err)
    assert (line["event"], line["state"], line["level"]) == ("reply decided", "kept", "info")
    # Not looked up (a third of a log call's cost), and never written anyway:
    assert (seen[0].funcName, seen[0].lineno, seen[0].threadName) == ("(unknown function)", 0, None)
    assert not {"funcName", "lineno", "threadName", "process"} & set(line)
