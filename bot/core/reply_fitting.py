"""Fitting a flow's reply models, and the few last fitted kept for the next compile.

Fitting imports scikit-learn, SciPy and NumPy (about 100 MB that stay resident once
imported); reading a reply needs only the fitted weights (the standard library), so a serving process
passes a :data:`Fit` that runs :func:`fit_here` in a child process
(``bot.adapters.model_fitting``), and ``flows check``/``evaluate`` fit here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.reply_features import Features
from bot.core.reply_model import Example, ReplyModel, share_names, train

__all__ = ["Fit", "fit_here", "forget_models", "trained"]

# Fits the models of several example sets, in order. Fitting imports scikit-learn, SciPy and
# NumPy (about 100 MB that stay resident once imported); reading needs only the weights, so
# a serving process passes a ``Fit`` that runs this one in a child process.
Fit = Callable[[Sequence[tuple[Example, ...]]], list[ReplyModel]]

# Flows are compiled often (every check, every test, every reload) from the same examples:
# the models of the last few example sets, most recently used last.
_TRAINED: dict[tuple[Example, ...], ReplyModel] = {}
_TRAINED_KEPT = 16


def fit_here(sets: Sequence[tuple[Example, ...]]) -> list[ReplyModel]:
    """The model of each example set, fitted in this process (each text is cut once), all
    over one vocabulary of feature names (:func:`share_names`)."""
    known: dict[str, Features] = {}  # a flow's models share most of their examples
    return share_names([train(examples, known) for examples in sets])


def trained(sets: Sequence[tuple[Example, ...]], fit: Fit) -> list[ReplyModel]:
    """The model of each set: kept ones reused, the others fitted by ``fit`` in one call."""
    missing = [examples for examples in dict.fromkeys(sets) if examples not in _TRAINED]
    fitted = dict(zip(missing, fit(missing), strict=True)) if missing else {}
    models = []
    for examples in sets:
        model = fitted[examples] if examples in fitted else _TRAINED.pop(examples)
        _TRAINED[examples] = model
        models.append(model)
    while len(_TRAINED) > _TRAINED_KEPT:
        del _TRAINED[next(iter(_TRAINED))]
    return models


def forget_models() -> None:
    """Drop the trained models kept in memory (the next flow compiled trains its own)."""
    _TRAINED.clear()
