"""A fitted reply model reads with the standard library alone, as NumPy's product did."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.core.flow_check import check_flow
from bot.core.reply_features import features
from bot.core.reply_model import ReplyModel, _encode
from bot.core.wording import clauses

ROOT = Path(__file__).resolve().parents[2]
FLOWS = sorted(p.stem for p in (ROOT / "flows").glob("*.yaml"))


def _replies(limit: int) -> list[str]:
    lines = (ROOT / "tests" / "data" / "replies" / "test.tsv").read_text(encoding="utf-8")
    return [line.split("\t")[0] for line in lines.splitlines()[1 : limit + 1]]


def _numpy_probabilities(
    model: ReplyModel, index: dict[str, int], weights: np.ndarray[Any, Any], text: str
) -> dict[str, float]:
    """What ``read`` gave when the weights were a NumPy matrix (before issue 20's item 4):
    bias + the known features' values @ their rows, over the temperature, softmax."""
    found = features(text, model.spelled(clauses(text)))
    rows, values = _encode(found, index)
    logits = np.asarray(model.bias) + (np.asarray(values) @ weights[rows] if rows else 0.0)
    shifted = np.exp(logits / model.temperature - (logits / model.temperature).max())
    return dict(zip(model.classes, (shifted / shifted.sum()).tolist(), strict=True))


@pytest.mark.parametrize("name", FLOWS)
def test_readings_equal_numpy_products_on_the_shipped_flows(name: str) -> None:
    flow = check_flow((ROOT / "flows" / f"{name}.yaml").read_text(encoding="utf-8"), name).flow
    assert flow is not None
    replies = _replies(400)
    checked = 0
    for examples, model in flow.understanding.readers():
        index = model.index  # the model's own feature -> row, as before names were shared
        weights = np.column_stack([np.frombuffer(column) for column in model.weights])
        for text in [e.text for e in examples[::7]] + replies:
            read = dict(model.read(text).ranked)
            expected = _numpy_probabilities(model, index, weights, text)
            assert read.keys() == expected.keys()
            assert all(abs(read[c] - expected[c]) <= 1e-9 for c in read), text
            checked += 1
    assert checked > 400


_READ_IN_A_FRESH_PROCESS = """
import sys
from bot.adapters.model_fitting import ChildFitter
from bot.core.reply_model import Example

sets = [(Example("vou sim", "yes"), Example("confirmo", "yes"), Example("não vou", "no"),
         Example("não posso ir", "no"))]
model, = ChildFitter()(sets)
print(model.read("confirmo sim").intent, model.fitted_reading(0).intent, model.spelled([]))
print("numpy" in sys.modules, "sklearn" in sys.modules, "scipy" in sys.modules)
"""


def test_a_model_fitted_in_a_child_is_read_without_numpy() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _READ_IN_A_FRESH_PROCESS],
        capture_output=True, text=True, check=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert done.stdout.splitlines() == ["yes yes []", "False False False"]
