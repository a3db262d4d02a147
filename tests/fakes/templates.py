"""The WhatsApp templates of our flows, as the fake Twilio's Content API knows them."""

from __future__ import annotations

from pathlib import Path

from bot.core.flow_check import parse_spec
from tests.fakes.twilio import Template

__all__ = ["flow_templates"]

FLOWS = Path(__file__).resolve().parents[2] / "flows"


def flow_templates(directory: Path = FLOWS) -> list[Template]:
    """One approved template per flow message that names one: same variables, same button ids."""
    templates: dict[str, Template] = {}
    for path in sorted(directory.glob("*.yaml")):
        flow = parse_spec(path.read_text(encoding="utf-8"))
        assert flow is not None, f"{path} does not parse"
        for name, message in flow.messages.items():
            if message.template is None:
                continue
            variables = {
                slot: f"<{variable}>" for slot, variable in message.template.variables.items()
            }
            templates[message.template.content_sid] = Template(
                sid=message.template.content_sid,
                name=f"{flow.flow}_{name}",
                body=message.text,
                variables=variables,
                buttons=[(b.id, b.label) for b in message.buttons],
            )
    return list(templates.values())
