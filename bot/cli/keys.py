"""``digitaly keys generate|rotate``: the data-encryption keys."""

from __future__ import annotations

import asyncio
import json

import click

from bot.adapters.crypto import generate_key
from bot.adapters.mongo import open_store
from bot.adapters.mongo.sealing import rotate
from bot.settings import Settings

__all__ = ["keys_group"]


@click.group("keys")
def keys_group() -> None:
    """Encryption keys for personal data at rest (DIGITALY_DATA_KEYS)."""


@keys_group.command("generate")
def generate_command() -> None:
    """Print a new key entry to put first in DIGITALY_DATA_KEYS."""
    click.echo(generate_key())


async def _rotate(settings: Settings) -> dict[str, int]:
    async with open_store(settings) as opened:
        shown: dict[str, int] = {}

        def progress(collection: str, done: int, total: int) -> None:
            step = max(1, total // 10)
            if done == total or done - shown.get(collection, 0) >= step:
                shown[collection] = done
                click.echo(f"{collection}: {done}/{total}", err=True)

        return await rotate(opened.db, opened.sealer, progress)


@keys_group.command("rotate")
def rotate_command() -> None:
    """Re-encrypt everything under the first key of DIGITALY_DATA_KEYS (keep the old ones listed until it ends)."""
    from bot.cli import load_or_exit, resolved_settings

    with resolved_settings(load_or_exit()) as settings:
        changed = asyncio.run(_rotate(settings))
    click.echo(json.dumps({"re_encrypted": changed}))
