"""LGPD: export and erase a patient through the CLI, after a real conversation."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.core.model import OutboxState
from bot.web.keys import CONVERSATIONS, DB, SETTINGS, STORE
from reports.build import load_day, scope_for
from reports.data import ReportKind, Stats, build_report
from tests.cli_env import use_settings
from tests.web.conftest import Client, patients_of
from tests.web.test_webhooks import NOW, _appointment, _settle

ROOT = Path(__file__).resolve().parents[2]


async def _converse(client: Client, n: int) -> str:
    appointment = _appointment(n)
    await client.app[STORE].appointments.upsert(appointment)
    await client.app[CONVERSATIONS].start(f"c-priv{n}", "confirmation", [appointment])
    twilio = patients_of(client)
    posted = await twilio.receive(appointment.phone, f"não vou poder ir, Maria {n} aqui")
    await twilio.close()
    assert posted.answer == 200
    await _settle(client)
    return appointment.phone


async def test_export_then_erase(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    phone = await _converse(client, 401)
    other = await _converse(client, 402)
    settings = client.app[SETTINGS]
    use_settings(monkeypatch, settings)
    runner = CliRunner()

    exported = await _run(runner, ["patients", "export", phone])
    data = json.loads(exported)
    assert [a["patient_name"] for a in data["appointments"]] == ["Maria 401 da Silva"]
    assert [m["body"] for m in data["inbound"]] == ["não vou poder ir, Maria 401 aqui"]
    assert len(data["outbox"]) >= 2
    assert len(data["conversations"]) == 1

    talked = await client.app[STORE].conversations.get("c-priv401")
    assert talked is not None
    erased = json.loads(await _run(runner, ["patients", "erase", phone, "--yes"]))
    assert erased["erased"]["appointments"] == 1
    assert erased["erased"]["conversations"] == 1
    # The erasure is the conversation's next version: a turn that read it before cannot save.
    after = await client.app[STORE].conversations.get("c-priv401")
    assert after is not None
    assert (after.version, after.data, after.status.value) == (
        talked.version + 1,
        {
            "erased": True,
            "sent": talked.data["sent"],  # the counts the reports read stay
            "decisions": [
                {k: d[k] for k in ("at", "state", "intent", "rule")}  # the reason goes
                for d in talked.data["decisions"]
            ],
        },
        "done",
    )
    raw = json.dumps(
        {
            name: await client.app[DB][name].find().to_list()
            for name in await client.app[DB].list_collection_names()
        },
        default=str,
        ensure_ascii=False,
    )
    assert phone not in raw
    assert phone.removeprefix("+") not in raw
    assert "Maria 401" not in raw
    assert "Maria 401 aqui" not in raw
    # What the reports need stays: the appointment, its status, the delivery records.
    appointment = await client.app[STORE].appointments.get("a401")
    assert appointment is not None
    assert appointment.status.value in {"scheduled", "cancel_requested"}
    # Other patients are untouched.
    kept = await client.app[STORE].appointments.get("a402")
    assert kept is not None
    assert (kept.phone, kept.patient_name) == (other, "Maria 402 da Silva")
    audit = await client.app[DB]["privacy_audit"].find().to_list()
    assert [entry["action"] for entry in audit] == ["export", "erase"]
    assert phone not in json.dumps(audit, default=str)


async def test_erase_leaves_the_day_s_figures_as_they_were(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reports of a past day count what happened, whoever has been erased since."""
    phone = await _converse(client, 405)
    store = client.app[STORE]
    for entry in await store.outbox.for_conversations(["c-priv405"]):
        assert await store.outbox.update(
            entry.key, OutboxState.PENDING, state=OutboxState.SENT, provider_sid=f"SM{entry.key}"
        )
    before = await _totals(client)
    assert (before.reminders_sent, before.answered) == (1, 1)
    assert before.median_answer_seconds is not None

    use_settings(monkeypatch, client.app[SETTINGS])
    await _run(CliRunner(), ["patients", "erase", phone, "--yes"])

    assert await _totals(client) == before


async def _totals(client: Client) -> Stats:
    scope = scope_for(client.app[SETTINGS], None)
    # the appointments' day where the clinic is: from 21:00 in São Paulo, UTC is a day ahead
    day = (NOW + timedelta(days=1)).astimezone(ZoneInfo(scope.timezone)).date()
    report = build_report(
        await load_day(client.app[STORE], day, scope),
        kind=ReportKind.SUMMARY,
        day=day,
        clinic="Clínica",
        scope=scope.name,
        unit=None,
        timezone=scope.timezone,
        unit_names={},
        generated_at=NOW,
    )
    return report.totals


async def _run(runner: CliRunner, args: list[str]) -> str:
    result = await asyncio.to_thread(runner.invoke, main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


async def test_retention_blanks_old_bodies_only(client: Client) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.adapters.mongo.privacy import apply_retention

    await _converse(client, 403)
    db = client.app[DB]
    now = datetime.now(UTC)
    assert await apply_retention(db, now, timedelta(days=90)) == {
        "inbound": 0,
        "outbox": 0,
        "simulator_messages": 0,
    }
    done = await apply_retention(db, now + timedelta(days=91), timedelta(days=90))
    assert done["inbound"] == 1
    assert done["outbox"] >= 2
    assert await db["inbound"].count_documents({"body": {"$ne": ""}}) == 0
    assert await db["appointments"].count_documents({}) == 1  # outcomes stay


async def test_raw_collections_hold_no_name_phone_or_text_in_clear(client: Client) -> None:
    phone = await _converse(client, 404)
    db = client.app[DB]
    raw = json.dumps(
        {name: await db[name].find().to_list() for name in await db.list_collection_names()},
        default=str,
        ensure_ascii=False,
    )
    for secret in (
        phone,
        phone.removeprefix("+"),
        "Maria 404",
        "Maria 404 aqui",
        "quer mesmo desmarcar",
    ):
        assert secret not in raw, secret
    # ... while everything still reads back through the store.
    appointment = await client.app[STORE].appointments.get("a404")
    assert appointment is not None
    assert (appointment.phone, appointment.patient_name) == (phone, "Maria 404 da Silva")
    assert await client.app[STORE].conversations.active_for_phone((phone,)) is not None
