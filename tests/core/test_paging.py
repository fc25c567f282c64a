"""Paging a reply within a segment budget (bot/core/paging.py), with a toy measure: one
segment per part, the "more" prompt free."""

from __future__ import annotations

from bot.core.paging import MORE_KEY, Pager, asks_more, held_messages
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
