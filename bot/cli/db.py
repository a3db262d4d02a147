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
    """The database schema: which migrations are applied, applying the rest."""


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
    """Each migration, applied (when, by which process) or pending; exit 1 if any is pending."""
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
    """Apply the pending migrations now (every process also does at start, under one lock)."""
    from bot.cli import load_or_exit, resolved_settings

    with resolved_settings(load_or_exit()) as settings:
        done = asyncio.run(_migrate(settings))
    click.echo(json.dumps({"applied": done}))
