"""The staff's YAML conversation tests (flows/tests/*.yaml), one pytest test each."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.flow_check import check_flow
from bot.core.flow_tests import DialogueFile, parse_tests, run_tests
from bot.core.machine import CompiledFlow

ROOT = Path(__file__).resolve().parents[2]


def flows() -> dict[str, CompiledFlow]:
    found = {}
    for path in (ROOT / "flows").glob("*.yaml"):
        flow = check_flow(path.read_text(encoding="utf-8"), str(path)).flow
        assert flow is not None
        found[flow.name] = flow
    return found


CASES = [
    (path, case.name)
    for path in sorted((ROOT / "flows/tests").glob("*.yaml"))
    for case in parse_tests(path.read_text(encoding="utf-8")).tests
]


@pytest.mark.parametrize(("path", "name"), CASES, ids=[f"{p.stem}: {n}" for p, n in CASES])
def test_conversation(path: Path, name: str) -> None:
    tests = parse_tests(path.read_text(encoding="utf-8"))
    one = DialogueFile(
        flow=tests.flow,
        unit=tests.unit,
        now=tests.now,
        tests=tuple(c for c in tests.tests if c.name == name),
    )
    [outcome] = run_tests(one, flows())
    assert outcome.passed, outcome.failures


def test_every_shipped_flow_has_conversation_tests() -> None:
    tested = {parse_tests(p.read_text(encoding="utf-8")).flow for p, _ in CASES}
    assert tested == set(flows())


def test_a_wrong_expectation_fails_with_a_readable_message() -> None:
    text = """
flow: confirmation
tests:
  - name: wrong on purpose
    steps:
      - start: true
      - patient: "sim"
        state: cancelled
        bot: [closed]
"""
    [outcome] = run_tests(parse_tests(text), flows())
    assert not outcome.passed
    assert "passo 2: bot: esperado ('closed',), veio ('confirmed',)" in outcome.failures
    assert "passo 2: state: esperado 'cancelled', veio 'confirmed'" in outcome.failures


def test_a_misspelt_expectation_is_an_error_not_a_silent_pass() -> None:
    with pytest.raises(ValueError, match="stat"):
        parse_tests(
            "flow: confirmation\ntests:\n  - name: x\n    steps:\n      - start: true\n        stat: confirmed\n"
        )
