"""``digitaly db status|migrate``: the schema migrations (bot.adapters.mongo.migrations)."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click

from bot.adapters.mongo import open_store
from bot.adapters.mongo.migrations import MIGRATIONS, applied, migrate
from bot.settings import Settings

__all__ = ["db_group"]


@click.group("db")
def db_group() -> None:
    """O esquema do banco de dados: que migrações já foram aplicadas, e aplicar as outras."""


async def _status(settings: Settings) -> list[dict[str, Any]]:
    async with open_store(settings, schema=False) as opened:
        done = await applied(opened.db)
    return [
        {
            "number": m.number,
            "name": m.name,
            "applied_at": done[m.number]["applied_at"].isoformat() if m.number in done else None,
            "by": done[m.number].get("by") if m.number in done else None,
        }
        for m in MIGRATIONS
    ]


async def _migrate(settings: Settings) -> list[int]:
    async with open_store(settings, schema=False) as opened:
        return await migrate(opened.db)


@db_group.command("status")
def status_command() -> None:
    """Cada migração, aplicada (quando, por qual processo) ou pendente; sai com 1 se houver
    pendente."""
    from bot.cli import load_or_exit, resolved_settings

    with resolved_settings(load_or_exit()) as settings:
        rows = asyncio.run(_status(settings))
    for row in rows:
        state = f"applied {row['applied_at']} by {row['by']}" if row["applied_at"] else "pending"
        click.echo(f"{row['number']:>4}  {row['name']}  {state}")
    if any(row["applied_at"] is None for row in rows):
        sys.exit(1)


@db_group.command("migrate")
def migrate_command() -> None:
    """Aplica agora as migrações pendentes (todo processo também aplica ao iniciar, uma
    trava garante um de cada vez)."""
    from bot.cli import load_or_exit, resolved_settings

    with resolved_settings(load_or_exit()) as settings:
        done = asyncio.run(_migrate(settings))
    click.echo(json.dumps({"applied": done}))
