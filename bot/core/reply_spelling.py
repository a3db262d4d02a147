"""Words the examples never had, read as the one word they had one typo away.

A model's words (``w:`` and ``n:`` features) are weighed by how much the model leans on
them; an unknown word of five letters or more one edit away (deletion, insertion,
substitution or swap of neighbours, found through shared deletions) from a known one is
read as the strongest of them: "cnfirmo", "mamter", "desmarcaa" (:meth:`ReplyModel.spelled
<bot.core.reply_model.ReplyModel.spelled>`).
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence

__all__ = ["NearWords", "near_words"]

_SPELLED_FROM = 5  # shorter words have too many neighbours one letter away


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class NearWords(dict[str, str]):
    """word -> the known word one edit away (deletion, insertion, substitution or swap of
    neighbours, through shared deletions), filled as words are met; known words map to
    themselves."""

    def __init__(self, strength: dict[str, float]) -> None:
        super().__init__()
        self.strength = strength
        # Each deletion keeps only the word the model weighs most (ties: the first in
        # alphabetical order): the one a typo is read as, in a fraction of the memory of sets.
        self.by_deletion: dict[str, str] = {}
        for word in sorted(strength):
            if len(word) >= _SPELLED_FROM - 1:
                for key in _deletions(word) | {word}:
                    held = self.by_deletion.get(key)
                    if held is None or strength[word] > strength[held]:
                        self.by_deletion[key] = word

    def __missing__(self, word: str) -> str:
        found = word
        if word not in self.strength and len(word) >= _SPELLED_FROM and word.isalpha():
            keys = _deletions(word) | {word}
            near = sorted(self.by_deletion[k] for k in keys if k in self.by_deletion)
            if near:  # the word the examples weigh most: "confirmo" before its own typos
                found = max(near, key=self.strength.__getitem__)
        if len(self) < 65536:
            self[word] = found
        return found


def near_words(index: Mapping[str, int], weights: Sequence[array[float]]) -> NearWords:
    """The typo reader of a model: its words (plain or negated), each as strong as the model
    weighs it over all intents."""
    strength: dict[str, float] = {}
    for name, row in index.items():
        if name[:2] in ("w:", "n:"):
            weight = sum(abs(column[row]) for column in weights)
            strength[name[2:]] = max(strength.get(name[2:], 0.0), weight)
    return NearWords(strength)
