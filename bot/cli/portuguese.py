"""click's own words (usage, option lists, errors) in Portuguese: clinic staff read them.

click marks its strings for gettext (``from gettext import gettext as _`` in each
of its modules) but ships no catalogue, and gettext would pick the language
from the locale, which on a server is usually ``C``. So a fixed Portuguese
catalogue is bound where click looks its words up. A string missing here
stays English; the ``--help`` test walks every command to catch that.
"""

from __future__ import annotations

import gettext
import importlib

import click

__all__ = ["name_placeholders", "speak_portuguese"]

_WORDS = {
    "%(prog)s, version %(version)s": "%(prog)s, versão %(version)s",
    "(dynamic)": "(calculado)",
    "Aborted!": "Cancelado.",
    "Argument {name!r} takes {nargs} values.": "O argumento {name!r} recebe {nargs} valores.",
    "Choose from:\n\t{choices}": "Escolha entre:\n\t{choices}",
    "Commands": "Comandos",
    "Confirm the action without prompting.": "Confirma sem perguntar.",
    "Could not open file {filename!r}: {message}": (
        "Não foi possível abrir o arquivo {filename!r}: {message}"
    ),
    "Do you want to continue?": "Quer continuar?",
    "Error: The two entered values do not match.": "Erro: os dois valores não são iguais.",
    "Error: invalid input": "Erro: entrada inválida",
    "Error: {message}": "Erro: {message}",
    "Invalid value for {param_hint}: {message}": "Valor inválido em {param_hint}: {message}",
    "Invalid value: {message}": "Valor inválido: {message}",
    "Missing argument": "Falta o argumento",
    "Missing command.": "Falta o comando.",
    "Missing option": "Falta a opção",
    "Missing parameter": "Falta o parâmetro",
    "Missing parameter: {param_name}": "Falta o parâmetro: {param_name}",
    "No such command {name!r}.": "Não existe o comando {name!r}.",
    "No such option {name!r}.": "Não existe a opção {name!r}.",
    "Option {name!r} does not take a value.": "A opção {name!r} não recebe valor.",
    "Options": "Opções",
    "Positional arguments": "Argumentos",
    "Press any key to continue...": "Aperte uma tecla para continuar...",
    "Repeat for confirmation": "Repita para confirmar",
    "Show the version and exit.": "Mostra a versão e sai.",
    "Show this message and exit.": "Mostra esta ajuda e sai.",
    "Try '{command} {option}' for help.": "Veja '{command} {option}' para ajuda.",
    "Usage:": "Uso:",
    "default: {default}": "padrão: {default}",
    "required": "obrigatório",
    "deprecated": "obsoleto",
    "directory": "Pasta",
    "file": "Arquivo",
    "path": "Caminho",
    "env var: {var}": "variável: {var}",
    "{name} {filename!r} does not exist.": "{name} {filename!r} não existe.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} é uma pasta.",
    "{name} {filename!r} is a file.": "{name} {filename!r} é um arquivo.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} não pode ser lido.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} não pode ser gravado.",
    "{value!r} is not a valid {number_type}.": "{value!r} não é um número válido.",
    "{value} is not in the range {range}.": "{value} está fora do intervalo {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} não é sim/não. Valores aceitos: {states}"
    ),
    # ngettext: (singular, plural) both listed
    "Did you mean {possibility}?": "Quis dizer {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Quis dizer um destes: {possibilities}?)",
    "Got unexpected extra argument ({args})": "Argumento a mais ({args})",
    "Got unexpected extra arguments ({args})": "Argumentos a mais ({args})",
    "Option {name!r} requires an argument.": "A opção {name!r} precisa de um valor.",
    "Option {name!r} requires {nargs} arguments.": "A opção {name!r} precisa de {nargs} valores.",
    "{value!r} does not match the format {format}.": "{value!r} não está no formato {format}.",
    "{value!r} does not match the formats {formats}.": (
        "{value!r} não está em nenhum dos formatos {formats}."
    ),
    "{value!r} is not {choice}.": "{value!r} não é {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} não é um destes: {choices}.",
}
_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.termui",
    "click.types",
    "click.utils",
    "click._termui_impl",
)


class _Portuguese(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return _WORDS.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)


def speak_portuguese() -> None:
    """Bind the catalogue in click's modules (what each looks up as ``_`` and ``ngettext``)."""
    words = _Portuguese()
    for name in _MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = words.gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = words.ngettext  # type: ignore[attr-defined]


# The placeholders in "Uso:" lines and option lists (click derives them from type names).
_PLACEHOLDERS = {
    "text": "TEXTO",
    "integer": "NÚMERO",
    "integer range": "NÚMERO",
    "float": "NÚMERO",
    "float range": "NÚMERO",
    "file": "ARQUIVO",
    "directory": "PASTA",
    "path": "CAMINHO",
}
_ARGUMENTS = {"name": "NOME", "paths": "CAMINHOS", "phone": "TELEFONE", "file": "ARQUIVO"}


def name_placeholders(command: click.Command) -> None:
    """Portuguese placeholders for ``command`` and everything under it (set where unset)."""
    command.options_metavar = "[OPÇÕES]"
    if isinstance(command, click.Group):
        command.subcommand_metavar = "COMANDO [ARGUMENTOS]..."
        for sub in command.commands.values():
            name_placeholders(sub)
    for param in command.params:
        if param.metavar is not None or getattr(param, "is_flag", False):
            continue
        if isinstance(param, click.Argument) and param.name in _ARGUMENTS:
            param.metavar = _ARGUMENTS[param.name] + ("..." if param.nargs == -1 else "")
        elif isinstance(param, click.Option):
            param.metavar = _PLACEHOLDERS.get(param.type.name)
