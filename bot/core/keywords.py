"""The navigation keywords as people type them on a phone keypad: one word, any case, with a
common typo (a letter missing, doubled, swapped with its neighbour, or one wrong), for the
plain channels (console, SMS, WhatsApp). Pure.

Only whole one-word messages are read, and only after the exact words (nlu ``intent``) and
the options on screen did not take them, so an answer is never turned into a keyword by
accident. Short keywords (MENU, STOP, DATA) are too close to ordinary words and names
("Dana", "Dita", "stok") to guess at: only the typos listed for them are taken. Words that
are real answers close to a keyword ("mulia", a name) are never read as one.
"""

from __future__ import annotations

from typing import Final

# Keyword → intent (the navigation intents of nlu/interpreter.py).
KEYWORDS: Final = {
    "menu": "menu",
    "bantuan": "help",
    "stop": "stop",
    "mulai": "resume",
    "petugas": "human",
    "data": "my_data",
    "hapus": "delete_data",
    "kembali": "back",
    "batal": "cancel",
}
# Keywords of four letters: only these typos (a guess at one letter would take real words).
LISTED_TYPOS: Final = {
    "mneu": "menu", "emnu": "menu", "mnue": "menu", "menuu": "menu", "mennu": "menu",
    "meenu": "menu", "menh": "menu",
    "stp": "stop", "stpo": "stop", "sotp": "stop", "stoop": "stop", "stopp": "stop",
    "setop": "stop", "sstop": "stop",
    "dta": "data", "daat": "data", "adta": "data", "dataa": "data", "dataku": "data",
}  # fmt: skip
NOT_TYPOS: Final = frozenset(
    {"mulia", "mula", "bata", "batak", "batas", "harus", "bantu", "hapu", "kembal"}
)
MIN_GUESSED = 5  # keywords at least this long are matched within one edit


def _within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance at most 1 (an insertion, a deletion, a substitution or
    two neighbours swapped)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i, j = [*diff, 0, 0][:2]
        return len(diff) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long = (a, b) if la < lb else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def keyword_intent(text: str) -> str | None:
    """The navigation intent a one-word message with a typo means, or None."""
    word = text.strip().strip(".!?").casefold()
    if not word.isalpha() or word in NOT_TYPOS:
        return None
    if word in KEYWORDS:
        return KEYWORDS[word]
    if word in LISTED_TYPOS:
        return KEYWORDS[LISTED_TYPOS[word]]
    found = {
        intent
        for keyword, intent in KEYWORDS.items()
        if len(keyword) >= MIN_GUESSED and _within_one_edit(word, keyword)
    }
    return found.pop() if len(found) == 1 else None
