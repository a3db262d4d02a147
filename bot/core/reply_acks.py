"""A reply that only acknowledges the message or takes leave: it does not answer.

"Recebido, obrigada", "é então né recebi aqui a mensagem tá bom obrigada viu", "Obg, até",
"Beijo, fica com Deus": the writer says they read the reminder, thanks, or says goodbye, and
nothing about coming. A receptionist asks again (the labelling convention of
``tests/data/replies/README.md``). A farewell that names when the two will meet *is* an
answer: "até quarta", "até lá", "nos vemos dia 9", "tchau, a gente se vê" mean the writer
comes, and are left to the model.

Told by what is said, word by word, not by one word: every word of the message is a word
of receipt, thanks, greeting, leave-taking or a filler, at least one of them is a word of
receipt or leave-taking (a bare "tá bom" or "obrigada" is the model's), and no "até" names a
time or a place ("até" alone, or before another farewell, only takes leave).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["only_acknowledges"]

# Saying the message arrived or was noted ("recebi", "ciente", "acuso o recebimento").
_RECEIPT = frozenset(
    {"recebi", "recebido", "recebida", "recebemos", "recebimento", "ciente", "anotado",
     "anotada", "anotei", "entendi", "entendido", "acuso"}
)  # fmt: skip
# Taking leave without naming a meeting ("tchau", "beijo", "fica com Deus", "até").
_LEAVE = frozenset(
    {"tchau", "tchauzinho", "xau", "beijo", "beijos", "beijinho", "beijinhos", "bj", "bjs",
     "bjo", "bjos", "abraco", "abracos", "fica", "fique", "fiquem", "ate", "falou", "flw"}
)  # fmt: skip
_THANKS = frozenset(
    {"obrigada", "obrigado", "obg", "obgd", "brigada", "brigado", "grata", "grato", "valeu",
     "vlw", "agradeco", "deus", "abencoe", "abencoa", "amem", "paz", "senhor", "bom", "boa",
     "dia", "tarde", "noite", "oi", "ola", "semana", "final", "fim", "de", "com", "pra",
     "voce", "vc", "voces", "vcs", "todos", "muito", "muita"}
)  # fmt: skip
_FILLERS = frozenset(
    {"e", "a", "o", "ai", "aqui", "ne", "entao", "viu", "ta", "tipo", "assim", "eu", "um",
     "uma", "mensagem", "msg", "lembrete", "aviso", "informacao", "pelo", "pela", "por",
     "avisar", "lembrar", "da", "do", "presente", "sua", "seu"}
)  # fmt: skip
# After "até", these still only take leave ("até, beijo", "obg, até mais").
_LATER = frozenset({"mais", "logo", "breve"})
_LEAVE_AFTER = _LEAVE | _THANKS | _LATER
_WORDS = _RECEIPT | _LEAVE | _THANKS | _FILLERS | _LATER
_UNTIL = "ate"


def only_acknowledges(tokens: Sequence[str]) -> bool:
    """Whether every word only acknowledges, thanks or takes leave ("Recebido, obrigada")."""
    if not tokens or not set(tokens) <= _WORDS:
        return False
    if _RECEIPT.isdisjoint(tokens) and _LEAVE.isdisjoint(tokens):
        return False  # "tá bom, obrigada": thanks around what may be an answer
    return all(
        i + 1 == len(tokens) or tokens[i + 1] in _LEAVE_AFTER
        for i, token in enumerate(tokens)
        if token == _UNTIL
    )
