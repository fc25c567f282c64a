"""read_answer: typed dates and wages read back for confirmation instead of guessed
(issue 13, items 6 and 7), the confirmation button accepted for its own question only, and
answers said before the question was asked always read back."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.types import Input
from bot.dialogs.eligibility import BY_SLOT, WAGE
from bot.dialogs.questions import Problem, Question, confirm_payload, read_answer

TODAY = date(2025, 6, 2)
PHK = BY_SLOT["phk_date"]
CONTRACT_END = BY_SLOT["contract_end"]
NAME = Question("pf_full_name", "text", maximum=100)


def answer(q: Question, text: str = "", **kw: object) -> object:
    return read_answer(q, Input(text=text, **kw), TODAY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "value"),
    [("4jt 500rb", 4_500_000), ("empat juta", 4_000_000), ("4.500K", 4_500_000),
     ("4.500.000", 4_500_000), ("Rp 4.500.000,-", 4_500_000), ("4,5 juta", 4_500_000),
     ("empat setengah juta", 4_500_000)],
)  # fmt: skip
def test_clear_wages_are_taken(text: str, value: int) -> None:
    assert answer(WAGE, text) == value


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [("4500", "utter_confirm_rupiah", 4_500_000), ("4,5", "utter_confirm_rupiah", 4_500_000),
     ("Rp4.500", "utter_confirm_rupiah", 4_500_000), ("50rb", "utter_confirm_rupiah_low", 50_000)],
)  # fmt: skip
def test_doubtful_wages_are_read_back(text: str, key: str, value: int) -> None:
    got = answer(WAGE, text)
    assert isinstance(got, Problem) and got.confirms
    assert (got.key, got.params["value"], got.params["slot"]) == (key, str(value), "wage")
    assert got.params["amount"] == f"Rp{value:,}".replace(",", ".")
    # the button comes back as a choice: the value, now taken
    assert answer(WAGE, choice=confirm_payload("wage", value)) == value


def test_a_confirmation_answers_its_own_question_only() -> None:
    assert answer(PHK, choice=confirm_payload("wage", 4_500_000)) == Problem(
        "utter_invalid_stale_button", {}
    )
    assert answer(PHK, choice=confirm_payload("phk_date", "2025-05-03")) == "2025-05-03"
    assert answer(CONTRACT_END, choice=confirm_payload("phk_date", "2025-05-03")) == Problem(
        "utter_invalid_stale_button", {}
    )
    # checked against the range again: an old button cannot smuggle in a wrong date
    assert answer(PHK, choice=confirm_payload("phk_date", "1990-01-01")) == Problem(
        "utter_invalid_date_range", {}
    )
    assert answer(PHK, choice="confirm:phk_date:not-a-date") == Problem(
        "utter_invalid_stale_button", {}
    )
    assert answer(WAGE, choice="confirm:wage:0") == Problem("utter_invalid_stale_button", {})


def test_exact_dates_are_taken() -> None:
    assert answer(PHK, "15-03-2025") == "2025-03-15"
    assert answer(PHK, "15 Maret 2025") == "2025-03-15"
    assert answer(PHK, "4 Juni 2025") == "2025-06-04"  # two days ahead: within the grace


@pytest.mark.parametrize(
    ("text", "key", "value", "extra"),
    [
        ("kemarin", "utter_confirm_date", "2025-06-01", {}),
        ("tgl 3 kemarin", "utter_confirm_date", "2025-05-03", {}),
        ("15 Maret", "utter_confirm_date", "2025-03-15", {}),
        ("Oktober 2024", "utter_confirm_date_span", "2024-10-01", {"when": "Oktober 2024"}),
        ("awal Mei", "utter_confirm_date_span", "2025-05-01",
         {"when": "1 sampai 10 Mei 2025"}),
        ("minggu lalu", "utter_confirm_date_span", "2025-05-26",
         {"when": "26 Mei sampai 1 Juni 2025"}),
        ("3 bulan lalu", "utter_confirm_date_about", "2025-03-02", {}),
        ("sekitar 10 Mei 2025", "utter_confirm_date_about", "2025-05-10", {}),
        ("20 Juni 2025", "utter_confirm_date_future", "2025-06-20", {}),
    ],
)  # fmt: skip
def test_dates_that_need_a_second_look_are_read_back(
    text: str, key: str, value: str, extra: dict[str, str]
) -> None:
    got = answer(PHK, text)
    assert isinstance(got, Problem), got
    assert got.key == key
    assert got.params == {"slot": "phk_date", "value": value,
                          "date": got.params["date"], **extra}  # fmt: skip
    assert answer(PHK, choice=confirm_payload("phk_date", value)) == value


def test_only_questions_that_say_so_question_the_future() -> None:
    assert answer(CONTRACT_END, "30-06-2026") == "2026-06-30"  # a contract end lies ahead
    future = answer(PHK, "30-12-2025")
    assert isinstance(future, Problem) and future.key == "utter_confirm_date_future"


def test_dates_out_of_range_are_refused_before_any_read_back() -> None:
    assert answer(PHK, "Oktober 1980") == Problem("utter_invalid_date_range", {})
    assert answer(PHK, "31 Februari 2025") == Problem("utter_invalid_date_impossible", {})
    assert answer(PHK, "entahlah") == Problem("utter_invalid_date_format", {})


def test_no_to_a_read_back_asks_to_type_again() -> None:
    assert answer(WAGE, "bukan", intent="deny") == Problem("utter_retype", {})
    assert answer(PHK, "bukan", intent="deny") == Problem("utter_retype", {})
    assert answer(PHK, "gatau", intent="dont_know") == "unknown"


def test_what_was_said_before_is_always_read_back() -> None:
    said = answer(PHK, "3 Mei 2025", proposed=True)
    assert isinstance(said, Problem)
    assert (said.key, said.params["value"]) == ("utter_confirm_date_said", "2025-05-03")
    span = answer(PHK, "Oktober 2024", proposed=True)
    assert isinstance(span, Problem) and span.key == "utter_confirm_date_span"
    wage = answer(WAGE, "4.500.000", proposed=True)
    assert isinstance(wage, Problem) and wage.key == "utter_confirm_rupiah"


def test_a_question_is_not_a_name() -> None:
    assert answer(NAME, "Budi Santoso") == "Budi Santoso"
    assert answer(NAME, "kapan batas klaim?") == Problem("utter_invalid_text_question", {})


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("32", "yes"), ("53", "yes"), ("umur 40 tahun", "yes"), ("45 thn", "yes"),
        ("54", "no"), ("60 tahun", "no"),  # PP 6/2025 Pasal 4: under 54 at registration
    ],
)  # fmt: skip
def test_a_typed_age_answers_under_54(text: str, value: str) -> None:
    assert answer(BY_SLOT["age_ok"], text) == value


@pytest.mark.parametrize("text", ["3", "7", "200", "32 kg", "tiga puluh"])
def test_what_is_no_age_is_not_an_answer(text: str) -> None:
    assert answer(BY_SLOT["age_ok"], text) == Problem("utter_invalid_choice", {})
