"""The shape of a flow file (``flows/*.yaml``), as pydantic models.

Every model forbids unknown keys (a misspelt key is an error, not a silent
default) and is frozen: a parsed flow is shared by every conversation on that
version. Cross-references (a state named in ``to:``, an action name, a
variable in a text) are checked by :mod:`bot.core.flow_check`, which also
reports the file line of each problem.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "Button",
    "Fallback",
    "FlowSpec",
    "Intent",
    "Message",
    "PluralForm",
    "State",
    "Target",
    "Template",
    "Timeout",
    "json_schema",
    "parse_duration",
]

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
DURATION_PATTERN = r"^\s*\d+\s*[smhd]\s*$"


def parse_duration(text: str) -> timedelta:
    """``"30m"``, ``"24h"``, ``"2d"``, ``"90s"`` as a timedelta; ValueError otherwise."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (write 30m, 24h, 2d)")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _str_keys(value: Any) -> Any:
    """YAML reads ``1: confirm`` with an int key; menus and template slots want strings."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value


StrMap = Annotated[dict[str, str], BeforeValidator(_str_keys)]


class Button(_Model):
    """A quick-reply button: the patient's tap arrives as ``id`` (never matched by label)."""

    id: str = Field(min_length=1, max_length=256)
    label: str = Field(min_length=1, max_length=20, description="Meta limits titles to 20")
    intent: str = Field(description="The intent a tap on this button means")


class Template(_Model):
    """An approved WhatsApp template (Twilio Content API), for business-initiated sends."""

    content_sid: str = Field(pattern=r"^HX[0-9A-Za-z]+$")
    variables: StrMap = Field(
        default_factory=dict,
        description="Template slot (e.g. '1') -> variable name (e.g. first_name)",
    )


class PluralForm(_Model):
    """The wording used when one conversation covers several appointments."""

    text: str = Field(min_length=1, max_length=1024)
    template: Template | None = Field(
        default=None, description="Its own approved template, when the message has one"
    )


class Message(_Model):
    """Something the bot sends. ``text`` is the free text (or the template's preview)."""

    text: str = Field(min_length=1, max_length=1024)
    kind: str = Field(
        default="reply",
        pattern=r"^[a-z][a-z0-9_]*$",
        description="'reply' may repeat; any other kind (reminder, reminder_2) is sent "
        "at most once per conversation",
    )
    template: Template | None = None
    buttons: tuple[Button, ...] = Field(default=(), max_length=3)
    plural: PluralForm | None = Field(
        default=None,
        description="Text (and template) for a conversation about several appointments, "
        'so the words agree: "suas 2 consultas foram desmarcadas"',
    )

    def form(self, appointments: int) -> tuple[str, Template | None]:
        """The text and template to send for a conversation about ``appointments``."""
        if appointments > 1 and self.plural is not None:
            return self.plural.text, self.plural.template
        return self.text, self.template


def _names(value: Any) -> Any:
    """Allow a single name where a list of names is expected."""
    return [value] if isinstance(value, str) else value


Names = Annotated[tuple[str, ...], BeforeValidator(_names, json_schema_input_type=str | list[str])]


class Target(_Model):
    """Where an intent (or a timeout) leads: a state, the actions to run, and guards."""

    to: str
    do: Names = ()
    when: Names = Field(default=(), description="Conditions that must all hold")


def _targets(value: Any) -> Any:
    """Allow the shorthands ``confirm: confirmed`` and ``confirm: {to: confirmed}``."""
    if isinstance(value, str):
        return [{"to": value}]
    if isinstance(value, dict):
        return [value]
    return value


Targets = Annotated[
    tuple[Target, ...],
    BeforeValidator(_targets, json_schema_input_type=str | Target | list[Target]),
]


class Timeout(_Model):
    """After ``after`` without an answer, move to ``to``."""

    after: str = Field(pattern=DURATION_PATTERN, description="30m, 24h, 2d")
    to: str
    do: Names = ()

    @property
    def delta(self) -> timedelta:
        return parse_duration(self.after)


class State(_Model):
    """One step of the conversation."""

    description: str = ""
    send: Names = Field(default=(), description="Messages sent on entry")
    do: Names = Field(default=(), description="Actions run on entry")
    on: dict[str, Targets] = Field(default_factory=dict, description="intent -> where")
    menu: StrMap = Field(
        default_factory=dict, description="Digit -> intent, valid only while in this state"
    )
    timeout: Timeout | None = None
    ask_again: str | None = Field(
        default=None, description="Message asking again here (default: fallback.ask_again)"
    )
    next: Targets | None = Field(
        default=None,
        description="Move on at once (no waiting); with a list, the first whose conditions hold",
    )
    examples: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Replies read this way only in this state (intent or 'unknown' -> "
        "replies): the state's model learns them with the intents' examples and "
        "fallback.examples, and they win over those ('quero manter' to 'quer mesmo desmarcar?')",
    )
    terminal: bool = False
    later: Targets = Field(
        default=(),
        description="Terminal states: where a message that arrives after the conversation "
        "ended goes (a state that answers where things stand, or a hand-off)",
    )

    @property
    def waits(self) -> bool:
        """True when the state waits for the patient."""
        return bool(self.on) and not self.terminal


class Intent(_Model):
    """How patients express one intent: example replies for the model, exact whole messages."""

    examples: tuple[str, ...] = Field(
        default=(),
        description="Replies a person reads as this intent; the reply model learns from them",
    )
    exact: tuple[str, ...] = Field(
        default=(), description="Only when it is the whole message (firm, like a button)"
    )
    priority: int = Field(default=0, description="When several exact entries match")
    min_confidence: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Below this model confidence the reply is not understood "
        "(default: fallback.min_confidence)",
    )
    # Flow versions written before the reply model still load (a conversation may run on one):
    # their phrases are read as examples; the rest is no longer needed.
    phrases: tuple[str, ...] = Field(default=(), description="Obsolete: read as examples")
    when_negated: str | None = Field(default=None, description="Obsolete: ignored")
    in_questions: bool = Field(default=False, description="Obsolete: ignored")


class Fallback(_Model):
    """What happens to a reply the current state does not understand."""

    ask_again: str = Field(description="Message sent to ask again")
    max_asks: int = Field(default=1, ge=0, le=5)
    then: str = Field(description="State to go to after max_asks (usually a hand-off)")
    non_text: Literal["handoff", "ask_again"] = Field(
        default="handoff", description="Audio, images, empty messages and reactions"
    )
    examples: tuple[str, ...] = Field(
        default=(),
        description="Replies a person would ask about again (hedges, side questions): "
        "the reply model learns to answer 'unknown' for them",
    )
    min_confidence: float = Field(
        default=0.5, ge=0.0, le=1.0, description="Default confidence the model needs"
    )
    exact: tuple[str, ...] = Field(
        default=(),
        description="Whole messages that answer nothing where no intent's exact claims them "
        "(a bare 'não' to 'Você confirma?')",
    )


class FlowSpec(_Model):
    """A whole flow file."""

    flow: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = ""
    initial: str
    allow_reconfirm: bool = Field(
        default=False, description="May a patient confirm again after cancelling?"
    )
    intents: dict[str, Intent]
    anywhere: dict[str, Targets] = Field(
        default_factory=dict, description="Intents honoured in every waiting state (opt-out)"
    )
    fallback: Fallback
    messages: dict[str, Message]
    states: dict[str, State]


def json_schema() -> str:
    """The JSON Schema of a flow file, for editors (``flows/schema.json``)."""
    schema = FlowSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Digitaly flow"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
