"""The clinic's flows: the compiled catalog, and every version a conversation started on."""

from __future__ import annotations

from typing import Protocol

from bot.core.flow_registry import FlowRegistry
from bot.core.machine import CompiledFlow

__all__ = ["FlowCatalog", "FlowVersionRepository"]


class FlowCatalog(Protocol):
    """The flows the clinic wrote, compiled, every version kept loadable."""

    def current(self, name: str) -> CompiledFlow:
        """The newest valid version (raises NotFoundError if there is none)."""
        ...

    def load_version(self, name: str, version: str) -> CompiledFlow:
        """A version loaded in this process (raises NotFoundError otherwise)."""
        ...

    def register_source(self, text: str, origin: str = "<stored>") -> CompiledFlow:
        """Load an older version from its stored text (raises FlowError if invalid)."""
        ...

    @property
    def problems(self) -> dict[str, list[str]]:
        """Files whose latest edit was refused -> their problems (``file:line: message``)."""
        ...

    @property
    def registry(self) -> FlowRegistry:
        """Every version loaded so far, by flow name (what the console lists)."""
        ...


class FlowVersionRepository(Protocol):
    """Every flow version a conversation ever started on, so it can finish on it after restarts."""

    async def save(self, name: str, version: str, source: str) -> None: ...
    async def source(self, name: str, version: str) -> str | None: ...
