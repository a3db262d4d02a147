"""``digitaly tokens create|list|revoke``: the RPA robot's API tokens."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import click

from bot.adapters.mongo import open_store
from bot.clock import utcnow
from bot.core.errors import BotError
from bot.services.tokens import SCOPES, TokenService
from bot.settings import Settings

__all__ = ["tokens_group"]

T = TypeVar("T")


def _with_tokens(action: Callable[[TokenService], Awaitable[T]]) -> T:
    """Run ``action`` against the configured database (embedded servers if no URL is set)."""
    from bot.cli import load_or_exit, resolved_settings

    async def run(settings: Settings) -> T:
        async with open_store(settings) as opened:
            return await action(TokenService(opened.store.tokens, utcnow))

    with resolved_settings(load_or_exit()) as settings:
        try:
            return asyncio.run(run(settings))
        except BotError as exc:
            click.echo(f"digitaly: {exc}", err=True)
            sys.exit(1)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


@click.group("tokens")
def tokens_group() -> None:
    """Tokens da API para o robô (RPA); só o hash deles é guardado."""


@tokens_group.command("create")
@click.option("--name", required=True, help="Quem vai usar, por exemplo robot-centro.")
@click.option(
    "--scopes",
    required=True,
    help=f"Separados por vírgula: {', '.join(SCOPES)}.",
)
def create_command(name: str, scopes: str) -> None:
    """Cria um token e o mostra uma única vez: depois não há como vê-lo de novo."""

    async def create(service: TokenService) -> str:
        _, secret = await service.create(name, scopes.split(","))
        return secret

    secret = _with_tokens(create)
    click.echo(secret)
    click.echo(
        f"digitaly: token {name!r} created; copy it now, it will not be shown again.", err=True
    )


@tokens_group.command("list")
def list_command() -> None:
    """Lista nome, escopos, criação e último uso de cada token (os revogados marcados)."""
    tokens = _with_tokens(lambda service: service.all())
    if not tokens:
        click.echo("no tokens; create one with: digitaly tokens create --name NAME --scopes ...")
        return
    click.echo(f"{'NAME':<24} {'SCOPES':<52} {'CREATED':<21} {'LAST USED':<21} STATE")
    for token in tokens:
        state = f"revoked {_when(token.revoked_at)}" if token.revoked_at else "active"
        click.echo(
            f"{token.name:<24} {','.join(token.scopes):<52} {_when(token.created_at):<21} "
            f"{_when(token.last_used_at):<21} {state}"
        )


@tokens_group.command("revoke")
@click.argument("name")
def revoke_command(name: str) -> None:
    """Revoga o token de NOME: o próximo pedido com ele é recusado."""
    _with_tokens(lambda service: service.revoke(name))
    click.echo(f"token {name!r} revoked")
