"""Paging a reply within a segment budget (bot/core/paging.py), with toy measures: one
segment per part, or (a response cut inside its text) 100 characters a segment; the "more"
prompt free."""

from __future__ import annotations

from bot.core.paging import (
    ASK_PIECE_KEY,
    MORE_KEY,
    PIECE_KEY,
    Pager,
    asks_more,
    held_messages,
    shown_key,
)
from bot.core.types import OutboundMessage, Say, combine


def cost(message: OutboundMessage) -> int:
    return sum(p.key != MORE_KEY for p in message.parts)


def offers(part: Say) -> bool:
    return part.key.startswith("utter_ask_")


PAGER = Pager(cost, 3, offers)


def keys(messages: tuple[OutboundMessage, ...]) -> list[list[str]]:
    return [[p.key for p in m.parts] for m in messages]


def test_a_reply_within_the_budget_goes_whole() -> None:
    message = combine(Say("a"), Say("b"), Say("utter_ask_x"))
    assert PAGER.page([message]) == ((message,), [])


def test_a_longer_reply_is_cut_between_parts_and_the_rest_held() -> None:
    messages = [combine(Say("a"), Say("b")), combine(Say("c", {"n": "1"}), Say("d"))]
    sent, held = PAGER.page(messages)
    assert keys(sent) == [["a", "b"], ["c", MORE_KEY]]
    rest = held_messages(held)
    assert keys(tuple(rest)) == [["d"]]
    assert PAGER.page(rest) == (tuple(rest), [])
    assert held_messages(PAGER.page(messages)[1])[0].parts[0].key == "d"


def test_options_are_never_separated_from_what_follows_them() -> None:
    message = combine(Say("a"), Say("b"), Say("utter_ask_x"), Say("footer"))
    sent, held = PAGER.page([message])
    assert keys(sent) == [["a", "b", MORE_KEY]]
    assert keys(tuple(held_messages(held))) == [["utter_ask_x", "footer"]]


def test_a_part_longer_than_the_budget_goes_alone() -> None:
    def big(message: OutboundMessage) -> int:
        return sum(7 if p.key == "notice" else p.key != MORE_KEY for p in message.parts)

    pager = Pager(big, 3, offers)
    sent, held = pager.page([combine(Say("notice"), Say("utter_ask_consent"))])
    assert keys(sent) == [["notice", MORE_KEY]]
    assert keys(tuple(held_messages(held))) == [["utter_ask_consent"]]


def test_lagi_in_the_words_people_use() -> None:
    assert all(asks_more(w) for w in ("LAGI", "lagi", "Lanjut", "lanjut!"))
    assert not any(asks_more(w) for w in ("lagi dong saya mau", "1", "menu", ""))


# -- a single response longer than a page, cut inside its text ------------------------------
# A toy channel: 100 characters a segment (the text and each option "n. title" counted), the
# "more" prompt free; a part's text is TEXTS[key], a piece's its own words.
TEXTS = {
    "notice": " ".join(
        f"Kalimat {n} pemberitahuan ini{' cukup' * (n % 4)} panjang." for n in range(1, 13)
    ),
    "intro": "Pendek saja.",
    "utter_ask_ok": "Setuju?",
    "utter_ask_long": "Baca dulu. " * 40 + "Lalu pilih satu.",
    "run_on": "kata, " * 80 + "akhir",
}
BUTTONS = {"utter_ask_ok": (("Ya", "ok:yes"), ("Tidak", "ok:no")),
           "utter_ask_long": (("Lanjut", "long:go"),)}  # fmt: skip


def words(part: Say) -> tuple[str, tuple[tuple[str, str], ...]]:
    if part.key in (PIECE_KEY, ASK_PIECE_KEY):
        return part.params["words"], part.choices
    return TEXTS[part.key], (*part.choices, *BUTTONS.get(part.key, ()))


def chars(message: OutboundMessage) -> int:
    total = 0
    for part in message.parts:
        if part.key != MORE_KEY:
            text, choices = words(part)
            total += len(text) + sum(len(title) + 4 for title, _ in choices)
    return total


def segments(message: OutboundMessage) -> int:
    return max(1, -(-chars(message) // 100))


def offers_words(part: Say) -> bool:
    return bool(words(part)[1])


TEXT_PAGER = Pager(segments, 3, offers_words, words)


def pages(pager: Pager, messages: list[OutboundMessage]) -> list[tuple[OutboundMessage, ...]]:
    """Every page, replying LAGI until nothing is held."""
    out = []
    while True:
        sent, held = pager.page(messages)
        out.append(sent)
        if not held:
            return out
        assert sent[-1].parts[-1].key == MORE_KEY
        messages = held_messages(held)


def page_text(page: tuple[OutboundMessage, ...]) -> str:
    return " ".join(words(p)[0] for m in page for p in m.parts if p.key != MORE_KEY)


def test_a_response_longer_than_a_page_is_cut_at_sentence_ends_and_joins_back() -> None:
    whole = combine(Say("notice"), Say("utter_ask_ok"))
    assert segments(whole) > 3
    got = pages(TEXT_PAGER, [whole])
    assert len(got) >= 2
    assert all(TEXT_PAGER.cost(page) <= 3 for page in got)
    for page in got[:-1]:  # each page ends at a sentence end, and offers nothing
        assert page_text(page).endswith(" panjang.")
        assert not any(p.choices for m in page for p in m.parts)
    # LAGI joins them back: the notice's words, in order, nothing lost or repeated
    joined = " ".join(page_text(page) for page in got)
    assert joined.split() == f"{TEXTS['notice']} {TEXTS['utter_ask_ok']}".split()
    # the options stay with their question, on the last page
    assert keys(got[-1]) == [[PIECE_KEY, "utter_ask_ok"]]
    # each piece says which response it is, once
    shown = [shown_key(p) for page in got for m in page for p in m.parts]
    assert [k for k in shown if k] == ["notice", "utter_ask_ok"]


def test_a_page_is_filled_with_the_beginning_of_a_long_response() -> None:
    got = pages(TEXT_PAGER, [combine(Say("intro"), Say("notice"))])
    first = got[0][0].parts
    assert [p.key for p in first] == ["intro", PIECE_KEY, MORE_KEY]
    assert chars(got[0][0]) > 200  # not a page for "Pendek saja." alone


def test_a_long_question_keeps_its_options_on_its_last_piece() -> None:
    got = pages(TEXT_PAGER, [combine(Say("utter_ask_long"))])
    assert len(got) >= 2 and all(TEXT_PAGER.cost(page) <= 3 for page in got)
    last = got[-1][-1].parts
    assert [p.key for p in last] == [ASK_PIECE_KEY]  # still a question (its nav stays)
    assert last[0].choices == (("Lanjut", "long:go"),)
    assert last[0].params["words"].endswith("Lalu pilih satu.")
    assert not any(p.choices for page in got[:-1] for m in page for p in m.parts)


def test_a_sentence_longer_than_a_page_is_cut_at_a_comma() -> None:
    got = pages(TEXT_PAGER, [combine(Say("run_on"))])
    assert len(got) >= 2 and all(TEXT_PAGER.cost(page) <= 3 for page in got)
    assert all(page_text(page).endswith(",") for page in got[:-1])
    assert " ".join(page_text(p) for p in got).split() == TEXTS["run_on"].split()


def test_without_words_a_long_part_still_goes_whole() -> None:
    pager = Pager(segments, 3, offers_words)
    sent, held = pager.page([combine(Say("notice"), Say("utter_ask_ok"))])
    assert keys(sent) == [["notice", MORE_KEY]]
    assert keys(tuple(held_messages(held))) == [["utter_ask_ok"]]
