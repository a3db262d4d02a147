"""The fake Twilio's Content API: the templates it knows and their WhatsApp approval.

``GET /v1/Content/{Sid}`` and ``GET /v1/Content/{Sid}/ApprovalRequests``
(twilio.com/docs/content/content-api-resources; twilio-python
``twilio/rest/content/v1/content/__init__.py`` and ``approval_fetch.py``);
404 with code 20404 for a sid it does not know.

``POST /v1/Content`` (twilio.com/docs/content/content-api-resources, "Create a
Content resource"; a JSON body, as twilio-python's ``ContentList.create`` sends
it, with ``friendly_name``, ``language`` and ``types``) creates a
``twilio/list-picker`` content, checked as twilio.com/docs/content/twiliolist-picker
documents it: ``body`` required, at most 1,024 characters; ``button`` required
and not empty; ``items`` 1 to 10, each with an ``item`` of at most 24
characters, an ``id`` of at most 200 (unique in the message) and a
``description`` of at most 72. A content that breaks a limit is refused with a
400 and nothing is created (the page gives the limits, not the error code: the
code here, 20001, is the fake's choice). The created content is never approved
for WhatsApp ("List-picker templates aren't supported for approval", same
page): its approval stays ``unsubmitted``, and a send of it outside the
24-hour window fails as free text does (63016: "list-picker … cannot open a
conversation", twilio.com/docs/api/errors/63016).
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.twilio_requests import twilio_error

__all__ = ["LIST_PICKER", "ContentApi", "Template", "list_picker_problem"]


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
    kind: str = ""  # the content type when not quick-reply/text (e.g. twilio/list-picker)
    button: str = ""
    items: list[dict[str, str]] = field(default_factory=list)  # list-picker items


LIST_PICKER = "twilio/list-picker"
# twilio.com/docs/content/twiliolist-picker
_MAX_BODY, _MAX_ITEMS, _MAX_ITEM, _MAX_ID, _MAX_DESCRIPTION = 1024, 10, 24, 200, 72


def list_picker_problem(content: Any) -> str | None:
    """Why Twilio would refuse this ``twilio/list-picker`` body; None when it is valid."""
    if not isinstance(content, dict):
        return "twilio/list-picker must be an object"
    body, button, items = content.get("body"), content.get("button"), content.get("items")
    if not isinstance(body, str) or not body or len(body) > _MAX_BODY:
        return f"body is required, at most {_MAX_BODY} characters"
    if not isinstance(button, str) or not button:
        return "button is required and cannot be empty"
    if not isinstance(items, list) or not 1 <= len(items) <= _MAX_ITEMS:
        return f"items must have 1 to {_MAX_ITEMS} entries"
    ids = set()
    for item in items:
        if not isinstance(item, dict):
            return "an item must be an object"
        text, item_id = item.get("item"), item.get("id")
        description = item.get("description")
        if not isinstance(text, str) or not text or len(text) > _MAX_ITEM:
            return f"item is required, at most {_MAX_ITEM} characters"
        if not isinstance(item_id, str) or not item_id or len(item_id) > _MAX_ID:
            return f"id is required, at most {_MAX_ID} characters"
        if item_id in ids:
            return "item ids must be unique"
        ids.add(item_id)
        if description is not None and (
            not isinstance(description, str) or len(description) > _MAX_DESCRIPTION
        ):
            return f"description is at most {_MAX_DESCRIPTION} characters"
    return None


@dataclass
class ContentApi:
    account_sid: str
    templates: dict[str, Template]
    reads: Counter[str] = field(default_factory=Counter)  # GETs per path
    refused: list[str] = field(default_factory=list)  # why each refused create was refused

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/Content", self._create)
        app.router.add_get("/v1/Content/{sid}", self._content)
        app.router.add_get("/v1/Content/{sid}/ApprovalRequests", self._approval)

    async def _create(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return twilio_error(20001, 400, "the body must be JSON")
        types = {k: v for k, v in (body.get("types") or {}).items() if v is not None}
        problem = (
            "only twilio/list-picker is modelled here"
            if set(types) != {LIST_PICKER}
            else list_picker_problem(types[LIST_PICKER])
        )
        if problem is None and not body.get("friendly_name"):
            problem = "friendly_name is required"
        if problem is not None:
            self.refused.append(problem)
            return twilio_error(20001, 400, problem)
        picker = types[LIST_PICKER]
        template = Template(
            sid="HX" + secrets.token_hex(16),
            name=str(body["friendly_name"]),
            body=picker["body"],
            variables=dict(body.get("variables") or {}),
            status="unsubmitted",
            kind=LIST_PICKER,
            button=picker["button"],
            items=[dict(item) for item in picker["items"]],
        )
        self.templates[template.sid] = template
        return web.json_response(self._resource(template), status=201)

    async def _content(self, request: web.Request) -> web.Response:
        self.reads[request.path] += 1
        template = self.templates.get(request.match_info["sid"])
        if template is None:
            return twilio_error(20404, 404)
        return web.json_response(self._resource(template))

    def _resource(self, template: Template) -> dict[str, Any]:
        url = f"https://content.twilio.com/v1/Content/{template.sid}"
        kind = template.kind or ("twilio/quick-reply" if template.buttons else "twilio/text")
        content: dict[str, Any] = {"body": template.body}
        if template.buttons:
            content["actions"] = [{"id": i, "title": t} for i, t in template.buttons]
        if template.kind == LIST_PICKER:
            content |= {"button": template.button, "items": template.items}
        return {
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
