"""Keywords typed on a keypad (bot/core/keywords.py): a typo is read, an answer never is."""

from __future__ import annotations

import pytest

from bot.core.keywords import KEYWORDS, LISTED_TYPOS, keyword_intent


@pytest.mark.parametrize(
    ("typed", "intent"),
    [
        ("HAPUS", "delete_data"), ("hapsu", "delete_data"), ("hpus", "delete_data"),
        ("Bantuan", "help"), ("bantun", "help"), ("bamtuan", "help"),
        ("ptugas", "human"), ("petugaz", "human"), ("muali", "resume"), ("mulay", "resume"),
        ("kembli", "back"), ("batl", "cancel"), ("mnue", "menu"), ("stpo", "stop"),
        ("dta", "my_data"), ("menu!", "menu"),
    ],
)  # fmt: skip
def test_a_keyword_with_a_common_typo(typed: str, intent: str) -> None:
    assert keyword_intent(typed) == intent


@pytest.mark.parametrize(
    "typed",
    # names and words one letter away from a short keyword, and more than one word
    ["Mulia", "Dita", "Dana", "stok", "mena", "batas", "harus", "bata", "hapus data saya",
     "12", "", "m3nu", "mnu mnu"],
)  # fmt: skip
def test_answers_are_never_read_as_keywords(typed: str) -> None:
    assert keyword_intent(typed) is None


def test_listed_typos_name_real_keywords() -> None:
    assert set(LISTED_TYPOS.values()) <= set(KEYWORDS)
