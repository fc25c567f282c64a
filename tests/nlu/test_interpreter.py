"""nlu/nlu.yml and its interpreter: valid Rasa 3.x NLU data, informal Bahasa Indonesia
understood, nothing guessed, and the same intents as domain.yml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pykwalify.errors import SchemaError

from bot.core.conversation import NAV_INTENTS
from bot.core.domain import Domain
from bot.dialogs.assessment import ENOUGH
from bot.dialogs.questions import INTENT_VALUES
from bot.testing.rasa_schema import rasa_validate as validate_against_rasa
from nlu.interpreter import NLU_PATH, Interpreter, _examples, default_interpreter

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT.parent / "shared" / "rasa-schemas"
DOMAIN_PATH = ROOT / "domain.yml"


def _load_yaml(file: Path) -> Any:
    with file.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def nlu_data() -> dict[str, Any]:
    data = _load_yaml(NLU_PATH)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def interpreter() -> Interpreter:
    return default_interpreter()


# -- Rasa's own schema --------------------------------------------------------------------
def rasa_validate(data: Any, main_schema: str) -> None:
    if not SCHEMAS.is_dir():
        pytest.skip(f"{SCHEMAS}: ../shared/rasa-schemas not present: Rasa schema check skipped")
    validate_against_rasa(data, SCHEMAS, main_schema)


def test_nlu_is_valid_rasa(nlu_data: dict[str, Any]) -> None:
    rasa_validate(nlu_data, "nlu.yml")


@pytest.mark.parametrize(
    "broken",
    [
        {"intent": ["affirm"], "examples": "- x\n"},  # intent name not a string
        {"intent": "affirm", "examples": 42},  # examples neither a block nor a list
        {"intent": "affirm", "exmples": "- x\n"},  # typo
    ],
    ids=["intent-not-a-string", "examples-not-text", "unknown-key"],
)
def test_rasa_schema_check_rejects_broken_items(
    nlu_data: dict[str, Any], broken: dict[str, Any]
) -> None:
    with pytest.raises(SchemaError):
        rasa_validate({**nlu_data, "nlu": [*nlu_data["nlu"], broken]}, "nlu.yml")


# -- what users type ----------------------------------------------------------------------
LONG_TEXTS = [
    "x" * 5000,
    ("tidak tahu " * 500)[:5000],  # starts like an answer, but is not one
    ("menu " * 1000)[:5000],
]

CASES: list[tuple[str, str | None]] = [
    ("iya kak", "affirm"),
    ("Iyaaa", "affirm"),
    ("ya", "affirm"),
    ("udah", "affirm"),
    ("oke kak", "affirm"),
    ("Setuju", "affirm"),
    ("gak", "deny"),
    ("Gak kak", "deny"),
    ("blm", "deny"),
    ("tidak setuju", "deny"),
    ("ga tau", "dont_know"),
    ("gatau kak", "dont_know"),
    ("nggak tahu", "dont_know"),
    ("tdk tau", "dont_know"),
    ("TIDAK TAHU", "dont_know"),
    ("Ga tau kak 🙏", "dont_know"),
    ("belum tau", "dont_know"),
    ("/menu@jkp_test_bot", "menu"),
    ("MENU", "menu"),
    ("menu utama", "menu"),
    ("/start@jkp_test_bot", "start"),
    ("kembali", "back"),
    ("batal", "cancel"),
    ("gak jadi", "cancel"),
    ("bantuan", "help"),
    ("/bantuan@jkp_test_bot", "help"),
    ("petugas", "human"),
    ("STOP", "stop"),
    ("Stop!", "stop"),
    ("mulai", "resume"),
    ("data saya", "my_data"),
    ("hapus data", "delete_data"),
    # Knowing is not "don't know"; free text is not guessed at.
    ("tahu", None),
    ("tau", None),
    ("sudah tahu", None),
    ("saya mau kerja", None),
    ("", None),
    ("   ", None),
    *((text, None) for text in LONG_TEXTS),
    ("🙂", None),
    # polite "ya" + particle, doubled letters, two words meaning the same
    ("ya kak", "affirm"),
    ("ya bu", "affirm"),
    ("gatauu", "dont_know"),
    ("okee", "affirm"),
    ("iya, betul", "affirm"),
    ("gatau ya kak", "dont_know"),
]


def _case_id(text: str) -> str:
    return f"{text[:20]}...({len(text)})" if len(text) > 30 else repr(text)


@pytest.mark.parametrize(("text", "intent"), CASES, ids=[_case_id(t) for t, _ in CASES])
def test_intent(interpreter: Interpreter, text: str, intent: str | None) -> None:
    assert interpreter.intent(text) == intent


def test_every_example_means_its_own_intent(
    nlu_data: dict[str, Any], interpreter: Interpreter
) -> None:
    """No example is shadowed by another intent's example after folding."""
    wrong = [
        (item["intent"], example, interpreter.intent(example))
        for item in nlu_data["nlu"]
        if "intent" in item
        for example in _examples(item["examples"])
        if interpreter.intent(example) != item["intent"]
    ]
    assert wrong == []


# -- the same intents everywhere ----------------------------------------------------------
def test_nlu_intents_match_domain_intents(nlu_data: dict[str, Any]) -> None:
    nlu_intents = [item["intent"] for item in nlu_data["nlu"] if "intent" in item]
    domain_intents = Domain(_load_yaml(DOMAIN_PATH)).intents
    assert len(nlu_intents) == len(set(nlu_intents)), "an intent listed twice in nlu.yml"
    assert len(domain_intents) == len(set(domain_intents)), "an intent listed twice in domain"
    assert sorted(set(nlu_intents) - set(domain_intents)) == [], "missing from domain.yml"
    assert sorted(set(domain_intents) - set(nlu_intents)) == [], "no examples in nlu.yml"


def test_code_reacts_to_exactly_the_nlu_intents(nlu_data: dict[str, Any]) -> None:
    nlu_intents = {item["intent"] for item in nlu_data["nlu"] if "intent" in item}
    assert set(NAV_INTENTS) | set(INTENT_VALUES) | {ENOUGH} == nlu_intents
