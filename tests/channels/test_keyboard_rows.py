"""Telegram keyboards: one button per row, unless the response asks for one row
(``button_type: inline``, as for the 1-5 scale of the interest inventory)."""

from __future__ import annotations

from bot.channels.telegram import keyboard
from bot.core.domain import load_default_domain
from bot.core.types import say


def _rows(key: str, **params: str) -> list[list[str]]:
    rendered = load_default_domain().render(say(key, **params), "telegram")
    markup = keyboard(rendered)
    assert markup is not None
    return [[b.text for b in row] for row in markup.inline_keyboard]


def test_the_inventory_scale_is_one_row_of_five() -> None:
    rows = _rows("utter_ask_inventory_item", n="1", total="36", item="Memperbaiki mesin",
                 item_id="r1")  # fmt: skip
    assert rows[0] == ["1", "2", "3", "4", "5"]
    assert rows[1] == ["⬅️ Kembali", "🏠 Menu"]  # the navigation row stays as it was
    assert len(rows) == 2


def test_other_questions_keep_one_button_per_row() -> None:
    rows = _rows("utter_ask_reason")
    assert rows[:-1] == [[title] for title in [r[0] for r in rows[:-1]]]
    assert len(rows) == 8  # seven answers, then the navigation row
