"""How a fitted reply model is stored: one vocabulary of feature names for a flow's models."""

from __future__ import annotations

import pickle

from bot.core.reply_fitting import fit_here
from bot.core.reply_model import Example, share_names, train

YES_NO = (
    Example("vou sim", "yes"), Example("confirmo", "yes"), Example("pode contar comigo", "yes"),
    Example("não vou", "no"), Example("não posso ir", "no"), Example("vou faltar", "no"),
)  # fmt: skip
# Words the first set never saw: "remarcar", "outro", "dia".
MOVE = (*YES_NO, Example("quero remarcar", "move"), Example("outro dia", "move"))
REPLIES = ["vou sim", "quero remarcar sim", "outro dia não", "não", "confirmo outro dia", ""]


def test_models_over_one_vocabulary_read_exactly_as_alone() -> None:
    alone = [train(YES_NO), train(MOVE)]
    shared = share_names(alone)
    assert shared[0].names is shared[1].names
    assert set(shared[0].names) == set(alone[0].index) | set(alone[1].index)
    for mine, theirs in zip(shared, alone, strict=True):
        assert mine.index == theirs.index  # a name the model never learnt stays unknown to it
        assert mine.size_bytes == theirs.size_bytes
        assert [mine.read(r) for r in REPLIES] == [theirs.read(r) for r in REPLIES]
        assert mine.cues("confirmo outro dia", "yes") == theirs.cues("confirmo outro dia", "yes")


def test_one_fit_shares_its_vocabulary_through_a_pickle() -> None:
    fitted = fit_here([YES_NO, MOVE])
    assert fitted[0].names is fitted[1].names
    back = pickle.loads(pickle.dumps(fitted, protocol=pickle.HIGHEST_PROTOCOL))  # noqa: S301
    assert back[0].names is back[1].names
    assert back[0].rows == fitted[0].rows
    assert [back[1].read(r) for r in REPLIES] == [fitted[1].read(r) for r in REPLIES]
