"""Reply models fitted in a child process: the same models, the same reload behaviour."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
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
