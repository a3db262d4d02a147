"""Flows from a directory of YAML files, reloaded live without letting a bad edit through.

``reload()`` looks at every ``*.yaml`` (cheaply: size and mtime first, then
the content hash). A file that passes the checks becomes its flow's newest
version; one that fails is refused: the previous version keeps serving, and
the problems are logged and kept in :attr:`FlowDirectory.problems` (shown in
``/readyz``). Versions are never dropped, so a conversation started on an old
one finishes on it; versions persisted elsewhere come back with
:meth:`FlowDirectory.register_source`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from bot.adapters.model_fitting import ChildFitter
from bot.core.errors import FlowError, NotFoundError, TransientError
from bot.core.flow_check import CheckResult, Problem, check_flow, flow_version
from bot.core.flow_registry import FlowRegistry
from bot.core.intents import Fit, fit_here
from bot.core.machine import CompiledFlow

__all__ = ["FlowDirectory", "ReloadReport", "check_file"]

log = logging.getLogger(__name__)


def check_file(path: Path, text: str | None = None, fit: Fit = fit_here) -> CheckResult:
    """Check one flow file, including that its ``flow:`` name matches the file name."""
    text = path.read_text(encoding="utf-8") if text is None else text
    result = check_flow(text, str(path), fit=fit)
    if result.flow is not None and result.flow.name != path.stem:
        problem = Problem(
            str(path),
            1,
            f'o nome do fluxo "{result.flow.name}" precisa ser igual ao nome do arquivo '
            f'"{path.stem}"',
        )
        return CheckResult(None, (problem,))
    return result


@dataclass(slots=True)
class ReloadReport:
    loaded: list[tuple[str, str]] = field(default_factory=list)  # (name, version)
    refused: dict[str, list[str]] = field(default_factory=dict)  # file -> problems


class FlowDirectory:
    """The flows of one directory, with every version seen since start.

    ``fit`` fits the flows' reply models: a serving process passes a
    :class:`~bot.adapters.model_fitting.ChildFitter`, so it never imports scikit-learn
    (one child per reload fits every flow that changed)."""

    def __init__(self, path: Path, fit: Fit = fit_here) -> None:
        self.path = path
        self._fit = fit
        self.registry = FlowRegistry()
        self._stamps: dict[Path, tuple[int, int]] = {}
        self._hashes: dict[Path, str] = {}
        self._problems: dict[str, list[str]] = {}
        self._reloading = threading.Lock()

    @property
    def problems(self) -> dict[str, list[str]]:
        """Files whose latest edit was refused -> their problems (``file:line: message``)."""
        # A copy first: a reload in another thread may change the dict meanwhile.
        return {name: list(found) for name, found in dict(self._problems).items()}

    def reload(self) -> ReloadReport:
        """Pick up new and edited files; refuse those that fail the checks.

        Two reloads never overlap: one called while another runs (in another thread)
        waits for it, then finds only what changed meanwhile."""
        with self._reloading:
            kept = (
                self._fit.kept() if isinstance(self._fit, ChildFitter) else contextlib.nullcontext()
            )
            with kept:
                return self._reload()

    def stop_fitting(self) -> None:
        """The process is shutting down: a reload fitting reply models now ends at once
        (the edited files are left for a next start) instead of holding the shutdown."""
        if isinstance(self._fit, ChildFitter):
            self._fit.stop()

    async def reload_in_thread(self) -> ReloadReport:
        """:meth:`reload` from a serving process: in a thread, so the event loop keeps
        answering while a child fits reply models (seconds after an edit)."""
        return await asyncio.to_thread(self.reload)

    async def load_at_start(self) -> ReloadReport:
        """The first :meth:`reload_in_thread` of a starting process. Cancelled, the start-up
        is being given up (a stop signal): fitting stops for good (:meth:`stop_fitting`),
        as the thread, which a cancel cannot stop, would hold the exit (the loop joins
        it) until its fit ended."""
        try:
            return await self.reload_in_thread()
        except asyncio.CancelledError:
            self.stop_fitting()
            raise

    def _reload(self) -> ReloadReport:
        report = ReloadReport()
        for path in sorted(self.path.glob("*.yaml")):
            try:
                stat = path.stat()
                stamp = (stat.st_mtime_ns, stat.st_size)
                if self._stamps.get(path) == stamp:
                    continue
                text = path.read_text(encoding="utf-8")
            except OSError as error:  # removed or unreadable mid-scan: try next time
                log.warning("flow file %s unreadable: %s", path, error)
                continue
            digest = flow_version(text)
            if self._hashes.get(path) == digest:
                self._stamps[path] = stamp
                self._problems.pop(str(path), None)  # a refused edit was reverted
                continue
            try:
                result = check_file(path, text, self._fit)
            except TransientError as error:  # not the file's fault: the next reload retries it
                log.warning("flow file %s not loaded yet: %s", path, error)
                continue
            self._stamps[path] = stamp
            if result.flow is None:
                found = [str(p) for p in result.problems]
                self._problems[str(path)] = found
                report.refused[str(path)] = found
                log.error("flow file %s refused, previous version keeps serving: %s", path, found)
                continue
            self._hashes[path] = digest
            self._problems.pop(str(path), None)
            self.registry.add(result.flow)
            report.loaded.append((result.flow.name, result.flow.version))
            log.info("flow %s version %s loaded", result.flow.name, result.flow.version)
        return report

    def current(self, name: str) -> CompiledFlow:
        """The version new conversations start on; NotFoundError if the flow is unknown."""
        flow = self.registry.current(name)
        if flow is None:
            raise NotFoundError(f"no valid flow named {name!r} in {self.path}")
        return flow

    def load_version(self, name: str, version: str) -> CompiledFlow:
        """A version seen or registered since start; NotFoundError otherwise."""
        flow = self.registry.get(name, version)
        if flow is None:
            raise NotFoundError(f"flow {name!r} version {version!r} is not loaded")
        return flow

    def register_source(self, text: str, origin: str = "<stored>") -> CompiledFlow:
        """Load an older version from its stored text; it does not become the newest."""
        result = check_flow(text, origin, strict=False, fit=self._fit)
        if result.flow is None:
            problems = [str(p) for p in result.problems]
            raise FlowError(f"stored flow {origin} is invalid", problems)
        self.registry.add(result.flow, current=False)
        return result.flow
