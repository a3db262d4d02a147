"""Every ``digitaly`` command's help is Portuguese: the clinic's staff read it (issue 16).

The help of each command is reduced to its prose (command names, options,
placeholders in capitals, paths and code are left out) and searched for
English words that Portuguese never uses: a missed translation (ours, or
one of click's own words) fails here with the command and the word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from bot.cli import main

# Everyday English words with no Portuguese homograph ("a", "no", "as", "e" are left out).
ENGLISH = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "for",
        "with",
        "from",
        "is",
        "are",
        "this",
        "that",
        "it",
        "its",
        "an",
        "show",
        "shows",
        "print",
        "prints",
        "write",
        "writes",
        "read",
        "reads",
        "use",
        "uses",
        "when",
        "which",
        "each",
        "every",
        "one",
        "only",
        "or",
        "into",
        "not",
        "at",
        "by",
        "on",
        "in",
        "be",
        "if",
        "all",
        "any",
        "usage",
        "options",
        "option",
        "commands",
        "command",
        "default",
        "required",
        "text",
        "integer",
        "name",
        "file",
        "directory",
        "path",
        "error",
        "missing",
        "create",
        "creates",
        "list",
        "lists",
        "check",
        "checks",
        "run",
        "runs",
        "test",
        "tests",
        "exit",
        "exits",
        "draw",
        "try",
        "build",
        "builds",
        "apply",
        "applies",
        "give",
        "gives",
        "ask",
        "asks",
        "keep",
        "where",
        "what",
        "who",
        "how",
        "day",
        "days",
        "state",
        "version",
        "message",
        "help",
    ]
)
# Capitals click would print for an untranslated placeholder or section.
ENGLISH_CAPITALS = frozenset(
    [
        "OPTIONS",
        "COMMAND",
        "ARGS",
        "TEXT",
        "INTEGER",
        "FLOAT",
        "RANGE",
        "FILE",
        "DIRECTORY",
        "PATH",
        "NAME",
        "PHONE",
        "STATE",
    ]
)
CODE = re.compile(r"[_/<>=*`'\"{}@:\\]")


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def _prose(output: str, path: tuple[str, ...]) -> list[str]:
    """The words of a help page a person reads as sentences."""
    lines = output.splitlines()
    assert lines[0].startswith("Uso: digitaly"), lines[0]
    words: list[str] = []
    names = set(path) | {"digitaly"}
    in_commands = False
    for line in lines:
        stripped = line.strip()
        if stripped.endswith(":") and " " not in stripped:  # a section heading
            in_commands = stripped == "Comandos:"
        tokens = stripped.split()
        if in_commands and tokens and tokens[0] != "Comandos:":
            tokens = tokens[1:]  # the subcommand's own name
        for token in tokens:
            word = token.strip(",.;()[]")
            if not word or word in names or word.startswith("-") or CODE.search(word):
                continue
            words.append(word)
    return words


@pytest.mark.parametrize(
    "path", list(_commands(main)), ids=lambda path: " ".join(path) or "digitaly"
)
def test_every_help_page_is_portuguese(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="digitaly")
    assert result.exit_code == 0, result.output
    english = [
        word
        for word in _prose(result.output, path)
        if word.lower() in ENGLISH or word in ENGLISH_CAPITALS
    ]
    assert english == [], f"digitaly {' '.join(path)} --help:\n{result.output}"


def test_the_check_catches_english() -> None:
    # The same reduction on click's untranslated page finds its words.
    page = (
        "Uso: digitaly staff list [OPTIONS]\n\n  List the accounts.\n\nOptions:\n"
        "  --help  Show this message and exit.\n"
    )
    found = [
        w for w in _prose(page, ("staff", "list")) if w.lower() in ENGLISH or w in ENGLISH_CAPITALS
    ]
    assert found == ["OPTIONS", "List", "the", "Show", "this", "message", "and", "exit"]


def test_click_errors_are_portuguese() -> None:
    missing = CliRunner().invoke(main, ["staff", "create", "--name", "Bia"], prog_name="digitaly")
    assert missing.exit_code == 2
    assert "Erro: Falta a opção '--email'." in missing.stderr
    assert "Veja 'digitaly staff create --help' para ajuda." in missing.stderr
    unknown = CliRunner().invoke(main, ["stafff"])
    assert "Não existe o comando 'stafff'." in unknown.stderr


def test_a_bad_phone_is_refused_in_portuguese() -> None:
    result = CliRunner().invoke(main, ["patients", "export", "abc"], prog_name="digitaly")
    assert result.exit_code == 2
    assert "'abc' não é um telefone: escreva com DDD" in result.stderr
