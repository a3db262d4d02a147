"""Reply models fitted in a child process: the same models, the same reload behaviour."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import cast

import pytest

from bot.adapters.flow_files import FlowDirectory
from bot.adapters.model_fitting import ChildFitter
from bot.core.errors import TransientError
from bot.core.flow_check import check_flow
from bot.core.intents import fit_here, forget_models
from bot.core.reply_model import Example, ReplyModel
from tests.flows.test_flow_directory import edit

ROOT = Path(__file__).resolve().parents[2]
REPLIES = ["nota 5", "gostei muito", "mais ou menos", "horrível", "pode parar", "não entendi"]


def _training_sets(name: str) -> list[tuple[Example, ...]]:
    text = (ROOT / "flows" / f"{name}.yaml").read_text(encoding="utf-8")
    flow = check_flow(text, name).flow
    assert flow is not None
    understanding = flow.understanding
    return [understanding.training_set(group) for group in sorted(understanding.models, key=sorted)]


def test_a_model_fitted_in_a_child_is_the_one_fitted_here() -> None:
    sets = _training_sets("satisfaction")
    assert len(sets) >= 2
    here, there = fit_here(sets), ChildFitter()(sets)
    assert len(there) == len(here)
    assert all(m.names is there[0].names for m in there)  # one vocabulary, pickled once
    for mine, theirs in zip(here, there, strict=True):
        assert theirs.classes == mine.classes
        assert theirs.index == mine.index
        assert theirs.weights == mine.weights
        assert theirs.bias == mine.bias
        assert theirs.temperature == mine.temperature
        assert theirs.out_of_fold == ()  # read by nothing at run time: not sent back
        assert mine.fitted is not None
        assert theirs.fitted is not None
        assert theirs.fitted == mine.fitted
        assert [theirs.read(r) for r in REPLIES] == [mine.read(r) for r in REPLIES]


def test_an_error_in_the_child_is_raised_as_is() -> None:
    one_intent = (Example("sim", "yes"), Example("claro", "yes"))
    with pytest.raises(ValueError, match="at least two intents"):
        ChildFitter()([one_intent])


def _features(models: Iterable[ReplyModel]) -> set[str]:
    return {name for model in models for name in model.index}


def test_a_child_that_dies_is_a_transient_error() -> None:
    # Not text: cutting its features raises in the child, which dies with a traceback
    # (on its stderr) before answering.
    broken = (Example(cast(str, None), "yes"), Example(cast(str, None), "no"))
    with pytest.raises(TransientError, match="the child process failed"):
        ChildFitter()([broken])


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "flows" / "satisfaction.yaml", tmp_path / "satisfaction.yaml")
    return tmp_path


def test_an_edited_example_is_fitted_in_the_child_and_a_broken_edit_refused(
    directory: Path,
) -> None:
    flows = FlowDirectory(directory, ChildFitter())
    flows.reload()
    old = flows.current("satisfaction")
    path = directory / "satisfaction.yaml"
    forget_models()  # the edit's models are fitted for real, not found in this process's memo
    edit(path, "examples: [otimo, ", "examples: [otimo, supimpa, ")
    assert [name for name, _ in flows.reload().loaded] == ["satisfaction"]
    new = flows.current("satisfaction")
    assert new.version != old.version
    # The new example's word is a feature of the new models only: they were fitted anew.
    assert _features(new.understanding.models.values()) > _features(
        old.understanding.models.values()
    )

    edit(path, "examples: [otimo, supimpa, ", "examples: otimo, supimpa, ")  # broken YAML list
    report = flows.reload()
    assert report.loaded == []
    assert str(path) in report.refused
    assert flows.current("satisfaction") is new


class _FailingOnce:
    """A fitter whose first child dies (as above), then fits."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, sets: Sequence[tuple[Example, ...]]) -> list[ReplyModel]:
        self.calls += 1
        if self.calls == 1:
            raise TransientError("reply models not fitted, the child process failed")
        return fit_here(sets)


def test_a_failed_fit_is_retried_by_the_next_reload(directory: Path) -> None:
    forget_models()
    fit = _FailingOnce()
    flows = FlowDirectory(directory, fit)
    report = flows.reload()
    assert report.loaded == []
    assert report.refused == {}
    assert flows.problems == {}
    assert [name for name, _ in flows.reload().loaded] == ["satisfaction"]
    assert fit.calls == 2


def _tag(n: int) -> str:
    # Letters, no two alike in a row: digits read as <n>, a repeated letter as one.
    tens, units = divmod(n, 10)
    return "zo" + "bcdfghjklm"[tens] + "aeiouyaeio"[units] + "prstvwxnqz"[units]


def _small_set(n: int) -> tuple[Example, ...]:
    """Two intents of a few examples each; a word of its own tells each set apart."""
    return (
        Example(f"sim {_tag(n)}", "yes"),
        Example("claro que sim", "yes"),
        Example("pode ser", "yes"),
        Example("não", "no"),
        Example("de jeito nenhum", "no"),
        Example("não quero", "no"),
    )


def test_one_child_serves_fits_from_several_threads_one_at_a_time() -> None:
    # A reload fits in a thread while the event loop may fit an old stored version: each
    # thread gets the models of its own sets, not another's (nor a torn answer).
    asked = [[_small_set(n)] for n in range(16)]
    fitter = ChildFitter()
    with fitter.kept(), ThreadPoolExecutor(8) as pool:
        answered = list(pool.map(fitter, asked))
    for n, [model] in enumerate(answered):
        assert f"w:{_tag(n)}" in model.index, n


def _fitting_children() -> list[int]:
    """This process's children that are fitting children (``/proc``: Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = stat.read_text().rsplit(")", 1)[1].split()[1]
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):  # gone meanwhile
            continue
        if ppid == str(os.getpid()) and b"bot.adapters.model_fitting" in command:
            found.append(int(stat.parent.name))
    return found


def test_a_kept_child_starts_at_the_first_fit_and_ends_with_the_block() -> None:
    # A serving process reloads every 2 s; a reload that finds no edit fits nothing and
    # must start no child (an interpreter with scikit-learn: a quarter of a core-second).
    fitter = ChildFitter()
    with fitter.kept():
        assert _fitting_children() == []
        fitter([_small_set(1)])
        [child] = _fitting_children()
        fitter([_small_set(2)])
        assert _fitting_children() == [child]  # the same child for every fit of the block
    assert _fitting_children() == []
    fitter([_small_set(3)])  # outside a block: a child for the one fit, gone after it
    assert _fitting_children() == []


class _Overlaps:
    """A fitter that notes how many fits run at once (each takes a moment)."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def __call__(self, sets: Sequence[tuple[Example, ...]]) -> list[ReplyModel]:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.3)  # widens the window an overlap would show in
            return fit_here(sets)
        finally:
            with self.lock:
                self.running -= 1


async def test_a_second_reload_waits_for_the_running_one(directory: Path) -> None:
    forget_models()
    fit = _Overlaps()
    flows = FlowDirectory(directory, fit)
    first, second = await asyncio.gather(flows.reload_in_thread(), flows.reload_in_thread())
    assert fit.most == 1
    # The one that waited found the file loaded already: one load, not two.
    assert sorted(len(report.loaded) for report in (first, second)) == [0, 1]
    assert flows.current("satisfaction").name == "satisfaction"
