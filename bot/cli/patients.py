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
    except ValidationError:
        raise click.BadParameter(
            f"{raw!r} não é um telefone: escreva com DDD, por exemplo 11991110001 ou +5511991110001"
        ) from None


async def _with_db(settings: Settings, action: str, phone: str) -> Any:
    async with open_store(settings) as opened:
        key = local_secret(settings.data_dir, "privacy.key")
        run = export_patient if action == "export" else erase_patient
        return await run(opened.db, opened.sealer, phone, at=utcnow(), key=key)


@click.group("patients")
def patients_group() -> None:
    """Os dados de um paciente: exportar (JSON) ou apagar (LGPD)."""


@patients_group.command("export")
@click.argument("phone")
def export_command(phone: str) -> None:
    """Mostra em JSON tudo o que está guardado sobre o TELEFONE."""
    from bot.cli import load_or_exit, resolved_settings

    number = _phone(phone)
    with resolved_settings(load_or_exit()) as settings:
        found = asyncio.run(_with_db(settings, "export", number))
    json.dump(found, sys.stdout, default=str, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


@patients_group.command("erase")
@click.argument("phone")
@click.option("--yes", is_flag=True, help="Não pede confirmação.")
def erase_command(phone: str, yes: bool) -> None:
    """Apaga ou anonimiza tudo sobre o TELEFONE, deixando só as contagens gerais."""
    from bot.cli import load_or_exit, resolved_settings

    number = _phone(phone)
    if not yes:
        click.confirm(
            "Apagar os dados deste paciente em todo lugar? Não há como desfazer", abort=True
        )
    with resolved_settings(load_or_exit()) as settings:
        done = asyncio.run(_with_db(settings, "erase", number))
    click.echo(json.dumps({"erased": done}))
