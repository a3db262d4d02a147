"""``digitaly patients export|erase PHONE``: the LGPD rights, one command away.

Staff run these: whatever goes wrong (a number that is not one, a number we hold
nothing on, a database that does not answer, a missing key) ends in one Portuguese
line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click
from pymongo.errors import PyMongoError

from bot.adapters.mongo import open_store
from bot.adapters.mongo.privacy import erase_patient, export_patient, holds_number
from bot.adapters.secrets import local_secret
from bot.clock import utcnow
from bot.core.errors import BotError, NotFoundError, ValidationError
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
    key = local_secret(settings.data_dir, "privacy.key")
    async with open_store(settings) as opened:
        # Neither right leaves an audit record of nothing, nor a result that looks like one.
        if not await holds_number(opened.db, opened.sealer, phone, key=key):
            raise NotFoundError("nothing held on this number")
        if action == "erase":
            return await erase_patient(opened.db, opened.sealer, phone, at=utcnow(), key=key)
        return await export_patient(opened.db, opened.sealer, phone, at=utcnow(), key=key)


def _run(settings: Settings, action: str, phone: str) -> Any:
    """:func:`_with_db`, or exit 1 with what went wrong in words staff can act on."""
    try:
        return asyncio.run(_with_db(settings, action, phone))
    except NotFoundError:
        nothing = "nada foi apagado" if action == "erase" else "nada foi exportado"
        raise click.ClickException(
            f"nenhum dado guardado para este telefone ({nothing}): confira o número"
        ) from None
    except PyMongoError as error:
        after = (
            "Se a exclusão já tinha começado, ela ficou registrada como incompleta: "
            "rode o comando de novo quando o banco voltar; ele apaga o que faltou."
            if action == "erase"
            else "Tente de novo quando o banco voltar."
        )
        raise click.ClickException(
            f"o banco de dados (MongoDB) não respondeu ({type(error).__name__}). {after}"
        ) from None
    except OSError as error:
        raise click.ClickException(
            f"não foi possível ler a chave de privacidade em {settings.data_dir}: {error.strerror}"
        ) from None
    except BotError as error:  # a configuration problem (the data keys, for one)
        raise click.ClickException(f"configuração: {error}") from None


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
        found = _run(settings, "export", number)
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
        done = _run(settings, "erase", number)
    click.echo(json.dumps({"erased": done}))
