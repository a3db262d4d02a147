"""A learned reader of free-text replies: multinomial logistic regression, calibrated.

Built from a flow's examples when the flow loads, deterministically (same
examples, same model: no random state, no downloaded weights):

1. every example becomes a sparse vector of :mod:`bot.core.reply_features`,
   the word-level and the letter-group blocks each scaled to unit length;
2. scikit-learn's ``LogisticRegression`` (L2, lbfgs, classes balanced) learns
   one weight per feature and intent;
3. the scores are calibrated by temperature scaling: the same model is fitted
   on ``FOLDS - 1`` folds and scored on the one left out, and the one
   temperature that makes those out-of-fold probabilities most likely is kept.
   The out-of-fold reading of each example is kept too: ``flows check`` uses
   it to point at an example the rest of the examples contradict.

Reading a reply needs only the standard library: the fitted weights are kept as one
``array('d')`` column per intent, and a reply's score is a sum over its known features.
NumPy, SciPy and scikit-learn are imported by :func:`train` alone, so a process that
only reads (the web process, whose models are fitted in a child) never imports them.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from bot.core.reply_features import Features, features
from bot.core.reply_spelling import near_words
from bot.core.wording import Clause, clauses

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Example", "Reading", "ReplyModel", "share_names", "train"]

FOLDS = 3
_C = 10.0  # inverse regularisation; chosen on the dev split (see tests/data/replies/README.md)
# What the words before a correction weigh against those after it ("2... não, pera, 1").
TAKEN_BACK = 0.2  # 0.2-0.6 swept on the development splits (tests/data/replies/README.md)
# What the word-level block weighs against the letter groups (each block of unit length): the
# words and cues (negation, clause, correction) carry the answer, the letter groups catch typos
# and unseen endings. 1.4-2.0 read within 0.05 point of each other on the thirteen development
# splits, 1.0 (equal, before) 0.35 point less (tests/data/replies/README.md).
WORD_WEIGHT = 1.4
_RECENT = 16  # readings kept: those of one message, not a cache of messages
_TEMPERATURES = tuple(0.25 + 0.05 * i for i in range(76))  # 0.25 .. 4.0


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    origin: tuple[str, ...] = ()  # where staff wrote it, as a path in the flow file


@dataclass(frozen=True, slots=True)
class Reading:
    """The model's view of one reply: calibrated probability per intent, best first."""

    ranked: tuple[tuple[str, float], ...]

    @property
    def intent(self) -> str:
        return self.ranked[0][0]

    @property
    def confidence(self) -> float:
        return self.ranked[0][1]

    def probability(self, intent: str) -> float:
        return next((p for name, p in self.ranked if name == intent), 0.0)


class ReplyModel:
    """The trained weights of one group of intents (those a state listens for).

    Plain data of the standard library (a dict, tuples, ``array('d')``): it pickles
    without NumPy and reads without it."""

    def __init__(
        self,
        classes: tuple[str, ...],
        index: dict[str, int],
        weights: tuple[array[float], ...],
        bias: tuple[float, ...],
        temperature: float,
        out_of_fold: tuple[Reading, ...],
        fitted: array[float] | None = None,
        rows: array[int] | None = None,
    ) -> None:
        self.classes = classes
        # Feature name -> row of ``weights``' columns; or, with ``rows``, feature name ->
        # position in a vocabulary the models of one flow share (:func:`share_names`), and
        # ``rows[position]`` the row, -1 for a feature this model does not know.
        self.names = index
        self.rows = rows
        self.weights = weights  # one column per class, one value per feature
        self.bias = bias
        self.temperature = temperature
        self.out_of_fold = out_of_fold  # one per training example, in order
        # Calibrated probabilities of the training examples by the model itself (rows in
        # training order, one value per class): what ``flows check`` asks of every example.
        self.fitted = fitted
        self._recent: dict[tuple[Clause, ...], Reading] = {}

    def fitted_reading(self, row: int) -> Reading:
        """The model's reading of its ``row``-th training example (as :meth:`read` gives it)."""
        if self.fitted is None:
            raise ValueError("this model keeps no readings of its training examples")
        width = len(self.classes)
        probabilities = self.fitted[row * width : (row + 1) * width]
        order = sorted(range(width), key=lambda i: -probabilities[i])  # stable, as argsort's
        return Reading(tuple((self.classes[i], probabilities[i]) for i in order))

    @property
    def index(self) -> dict[str, int]:
        """Feature name -> row, of the features this model knows, in row order (built anew
        when the names are shared: for staff tools and checks, not for reading)."""
        if self.rows is None:
            return self.names
        rows = self.rows
        known = sorted((rows[at], name) for name, at in self.names.items() if rows[at] >= 0)
        return {name: row for row, name in known}

    @property
    def size_bytes(self) -> int:
        """Roughly what the model holds in memory (weights + feature index)."""
        index = self.index
        keys = sum(len(k) + 49 for k in index)  # str object overhead ~49 bytes
        weights = sum(c.itemsize * len(c) for c in self.weights) + 8 * len(self.bias)
        return weights + keys + 104 * len(index)

    def _logits(self, found: Features) -> list[float]:
        # Each block's features weigh the same: one sum per block and class, gathered in C.
        logits = list(self.bias)
        for rows, scale in _blocks(found, self.names, self.rows):
            pick = _gather(rows)
            for column, weights in enumerate(self.weights):
                logits[column] += scale * sum(pick(weights))
        return logits

    def read(self, text: str, parts: Sequence[Clause] | None = None) -> Reading:
        """The calibrated probability of each intent for ``text`` (``parts``: its clauses)."""
        key = tuple(clauses(text) if parts is None else parts)
        # One message's rules read the same clauses more than once (the whole message, then
        # its opening, its pieces, the clash check): the last few readings are kept.
        recent = self._recent
        found = recent.get(key)
        if found is None:
            logits = self._logits(features("", self.spelled(key)))
            found = recent[key] = _reading(self.classes, [v / self.temperature for v in logits])
            if len(recent) > _RECENT:
                recent.pop(next(iter(recent)), None)
        return found

    def spelled(self, parts: Sequence[Clause]) -> Sequence[Clause]:
        """``parts`` with each word the examples never had replaced by the one word they had
        one typo away ("cnfirmo", "mamter", "desmarcaa")."""
        near = getattr(self, "_near", None)
        if near is None:
            near = self._near = near_words(self.index, self.weights)
        fixed = [tuple(near[t] for t in c.tokens) for c in parts]
        if all(f == c.tokens for f, c in zip(fixed, parts, strict=True)):
            return parts
        return [
            Clause(f, c.question, c.contrast) for f, c in zip(fixed, parts, strict=True)
        ]  # fmt: skip

    def cues(self, text: str, intent: str, limit: int = 4) -> list[str]:
        """The features that pushed ``text`` most towards ``intent`` (for staff, not logs)."""
        rows, values = _encode(features(text), self.names, self.rows)
        column = self.weights[self.classes.index(intent)]
        names = list(self.index)
        pushed = sorted(
            ((v * column[r], names[r]) for r, v in zip(rows, values, strict=True)),
            reverse=True,
        )
        return [name for weight, name in pushed[:limit] if weight > 0]


def _blocks(
    found: Features, index: Mapping[str, int], rows: array[int] | None = None
) -> Iterator[tuple[set[int], float]]:
    """The rows of the known features of each block, and the block's scale: unit length
    (presence, not counts) times ``WORD_WEIGHT`` for the word-level blocks, the blocks of
    words taken back by a correction ``TAKEN_BACK``.
    ``rows``: ``index`` is a shared vocabulary (see :class:`ReplyModel`)."""
    for number, block in enumerate(found):
        known = set(map(index.get, block))
        known.discard(None)
        if rows is not None:
            known = set(map(rows.__getitem__, known))  # type: ignore[arg-type]  # no None
            known.discard(-1)
        if known:
            weight = WORD_WEIGHT if number % 2 == 0 else 1.0  # words, letters, words, letters
            scale = weight * (1.0 if number < 2 else TAKEN_BACK) / math.sqrt(len(known))
            yield known, scale  # type: ignore[misc]  # None was discarded


def _gather(rows: set[int]) -> Callable[[array[float]], Iterable[float]]:
    """The values at ``rows`` of a column, by itemgetter (3x map's speed here); itemgetter of
    one item gives it bare, not in a tuple."""
    if len(rows) == 1:
        (row,) = rows
        return lambda column: (column[row],)
    return itemgetter(*rows)


def _encode(
    found: Features, index: Mapping[str, int], shared: array[int] | None = None
) -> tuple[list[int], list[float]]:
    """Known features of each block as rows and values, each block scaled (:func:`_blocks`)."""
    rows: list[int] = []
    values: list[float] = []
    for known, scale in _blocks(found, index, shared):
        rows += known
        values += [scale] * len(known)
    return rows, values


def share_names(models: Sequence[ReplyModel]) -> list[ReplyModel]:
    """The same models (same weights, same readings) over one vocabulary of feature names.

    A flow's models (the shared ones and each state's own) learn from most of the same
    examples: their feature indexes, one dict per model, held the same names several times
    over (162,642 entries for 43,640 names in the shipped flows). One dict of names, and
    per model an ``array('i')`` from a name's position to the model's row, hold them once."""
    names: dict[str, int] = {}
    for model in models:
        for name in model.index:
            names.setdefault(name, len(names))
    shared = []
    for model in models:
        rows = array("i", [-1]) * len(names)
        for name, row in model.index.items():
            rows[names[name]] = row
        shared.append(ReplyModel(
            model.classes, names, model.weights, model.bias, model.temperature,
            model.out_of_fold, model.fitted, rows,
        ))  # fmt: skip
    return shared


def _softmax(logits: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, Any]:
    import numpy as np

    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def _reading(classes: tuple[str, ...], logits: Iterable[float]) -> Reading:
    values = [float(v) for v in logits]  # a training row may be NumPy's: plain floats out
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    total = sum(exps)
    order = sorted(range(len(exps)), key=lambda i: -exps[i])  # stable: ties keep class order
    return Reading(tuple((classes[i], exps[i] / total) for i in order))


def _matrix(rows: Sequence[tuple[list[int], list[float]]], width: int) -> Any:
    import numpy as np
    from scipy.sparse import csr_matrix

    indptr, indices, data = [0], [], []
    for columns, values in rows:
        indices += columns
        data += values
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(rows), width), dtype=np.float64)


def _fit(x: Any, y: Any, start: Any = None) -> Any:
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    # newton-cg: on these few thousand sparse rows it converges in a handful of steps,
    # five times faster than lbfgs to the same tolerance. ``start``: a fitted model whose
    # weights the fit starts from (a fold's model is close to the full one).
    model = LogisticRegression(
        C=_C, class_weight="balanced", solver="newton-cg", max_iter=200, tol=1e-4,
        warm_start=start is not None,
    )  # fmt: skip
    if start is not None:
        model.coef_ = start.coef_.copy()
        model.intercept_ = start.intercept_.copy()
    # One thread: the fit is small, and scikit-learn's OpenMP and BLAS threads spin on a
    # shared machine, several times the CPU for the same result.
    with threadpool_limits(limits=1):
        return model.fit(x, y)


def _temperature(logits: np.ndarray[Any, Any], labels: np.ndarray[Any, Any]) -> float:
    """The temperature that minimises the out-of-fold negative log-likelihood."""
    import numpy as np

    best, best_loss = 1.0, math.inf
    picked = np.arange(len(labels))
    for t in _TEMPERATURES:
        probs = _softmax(logits / t)
        loss = float(-np.log(probs[picked, labels] + 1e-12).mean())
        if loss < best_loss:
            best, best_loss = t, loss
    return best


def train(
    examples: Sequence[Example], known: MutableMapping[str, Features] | None = None
) -> ReplyModel:
    """Fit a calibrated model on ``examples`` (at least two intents, deterministic).

    ``known``: the features of texts already cut, filled as texts are cut (a flow's models
    share most of their examples, so a flow cuts each text once)."""
    import numpy as np  # training only: a process that only reads never imports it

    classes = tuple(sorted({e.intent for e in examples}))
    if len(classes) < 2:
        raise ValueError("a reply model needs examples of at least two intents")
    memo: MutableMapping[str, Features] = {} if known is None else known
    found = []
    for example in examples:
        cut = memo.get(example.text)
        if cut is None:
            cut = memo[example.text] = features(example.text)
        found.append(cut)
    index: dict[str, int] = {}
    for block in found:
        for group in block:
            for name in group:
                index.setdefault(name, len(index))
    encoded = [_encode(f, index) for f in found]
    x = _matrix(encoded, len(index))
    y = np.asarray([classes.index(e.intent) for e in examples])

    # Out-of-fold logits: a fold is every FOLDS-th example of each intent, so every fold
    # sees every intent and the split depends only on the examples' order.
    fold_of = np.zeros(len(examples), dtype=int)
    for label in range(len(classes)):
        members = np.flatnonzero(y == label)
        fold_of[members] = np.arange(len(members)) % FOLDS
    final = _fit(x, y)
    oof = np.zeros((len(examples), 1 if len(classes) == 2 else len(classes)))
    for fold in range(FOLDS):
        held = fold_of == fold
        if not held.any() or len(set(y[~held].tolist())) < len(classes):
            continue
        part = _fit(x[~held], y[~held], start=final)  # from the full model: a few steps
        oof[held] = part.decision_function(x[held]).reshape(int(held.sum()), -1)
    if len(classes) == 2:  # binary: one column of scores for the second class
        oof = np.column_stack([-oof[:, 0] / 2, oof[:, 0] / 2])
    temperature = _temperature(oof, y)

    weights = np.ascontiguousarray(final.coef_.T, dtype=np.float64)
    bias = np.asarray(final.intercept_, dtype=np.float64)
    if len(classes) == 2:
        weights = np.hstack([-weights / 2, weights / 2])
        bias = np.asarray([-bias[0] / 2, bias[0] / 2])
    readings = tuple(_reading(classes, row / temperature) for row in oof)
    fitted = _softmax((x @ weights + bias) / temperature)
    return ReplyModel(
        classes, index, _columns(weights), tuple(bias.tolist()), temperature, readings,
        array("d", fitted.tobytes()),
    )  # fmt: skip


def _columns(weights: np.ndarray[Any, np.dtype[np.float64]]) -> tuple[array[float], ...]:
    """The weights as one ``array('d')`` per class (the same doubles, bit for bit)."""
    return tuple(array("d", weights[:, c].tobytes()) for c in range(weights.shape[1]))
