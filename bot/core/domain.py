"""domain.yml (Rasa 3.x format): every user-facing text, rendered per channel.

A response is a list of variations; a variation with ``channel: X`` serves channel X, and
``channel: plain`` serves every plain-text channel (console, SMS, WhatsApp). Otherwise the first
variation without a channel serves. ``{name}`` in a text, a button title or a payload is
filled from the message's parameters (Rasa fills slots the same way). A parameter value
``choice:<payload>`` is replaced by the title of the button with that payload, so a stored
answer can be shown in the words the user chose it by.

Two conventions beyond plain Rasa:
- ``button_type: inline`` on a variation puts that part's buttons in one row (Rasa's Telegram
  meaning: "horizontal inline keyboard"); without it each button has its own row. Plain
  channels number the buttons either way.
- The part :data:`FOOTER_KEY` (the navigation words, shown once when a dialog opens) is a
  paragraph of the text on channels with buttons; on plain channels it comes after the
  numbered options, so the options stay right under their question.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.core.types import OutboundMessage

PLAIN_CHANNELS = frozenset({"console", "sms", "whatsapp"})
QUESTION_PREFIX = "utter_ask_"
NAV_KEY = "utter_nav"
FOOTER_KEY = "utter_footer"
INLINE = "inline"  # ``button_type`` of a variation whose buttons share one row
# Parameters that carry what a person typed (a counselor's message, a beneficiary's reply):
# filled in as they are, never looked up as a ``choice:`` title. (No value is ever read as a
# template: ``{}`` in it stays ``{}``.)
VERBATIM = frozenset({"words"})


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Rendered:
    """A message in words: text, answer buttons, and navigation buttons (questions only);
    ``rows`` groups the answer buttons into keyboard rows, ``footer`` is the navigation
    hint a plain channel prints after the options."""

    text: str
    buttons: tuple[Button, ...]
    nav: tuple[Button, ...]
    rows: tuple[tuple[Button, ...], ...] = ()
    footer: str = ""

    def button_rows(self) -> tuple[tuple[Button, ...], ...]:
        """The answer buttons in rows: as the response asked, else one button per row."""
        return self.rows or tuple((b,) for b in self.buttons)


_LIST_LINE = re.compile(r"^(- |\d+\. )")


def join_parts(texts: list[str]) -> str:
    """Parts become paragraphs, except consecutive list lines ("- ...", "2. ..."), which stay
    together as one list."""
    out = ""
    for text in texts:
        if out:
            out += (
                "\n"
                if _LIST_LINE.match(text) and _LIST_LINE.match(out.rsplit("\n", 1)[-1])
                else "\n\n"
            )
        out += text
    return out


class _Params(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def default_domain_path() -> Path:
    """``JKP_DOMAIN`` if set, else domain.yml beside the ``bot`` package (the project root)."""
    if env := os.environ.get("JKP_DOMAIN"):
        return Path(env)
    beside = Path(__file__).resolve().parents[2] / "domain.yml"
    return beside if beside.exists() else Path.cwd() / "domain.yml"


class Domain:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.responses: dict[str, list[dict[str, Any]]] = dict(data.get("responses") or {})
        self.intents: list[str] = [
            i if isinstance(i, str) else next(iter(i)) for i in data.get("intents") or []
        ]
        self._titles: dict[str, str] = {}
        for variations in self.responses.values():
            for variation in variations:
                for button in variation.get("buttons") or []:
                    self._titles.setdefault(str(button["payload"]), str(button["title"]))

    @classmethod
    def load(cls, path: Path | None = None) -> Domain:
        with (path or default_domain_path()).open(encoding="utf-8") as f:
            return cls(yaml.safe_load(f))

    def has(self, key: str) -> bool:
        return key in self.responses

    def choice_title(self, payload: str) -> str | None:
        return self._titles.get(payload)

    def variation(self, key: str, channel: str) -> dict[str, Any]:
        variations = self.responses.get(key)
        if not variations:
            raise KeyError(f"domain.yml has no response {key!r}")
        wanted = [channel, "plain"] if channel in PLAIN_CHANNELS else [channel]
        for name in wanted:
            for variation in variations:
                if variation.get("channel") == name:
                    return variation
        for variation in variations:
            if "channel" not in variation:
                return variation
        return variations[0]

    def _fill(self, text: str, params: Mapping[str, str]) -> str:
        values = _Params()
        for name, value in params.items():
            if value.startswith("choice:") and name not in VERBATIM:
                value = self.choice_title(value.removeprefix("choice:")) or value
            values[name] = value
        return text.format_map(values)

    def render(self, message: OutboundMessage, channel: str) -> Rendered:
        texts: list[str] = []
        buttons: list[Button] = []
        rows: list[tuple[Button, ...]] = []
        footer = ""
        is_question = False
        for part in message.parts:
            variation = self.variation(part.key, channel)
            if text := variation.get("text"):
                filled = self._fill(str(text), part.params)
                if part.key == FOOTER_KEY and channel in PLAIN_CHANNELS:
                    footer = filled
                else:
                    texts.append(filled)
            own = [Button(title, payload) for title, payload in part.choices]
            for b in variation.get("buttons") or []:
                title, payload = str(b["title"]), str(b["payload"])
                own.append(Button(self._fill(title, part.params), self._fill(payload, part.params)))
            buttons.extend(own)
            if variation.get("button_type") == INLINE and own:
                rows.append(tuple(own))
            else:
                rows.extend((b,) for b in own)
            is_question = is_question or part.key.startswith(QUESTION_PREFIX)
        nav: tuple[Button, ...] = ()
        if is_question and self.has(NAV_KEY):
            variation = self.variation(NAV_KEY, channel)
            nav = tuple(Button(str(b["title"]), str(b["payload"])) for b in variation["buttons"])
        return Rendered(join_parts(texts), tuple(buttons), nav, tuple(rows), footer)


@cache
def load_default_domain() -> Domain:
    return Domain.load()
