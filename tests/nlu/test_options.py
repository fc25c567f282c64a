"""nlu/options.yml: the words for the options on screen (issue 13, item 5) — consistent with
domain.yml, never a navigation word, never two options of one question at once, and read
only as whole messages."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.conversation import NAV_INTENTS
from bot.dialogs.questions import INTENT_VALUES
from nlu.data import NLU_DIR, OPTIONS_FILE, option_words
from nlu.interpreter import Interpreter, default_interpreter

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def interpreter() -> Interpreter:
    return default_interpreter()


@pytest.fixture(scope="module")
def words() -> dict[str, tuple[str, ...]]:
    with (NLU_DIR / OPTIONS_FILE).open(encoding="utf-8") as f:
        return option_words(yaml.safe_load(f))


@pytest.fixture(scope="module")
def buttons() -> dict[str, list[tuple[str, str]]]:
    """response key -> (payload, title) of its default variation's buttons."""
    with (ROOT / "domain.yml").open(encoding="utf-8") as f:
        responses: dict[str, Any] = yaml.safe_load(f)["responses"]
    out: dict[str, list[tuple[str, str]]] = {}
    for key, variations in responses.items():
        default = next(v for v in variations if "channel" not in v)
        out[key] = [(str(b["payload"]), str(b["title"])) for b in default.get("buttons") or []]
    return out


def test_every_payload_is_a_button_of_domain_yml(
    words: dict[str, tuple[str, ...]], buttons: dict[str, list[tuple[str, str]]]
) -> None:
    offered = {payload for group in buttons.values() for payload, _ in group}
    assert len(words) > 40
    assert sorted(set(words) - offered) == []


def test_no_words_choose_two_options_of_one_question(
    interpreter: Interpreter,
    words: dict[str, tuple[str, ...]],
    buttons: dict[str, list[tuple[str, str]]],
) -> None:
    """On one screen a word means one option, and never another option's own title."""
    clashes = []
    for key, group in buttons.items():
        payloads = {payload for payload, _ in group}
        by_words: dict[str, set[str]] = defaultdict(set)
        for payload, title in group:
            by_words[interpreter.fold(title)].add(payload)
            for phrase in words.get(payload, ()):
                by_words[interpreter.fold(phrase)].add(payload)
        clashes += [(key, w, sorted(p)) for w, p in by_words.items() if len(p & payloads) > 1]
    assert clashes == []


def test_no_words_are_navigation_words_or_contradict_a_short_answer(
    interpreter: Interpreter, words: dict[str, tuple[str, ...]]
) -> None:
    """The words are read before the navigation words: "menu" must stay the menu. And "ya"
    may not choose a "no"."""
    problems = []
    for payload, phrases in words.items():
        value = payload.rsplit(":", 1)[-1]
        for phrase in phrases:
            intent = interpreter.intent(phrase)
            if intent in NAV_INTENTS:
                problems.append((payload, phrase, intent))
            meant = INTENT_VALUES.get(intent or "")
            if meant and value in INTENT_VALUES.values() and meant != value:
                problems.append((payload, phrase, intent))
    assert problems == []


@pytest.mark.parametrize(
    ("typed", "on_screen", "chosen"),
    [
        ("diberhentikan", "utter_ask_reason", "reason:employer"),
        ("phk", "utter_ask_reason", "reason:employer"),
        ("phk", "utter_ask_laid_off", "laid_off:yes"),
        ("Sy kena PHK kak", "utter_ask_laid_off", "laid_off:yes"),
        ("kontrak", "utter_ask_contract", "contract:pkwt"),
        ("karyawan tetap", "utter_ask_contract", "contract:pkwtt"),
        ("cek kelayakan", "utter_menu", "menu:eligibility"),
        ("profil", "utter_menu", "menu:profile"),
        ("asesmen", "utter_menu", "menu:assessment"),
        ("saya kena phk", "utter_menu", "menu:eligibility"),
        ("daftar pencari kerja", "utter_menu", "menu:jobseeker"),
        ("bikin cv", "utter_menu", "menu:cv"),
        ("cv", "utter_menu", "menu:profile"),
        ("status lamaran", "utter_menu", "menu:portfolio"),
        ("resign", "utter_ask_reason", "reason:resign"),
        ("pensiun", "utter_ask_reason", "reason:retired"),
        ("wni", "utter_ask_citizen", "citizen:yes"),
        ("iya sy wni", "utter_ask_citizen", "citizen:yes"),  # "yes" and a pronoun around it
        ("sy resign", "utter_ask_reason", "reason:resign"),
        ("ga ada", "utter_ask_phi_pending", "phi_pending:no"),
        ("laki laki", "utter_ask_pf_gender", "pf_gender:male"),
        ("slta", "utter_ask_pf_edu_level", "pf_edu_level:sma"),
        # a sentence around the words is not the words
        ("tidak kena phk", "utter_ask_reason", None),
        ("saya tidak diberhentikan", "utter_ask_reason", None),
        # options not on screen are never chosen
        ("kontrak", "utter_ask_reason", None),
        ("cek kelayakan", "utter_ask_contract", None),
    ],
)
def test_the_words_people_use_choose_the_option_on_screen(
    interpreter: Interpreter,
    buttons: dict[str, list[tuple[str, str]]],
    typed: str,
    on_screen: str,
    chosen: str | None,
) -> None:
    offered = [payload for payload, _ in buttons[on_screen]]
    assert interpreter.option(typed, offered) == chosen
