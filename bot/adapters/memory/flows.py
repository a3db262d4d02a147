"""Flow versions a conversation started on, in a dict."""

from __future__ import annotations

__all__ = ["MemoryFlowVersions"]


class MemoryFlowVersions:
    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    async def save(self, name: str, version: str, source: str) -> None:
        self.items.setdefault(f"{name}@{version}", source)

    async def source(self, name: str, version: str) -> str | None:
        return self.items.get(f"{name}@{version}")
