"""The classifier against replies patients really send (../shared/fixtures/replies_pt.tsv)."""

from __future__ import annotations

from pathlib import Path

from bot.core.flow_check import check_flow
from bot.core.intents import classify

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).resolve().parents[2].parent / "shared/fixtures/replies_pt.tsv"


def test_agreement_with_people_on_the_fixture() -> None:
    flow = check_flow((ROOT / "flows/confirmation.yaml").read_text(encoding="utf-8")).flow
    assert flow is not None
    state = flow.waiting_state  # right after the reminder, its menu pending
    rows = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        text, expected = line.split("\t")
        text = "" if text == "<empty>" else text.replace("\\n", "\n")
        decision = classify(
            flow.lexicon,
            text,
            accepted=flow.accepted[state],
            buttons=flow.buttons,
            menu=flow.spec.states[state].menu,
        )
        rows.append((text, expected, decision.intent))
    assert len(rows) >= 50
    wrong = [r for r in rows if r[1] != r[2]]
    swaps = [r for r in wrong if {r[1], r[2]} == {"confirm", "cancel"}]
    false_opt_outs = [r for r in wrong if r[2] == "opt_out"]
    assert swaps == []
    assert false_opt_outs == []
    assert 1 - len(wrong) / len(rows) >= 0.97, wrong
