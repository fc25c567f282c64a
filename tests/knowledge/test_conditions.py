"""The words people type for a disability (UU 8/2016 Pasal 4), read into its kinds."""

from __future__ import annotations

import pytest

from bot.dialogs.jobseeker import CONDITIONS
from bot.knowledge.conditions import KINDS, condition_of, terms


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("tuli", "sensory"),
        ("saya tuna rungu", "sensory"),
        ("Tunanetra", "sensory"),
        ("bisu sejak lahir", "sensory"),
        ("pakai kursi roda", "physical"),
        ("kaki saya diamputasi", "physical"),
        ("bekas stroke", "physical"),
        ("down syndrome", "intellectual"),
        ("lambat belajar", "intellectual"),
        ("bipolar", "mental"),
        ("autis", "mental"),
        ("tuli dan pakai kursi roda", "multiple"),  # two kinds: Pasal 4 ayat (2)
        ("disabilitas ganda", "multiple"),
        ("tidak", "none"),
        ("tidak ada", "none"),
        ("nggak", "none"),
        ("tidak mau menyebutkan", "undisclosed"),  # not "none" for its "tidak"
        ("rahasia ya", "undisclosed"),
    ],
)
def test_words_people_use(typed: str, kind: str) -> None:
    assert condition_of(typed) == kind


@pytest.mark.parametrize("typed", ["", "ya", "sakit", "tulisan", "kursi", "halo"])
def test_no_kind_named_is_no_guess(typed: str) -> None:
    """Whole words only ("tulisan" is not "tuli"); nothing named, nothing guessed."""
    assert condition_of(typed) is None


def test_every_kind_read_is_an_answer_of_the_question() -> None:
    assert set(terms()) == {*KINDS, "none", "undisclosed"}
    assert set(terms()) <= set(CONDITIONS)
