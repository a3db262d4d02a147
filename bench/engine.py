"""Benchmark: ``engine.step()`` throughput against building a ``transitions.Machine`` per message.

Both sides do the same work per reply (classify it, find the transition,
take it); the baseline builds the flow's machine for every message, as a
naive integration of ``transitions`` would. Run: ``python -m bench.engine``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from transitions import Machine

from bot.core.engine import start, step
from bot.core.events import Reply, Timeout, Unit
from bot.core.flow_check import check_flow
from bot.core.intents import UNKNOWN, classify
from bot.core.machine import CompiledFlow
from bot.core.model import Appointment, Conversation

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
REPLIES = ["sim", "não vou poder ir", "qual o endereço?", "tem outro horário?", "👍"]


def _flow() -> CompiledFlow:
    text = (ROOT / "flows/confirmation.yaml").read_text(encoding="utf-8")
    flow = check_flow(text).flow
    assert flow is not None
    return flow


def _conversation(flow: CompiledFlow) -> Conversation:
    appointment = Appointment(
        "a1", "e1", "Maria Silva", "+5511987654321", NOW + timedelta(days=1), "Dra. Ana", "c"
    )
    unit = Unit("Clínica", "Rua A, 1")
    first = start(
        flow, conversation_id="c", phone=appointment.phone, appointments=[appointment],
        unit=unit, now=NOW,
    )  # fmt: skip
    return first.conversation


class _Model:
    """What a naive integration binds to a fresh machine for each message."""

    state: str


def _machine_per_message(flow: CompiledFlow, conversation: Conversation, text: str) -> str:
    spec = flow.spec
    state = spec.states[conversation.state]
    decision = classify(
        flow.understanding, text, accepted=flow.accepted[conversation.state],
        buttons=flow.buttons, menu=state.menu,
    )  # fmt: skip
    model = _Model()
    machine = Machine(
        model=model, states=list(spec.states), initial=conversation.state,
        auto_transitions=False,
    )  # fmt: skip
    for name, each in spec.states.items():
        for intent, targets in each.on.items():
            for target in targets:
                machine.add_transition(intent, name, target.to)
        if each.timeout is not None:
            machine.add_transition("timeout", name, each.timeout.to)
    if decision.intent != UNKNOWN and decision.intent in machine.get_triggers(model.state):
        model.trigger(decision.intent)  # type: ignore[attr-defined]
    return model.state


def _machine_per_timeout(flow: CompiledFlow, conversation: Conversation) -> str:
    spec = flow.spec
    model = _Model()
    machine = Machine(
        model=model, states=list(spec.states), initial=conversation.state,
        auto_transitions=False,
    )  # fmt: skip
    for name, each in spec.states.items():
        if each.timeout is not None:
            machine.add_transition("timeout", name, each.timeout.to)
    model.trigger("timeout")  # type: ignore[attr-defined]
    return model.state


def _rate(work: Callable[[int], Any], seconds: float = 0.5) -> float:
    """Operations per second: the best of three rounds of about ``seconds`` each."""
    count = 1
    while True:  # calibrate
        began = time.perf_counter()
        for i in range(count):
            work(i)
        elapsed = time.perf_counter() - began
        if elapsed > 0.05:
            break
        count *= 4
    rounds = max(1, int(count * seconds / elapsed))
    best = 0.0
    for _ in range(3):
        began = time.perf_counter()
        for i in range(rounds):
            work(i)
        best = max(best, rounds / (time.perf_counter() - began))
    return best


def run() -> list[dict[str, Any]]:
    """Measure; rows of {figure, value, unit, baseline, ratio} (ratio = value / baseline)."""
    flow = _flow()
    conversation = _conversation(flow)
    replies = [Reply(f"m{i}", NOW, text) for i, text in enumerate(REPLIES)]

    def one_step(i: int) -> None:
        step(flow, conversation, replies[i % len(replies)], NOW)

    def naive(i: int) -> None:
        _machine_per_message(flow, conversation, REPLIES[i % len(REPLIES)])

    due = conversation.timeout_at
    assert due is not None

    def one_timeout(i: int) -> None:
        step(flow, conversation, Timeout(due), due)

    def naive_timeout(i: int) -> None:
        _machine_per_timeout(flow, conversation)

    rows = []
    for figure, work, baseline_work in (
        ("engine.step() on replies (classify + transition), one core", one_step, naive),
        ("engine.step() on timeouts (transition only), one core", one_timeout, naive_timeout),
    ):
        value, baseline = _rate(work), _rate(baseline_work)
        rows.append(
            {
                "figure": figure,
                "value": round(value),
                "unit": "steps/s",
                "baseline": round(baseline),
                "ratio": round(value / baseline, 1),
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(
            f"{row['figure']}: {row['value']:,} {row['unit']} "
            f"(a transitions.Machine per message: {row['baseline']:,}; x{row['ratio']})"
        )
