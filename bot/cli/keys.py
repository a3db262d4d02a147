"""``digitaly keys generate|rotate``: the data-encryption keys."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Any

import click

from bot.adapters.crypto import generate_key
from bot.adapters.mongo import OpenStore, open_store
from bot.adapters.mongo.sealing import rotate
from bot.settings import Settings

__all__ = ["keys_group"]


@click.group("keys")
def keys_group() -> None:
    """As chaves que cifram os dados pessoais guardados (DIGITALY_DATA_KEYS)."""


@keys_group.command("generate")
def generate_command() -> None:
    """Mostra uma chave nova, para pôr em primeiro lugar em DIGITALY_DATA_KEYS."""
    click.echo(generate_key())


async def _rotate(settings: Settings) -> dict[str, int]:
    """Re-seal everything, with one progress bar per collection on stderr (stdout: the JSON)."""
    async with open_store(settings) as opened:
        with contextlib.ExitStack() as bars:
            return await _rotate_with_bars(opened, bars)


async def _rotate_with_bars(opened: OpenStore, bars: contextlib.ExitStack) -> dict[str, int]:
    current: dict[str, tuple[Any, int]] = {}  # collection -> (its bar, documents shown)

    def progress(collection: str, done: int, total: int) -> None:
        if collection not in current:
            bars.close()  # the previous collection's bar ends its line
            bar = click.progressbar(length=total, label=collection.ljust(12), file=sys.stderr)
            current[collection] = (bars.enter_context(bar), 0)
        bar, shown = current[collection]
        bar.length = total  # the count is an estimate; it may grow while we go
        bar.update(done - shown)
        current[collection] = (bar, done)

    return await rotate(opened.db, opened.sealer, progress)


@keys_group.command("rotate")
def rotate_command() -> None:
    """Cifra tudo de novo com a primeira chave de DIGITALY_DATA_KEYS (mantenha as antigas
    na lista até terminar)."""
    from bot.cli import load_or_exit, resolved_settings

    with resolved_settings(load_or_exit()) as settings:
        changed = asyncio.run(_rotate(settings))
    click.echo(json.dumps({"re_encrypted": changed}))
