"""The reply model against the public fixture of real replies (tests/data/replies/public.tsv).

These replies are also among the flow's examples, so this is a consistency check (the
model keeps what it was taught), not a measure of generalisation: that is the frozen
test split's job (tests/flows/test_flows_cli.py).
"""

from __future__ import annotations

from pathlib import Path

from bot.core.evaluation import evaluate, parse_cases
from bot.core.flow_check import check_flow

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests/data/replies/public.tsv"


def test_agreement_with_people_on_the_fixture() -> None:
    flow = check_flow((ROOT / "flows/confirmation.yaml").read_text(encoding="utf-8")).flow
    assert flow is not None
    cases, problems = parse_cases(FIXTURE.read_text(encoding="utf-8"))
    assert problems == []
    assert len(cases) >= 50
    report = evaluate(flow, cases, {"": flow.waiting_state})  # right after the reminder
    misses = [
        (m.case.text, m.case.intent, m.read) for c in report.contexts.values() for m in c.misses
    ]
    assert misses == []
