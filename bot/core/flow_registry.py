"""Every known version of every flow: name -> {version -> compiled flow}, and the newest.

Pure bookkeeping; :mod:`bot.adapters.flow_files` fills it from disk. New
conversations take ``current(name)``; a running one keeps asking for the
version it started on with ``get(name, version)``.
"""

from __future__ import annotations

from bot.core.machine import CompiledFlow

__all__ = ["FlowRegistry"]


class FlowRegistry:
    """Compiled flows by name and version; never forgets a version it was given."""

    def __init__(self) -> None:
        self._versions: dict[str, dict[str, CompiledFlow]] = {}
        self._current: dict[str, str] = {}

    def add(self, flow: CompiledFlow, *, current: bool = True) -> None:
        """Keep ``flow``; with ``current`` it becomes the version new conversations start on."""
        self._versions.setdefault(flow.name, {}).setdefault(flow.version, flow)
        if current or flow.name not in self._current:
            self._current[flow.name] = flow.version

    def current(self, name: str) -> CompiledFlow | None:
        """The newest good version of ``name``, or None."""
        version = self._current.get(name)
        return None if version is None else self._versions[name][version]

    def get(self, name: str, version: str) -> CompiledFlow | None:
        """A specific version (a running conversation's), or None if never seen."""
        return self._versions.get(name, {}).get(version)

    def names(self) -> list[str]:
        return sorted(self._current)

    def versions(self, name: str) -> list[str]:
        return list(self._versions.get(name, {}))
