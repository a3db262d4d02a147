"""The fake Twilio's Content API: the templates it knows and their WhatsApp approval.

``GET /v1/Content/{Sid}`` and ``GET /v1/Content/{Sid}/ApprovalRequests``
(twilio.com/docs/content/content-api-resources; twilio-python
``twilio/rest/content/v1/content/__init__.py`` and ``approval_fetch.py``);
404 with code 20404 for a sid it does not know.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.twilio_requests import twilio_error

__all__ = ["ContentApi", "Template"]


@dataclass
class Template:
    """A Content API template: its variables (with sample values) and quick-reply ids."""

    sid: str
    name: str
    body: str
    variables: dict[str, str]
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (id, title)
    status: str = "approved"  # the WhatsApp approval: approved, pending, rejected, paused, disabled
    category: str = "UTILITY"
    rejection_reason: str = ""


@dataclass
class ContentApi:
    account_sid: str
    templates: dict[str, Template]
    reads: Counter[str] = field(default_factory=Counter)  # GETs per path

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/v1/Content/{sid}", self._content)
        app.router.add_get("/v1/Content/{sid}/ApprovalRequests", self._approval)

    async def _content(self, request: web.Request) -> web.Response:
        self.reads[request.path] += 1
        template = self.templates.get(request.match_info["sid"])
        if template is None:
            return twilio_error(20404, 404)
        url = f"https://content.twilio.com/v1/Content/{template.sid}"
        kind = "twilio/quick-reply" if template.buttons else "twilio/text"
        content: dict[str, Any] = {"body": template.body}
        if template.buttons:
            content["actions"] = [{"id": i, "title": t} for i, t in template.buttons]
        return web.json_response(
            {
                "sid": template.sid,
                "account_sid": self.account_sid,
                "friendly_name": template.name,
                "language": "pt_BR",
                "variables": template.variables,
                "types": {kind: content},
                "url": url,
                "date_created": "2026-01-05T12:00:00Z",
                "date_updated": "2026-01-05T12:00:00Z",
                "links": {
                    "approval_fetch": url + "/ApprovalRequests",
                    "approval_create": url + "/ApprovalRequests/whatsapp",
                },
            }
        )

    async def _approval(self, request: web.Request) -> web.Response:
        self.reads[request.path] += 1
        template = self.templates.get(request.match_info["sid"])
        if template is None:
            return twilio_error(20404, 404)
        return web.json_response(
            {
                "sid": template.sid,
                "account_sid": self.account_sid,
                "url": f"https://content.twilio.com/v1/Content/{template.sid}/ApprovalRequests",
                "whatsapp": {
                    "type": "whatsapp",
                    "name": template.name,
                    "category": template.category,
                    "content_type": "twilio/quick-reply" if template.buttons else "twilio/text",
                    "status": template.status,
                    "rejection_reason": template.rejection_reason,
                    "allow_category_change": True,
                    "flows": None,
                },
            }
        )
