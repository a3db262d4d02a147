"""``digitaly patients export|erase PHONE``: the LGPD rights, one command away."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click

from bot.adapters.mongo import open_store
from bot.adapters.mongo.privacy import erase_patient, export_patient
from bot.adapters.secrets import local_secret
from bot.clock import utcnow
from bot.core.errors import ValidationError
from bot.core.phones import normalize
from bot.settings import Settings

__all__ = ["patients_group"]


def _phone(raw: str) -> str:
    try:
        return normalize(raw)
    except ValidationError as exc:
        raise click.BadParameter(str(exc)) from None


async def _with_db(settings: Settings, action: str, phone: str) -> Any:
    async with open_store(settings) as opened:
        key = local_secret(settings.data_dir, "privacy.key")
        run = export_patient if action == "export" else erase_patient
        return await run(opened.db, opened.sealer, phone, at=utcnow(), key=key)


@click.group("patients")
def patients_group() -> None:
    """A patient's data: export it (JSON) or erase it (LGPD)."""


@patients_group.command("export")
@click.argument("phone")
def export_command(phone: str) -> None:
    """Print everything held on PHONE as JSON."""
    from bot.cli import load_or_exit, resolved_settings

    number = _phone(phone)
    with resolved_settings(load_or_exit()) as settings:
        found = asyncio.run(_with_db(settings, "export", number))
    json.dump(found, sys.stdout, default=str, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


@patients_group.command("erase")
@click.argument("phone")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(phone: str, yes: bool) -> None:
    """Remove or anonymise everything held on PHONE, keeping only aggregate counts."""
    from bot.cli import load_or_exit, resolved_settings

    number = _phone(phone)
    if not yes:
        click.confirm("Erase this patient's data everywhere? This cannot be undone", abort=True)
    with resolved_settings(load_or_exit()) as settings:
        done = asyncio.run(_with_db(settings, "erase", number))
    click.echo(json.dumps({"erased": done}))
