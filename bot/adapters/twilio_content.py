"""Twilio's Content API (templates and their WhatsApp approval), through twilio-python."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from bot.adapters.twilio import HttpClient
from bot.core.flow_check import line_of, parse_spec
from bot.core.flow_spec import FlowSpec
from bot.core.templates import RemoteTemplate, template_problems
from bot.settings import Settings

__all__ = ["TwilioTemplates", "check_flow_templates"]

_TIMEOUT = 15.0


class TwilioTemplates:
    """Reads templates from the Content API; create it inside the running loop."""

    def __init__(self, account_sid: str, auth_token: str, api_base_url: str) -> None:
        self.http = HttpClient(_TIMEOUT)
        self.client = Client(account_sid, auth_token, http_client=self.http)
        self.client.content.base_url = api_base_url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioTemplates:
        assert settings.twilio_account_sid
        assert settings.twilio_auth_token
        return cls(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            settings.twilio_api_base_url,
        )

    async def aclose(self) -> None:
        await self.http.close()

    async def fetch(self, sid: str) -> RemoteTemplate | None:
        """The template and its WhatsApp approval; None when Twilio has no such template."""
        context = self.client.content.v1.contents(sid)
        try:
            content = await context.fetch_async()
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            raise
        try:
            approval = (await context.approval_fetch().fetch_async()).whatsapp or {}
        except TwilioRestException as exc:
            if exc.status != 404:
                raise
            approval = {}  # never submitted to WhatsApp
        return RemoteTemplate(
            sid=sid,
            variables=frozenset(content.variables or {}),
            button_ids=_button_ids(content.types or {}),
            approval=str(approval["status"]) if approval.get("status") else None,
        )


def _button_ids(types: dict[str, Any]) -> frozenset[str]:
    """Quick-reply ids from every content type that has actions with ids."""
    ids = set()
    for body in types.values():
        for action in (body or {}).get("actions") or []:
            if isinstance(action, dict) and action.get("id"):
                ids.add(str(action["id"]))
    return frozenset(ids)


async def check_flow_templates(directory: Path, templates: TwilioTemplates) -> list[str]:
    """Every flow message's template against Twilio: ``flows/FILE.yaml:LINE: problem`` lines.

    A flow file with problems of its own is reported by ``digitaly flows check``, not here.
    """
    fetched: dict[str, RemoteTemplate | None] = {}
    problems: list[str] = []
    for path, text, flow in _flows(directory):
        for name, message in flow.messages.items():
            if message.template is None:
                continue
            sid = message.template.content_sid
            if sid not in fetched:
                fetched[sid] = await templates.fetch(sid)
            line = line_of(text, "messages", name, "template", "content_sid")
            problems += [
                f"{path}:{line}: {problem}"
                for problem in template_problems(name, message, fetched[sid])
            ]
    return problems


def _flows(directory: Path) -> list[tuple[Path, str, FlowSpec]]:
    """The flow files of ``directory`` that parse, with their text.

    Parsed only, not compiled (compiling trains the reply classifier, which this
    check does not need); a file that does not parse is ``digitaly flows check``'s to report.
    """
    found = []
    for path in sorted(directory.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if (spec := parse_spec(text)) is not None:
            found.append((path, text, spec))
    return found
