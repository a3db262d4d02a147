"""A numbered menu's answer written as a patient writes it: "2", "2️⃣" (folded to "2"), "opção
3", "a de número dois", "a primeira", "segundo botão", "1 opa errei, 2"."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["menu_number"]

# Words around a menu number that do not change it: "escolho a opção 2", "a de número um".
_MENU_FILLER = frozenset(
    {"opcao", "numero", "num", "n", "no", "a", "o", "de", "do", "da", "e", "resposta",
     "escolho", "quero", "fico", "com", "vou", "digito", "marco", "alternativa", "aperto",
     "botao", "tecla"}
)  # fmt: skip
_CARDINALS = {"um": "1", "uma": "1", "dois": "2", "duas": "2", "tres": "3", "quatro": "4",
              "cinco": "5"}  # fmt: skip
# "segunda" and "quinta" are also weekdays: ordinals count only next to a menu word.
_ORDINALS = {"primeira": "1", "primeiro": "1", "segunda": "2", "segundo": "2",
             "terceira": "3", "terceiro": "3", "quarta": "4", "quinta": "5"}  # fmt: skip
_MENU_CUES = frozenset({"opcao", "numero", "alternativa", "botao", "tecla", "a", "o"})
# Words that take back the number before them: "1 opa errei, 2", "1\nerrei, é 2" (as folded:
# repeated letters are squeezed, "errei" is "erei").
_MENU_CORRECTIONS = frozenset(
    {"erei", "ops", "opa", "erado", "engano", "desculpa", "desculpe", "digo", "quis",
     "quer", "dizer", "pera", "cliquei", "apertei", "mandei", "foi", "mal", "sem", "querer", "era",
     "alias", "espera", "perai", "nao", "corecao", "corigindo", "retificando", "retifico",
     "corijo", "antes"}
)  # fmt: skip
# Said right after a number, these own it as the slip: "2 2 2 apertei *o 1 sem querer*", "é 2,
# desculpa *o 1 de antes*" (the number before it is the answer).
_SLIP_AFTER = frozenset({"querer", "erado", "engano", "antes"})


def menu_number(tokens: Sequence[str]) -> str | None:
    """The one menu number a message consists of ("opção 2", "a de número dois"), or None.

    A number taken back by a correction counts no more: "1 opa errei, 2" is 2, and so is
    "1... não, pera, 2"; a "não" that takes back no number ("2 não") is not a menu answer."""
    numbers: list[str] = []
    cue = corrected = slip = False
    for token in tokens:
        number = token if token.isdigit() else _CARDINALS.get(token) or _ORDINALS.get(token)
        if number is not None:
            numbers.append(number)
            slip = False  # "mandei o 1 errado, é o *dois*": the slip was not the last number
        elif token in _MENU_FILLER:
            cue = cue or token in _MENU_CUES
        elif token in _MENU_CORRECTIONS:
            corrected = corrected or bool(numbers)  # a number, then "errei": the next one counts
            slip = slip or (token in _SLIP_AFTER and bool(numbers))
        else:
            return None
    if corrected and len(numbers) >= 2:
        kept = set(numbers[:-1]) if slip else {numbers[-1]}  # the slip was the last number
        numbers = list(kept)
    elif "nao" in tokens:
        return None
    if len(numbers) != 1:
        return None
    ordinal = any(t in _ORDINALS for t in tokens)
    return numbers[0] if cue or not ordinal else None
