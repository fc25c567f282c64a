"""Eligibility, condition by condition, at every boundary (Pedoman 2.1; PP 6/2025)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.rules.config import RuleSettings
from bot.rules.eligibility import (
    UNKNOWN,
    Answers,
    Status,
    Verdict,
    add_months,
    assess,
    claim_deadline,
)

RULES = RuleSettings()
TODAY = date(2025, 6, 2)
PHK = date(2025, 3, 15)

ELIGIBLE = Answers(
    laid_off="yes",
    reason="employer",
    contract="pkwtt",
    phk_date=PHK,
    phi_pending="no",
    proof_letter="yes",
    willing="yes",
    member="yes",
    citizen="yes",
    age_ok="yes",
    contribution_months=12,
    consecutive_months=6,
)


def status_of(answers: Answers, code: str, today: date = TODAY) -> Status:
    result = assess(answers, today, RULES)
    return next(c.status for c in result.conditions if c.code == code)


def test_all_conditions_met_is_eligible() -> None:
    result = assess(ELIGIBLE, TODAY, RULES)
    assert result.verdict is Verdict.ELIGIBLE
    assert {c.status for c in result.conditions} == {Status.PASS}


# (change, condition code, expected status, expected verdict)
CASES = [
    # Pedoman 2.1 angka 1: laid off at all
    ({"laid_off": "no"}, "laid_off", Status.FAIL, Verdict.NOT_ELIGIBLE),
    ({"laid_off": UNKNOWN}, "laid_off", Status.UNKNOWN, Verdict.CANNOT_TELL),
    # Pedoman 2.1 angka 2: excluded reasons
    ({"reason": "resign"}, "reason", Status.FAIL, Verdict.NOT_ELIGIBLE),
    ({"reason": "disability"}, "reason", Status.FAIL, Verdict.NOT_ELIGIBLE),
    ({"reason": "retired"}, "reason", Status.FAIL, Verdict.NOT_ELIGIBLE),
    ({"reason": "death"}, "reason", Status.FAIL, Verdict.NOT_ELIGIBLE),
    ({"reason": UNKNOWN}, "reason", Status.UNKNOWN, Verdict.CANNOT_TELL),
    # Pedoman 2.1 angka 1: a PKWT that simply ran out is not a PHK before its end
    ({"reason": "contract_ended"}, "contract_ended", Status.FAIL, Verdict.NOT_ELIGIBLE),
    # Pedoman 2.1 angka 1: PKWT or PKWTT
    ({"contract": "pkwtt"}, "contract", Status.PASS, Verdict.ELIGIBLE),
    ({"contract": UNKNOWN}, "contract", Status.UNKNOWN, Verdict.CANNOT_TELL),
    # Pedoman 2.1 angka 1: a PKWT must be cut before its end
    ({"contract": "pkwt", "contract_end": date(2025, 3, 16)}, "pkwt_before_end", Status.PASS,
     Verdict.ELIGIBLE),
    ({"contract": "pkwt", "contract_end": PHK}, "pkwt_before_end", Status.FAIL,
     Verdict.NOT_ELIGIBLE),  # PHK on the contract's last day: it simply ran out
    ({"contract": "pkwt", "contract_end": date(2025, 3, 14)}, "pkwt_before_end", Status.FAIL,
     Verdict.NOT_ELIGIBLE),
    ({"contract": "pkwt", "contract_end": UNKNOWN}, "pkwt_before_end", Status.UNKNOWN,
     Verdict.CANNOT_TELL),
    ({"contract": "pkwt", "contract_end": date(2025, 12, 31), "phk_date": UNKNOWN},
     "pkwt_before_end", Status.UNKNOWN, Verdict.CANNOT_TELL),
    # Pedoman 2.1 angka 2: a dispute at the PHI means "not yet"
    ({"phi_pending": "yes"}, "phi", Status.NOT_YET, Verdict.NOT_YET),
    ({"phi_pending": UNKNOWN}, "phi", Status.UNKNOWN, Verdict.CANNOT_TELL),
    # Pedoman 2.1 angka 1 and 5: the PHK letter
    ({"proof_letter": "no"}, "proof_letter", Status.NOT_YET, Verdict.NOT_YET),
    ({"proof_letter": UNKNOWN}, "proof_letter", Status.UNKNOWN, Verdict.CANNOT_TELL),
    # Pedoman 2.1 angka 3: willing to work again
    ({"willing": "no"}, "willing", Status.FAIL, Verdict.NOT_ELIGIBLE),
    ({"willing": UNKNOWN}, "willing", Status.UNKNOWN, Verdict.CANNOT_TELL),
    # PP 6/2025 Pasal 4: membership, citizenship, age at registration
    ({"member": "no"}, "member", Status.FAIL, Verdict.NOT_ELIGIBLE),
    ({"member": UNKNOWN}, "member", Status.UNKNOWN, Verdict.CANNOT_TELL),
    ({"citizen": "no"}, "citizen", Status.FAIL, Verdict.NOT_ELIGIBLE),
    ({"age_ok": "no"}, "age", Status.FAIL, Verdict.NOT_ELIGIBLE),
    ({"age_ok": UNKNOWN}, "age", Status.UNKNOWN, Verdict.CANNOT_TELL),
    # Pedoman 2.1 angka 4: 12 of 24 months, 6 consecutive
    ({"contribution_months": 12}, "contributions", Status.PASS, Verdict.ELIGIBLE),
    ({"contribution_months": 11}, "contributions", Status.FAIL, Verdict.NOT_ELIGIBLE),
    ({"contribution_months": 24}, "contributions", Status.PASS, Verdict.ELIGIBLE),
    ({"contribution_months": 0}, "contributions", Status.FAIL, Verdict.NOT_ELIGIBLE),
    ({"contribution_months": UNKNOWN}, "contributions", Status.UNKNOWN, Verdict.CANNOT_TELL),
    ({"consecutive_months": 6}, "consecutive", Status.PASS, Verdict.ELIGIBLE),
    ({"consecutive_months": 5}, "consecutive", Status.FAIL, Verdict.NOT_ELIGIBLE),
    ({"consecutive_months": UNKNOWN}, "consecutive", Status.UNKNOWN, Verdict.CANNOT_TELL),
    # PP 6/2025 (Pasal 40): claim within 6 months of the PHK
    ({"phk_date": date(2024, 12, 2)}, "claim_window", Status.PASS, Verdict.ELIGIBLE),  # last day
    ({"phk_date": date(2024, 12, 1)}, "claim_window", Status.FAIL, Verdict.NOT_ELIGIBLE),
    ({"phk_date": TODAY}, "claim_window", Status.PASS, Verdict.ELIGIBLE),
    ({"phk_date": date(2025, 6, 3)}, "claim_window", Status.NOT_YET, Verdict.NOT_YET),
    ({"phk_date": UNKNOWN}, "claim_window", Status.UNKNOWN, Verdict.CANNOT_TELL),
]  # fmt: skip


@pytest.mark.parametrize(("change", "code", "status", "verdict"), CASES)
def test_condition(change: dict[str, object], code: str, status: Status, verdict: Verdict) -> None:
    answers = replace(ELIGIBLE, **change)  # type: ignore[arg-type]
    result = assess(answers, TODAY, RULES)
    assert status_of(answers, code) is status
    assert result.verdict is verdict
    if verdict is not Verdict.ELIGIBLE:
        flagged = {c.code for c in result.by_status(Status.FAIL, Status.NOT_YET, Status.UNKNOWN)}
        assert code in flagged


def test_every_condition_cites_a_clause() -> None:
    for c in assess(ELIGIBLE, TODAY, RULES).conditions:
        assert "Pasal" in c.clause or "Pedoman" in c.clause, c


def test_fail_outweighs_not_yet_and_unknown() -> None:
    answers = replace(ELIGIBLE, willing="no", phi_pending="yes", member=UNKNOWN)
    result = assess(answers, TODAY, RULES)
    assert result.verdict is Verdict.NOT_ELIGIBLE
    assert [c.code for c in result.by_status(Status.FAIL)] == ["willing"]
    assert [c.code for c in result.by_status(Status.NOT_YET)] == ["phi"]
    assert [c.code for c in result.by_status(Status.UNKNOWN)] == ["member"]


def test_not_yet_outweighs_unknown() -> None:
    answers = replace(ELIGIBLE, proof_letter="no", member=UNKNOWN)
    assert assess(answers, TODAY, RULES).verdict is Verdict.NOT_YET


def test_unasked_questions_do_not_pass() -> None:
    result = assess(Answers(laid_off="yes"), TODAY, RULES)
    assert result.verdict is Verdict.CANNOT_TELL
    assert status_of(Answers(laid_off="yes"), "willing") is Status.NOT_ASKED


def test_pkwt_rule_only_for_pkwt() -> None:
    codes = [c.code for c in assess(ELIGIBLE, TODAY, RULES).conditions]
    assert "pkwt_before_end" not in codes
    pkwt = replace(ELIGIBLE, contract="pkwt", contract_end=date(2026, 1, 1))
    assert "pkwt_before_end" in [c.code for c in assess(pkwt, TODAY, RULES).conditions]


def test_claim_window_is_a_setting() -> None:
    three_months = RuleSettings(claim_window_months=3)
    answers = replace(ELIGIBLE, phk_date=date(2025, 3, 1))
    assert assess(answers, TODAY, RULES).verdict is Verdict.ELIGIBLE
    assert assess(answers, TODAY, three_months).verdict is Verdict.NOT_ELIGIBLE


def test_contribution_minimums_are_settings() -> None:
    stricter = RuleSettings(min_contribution_months=13, min_consecutive_months=7)
    result = assess(ELIGIBLE, TODAY, stricter)
    assert {c.code for c in result.by_status(Status.FAIL)} == {"contributions", "consecutive"}


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 3, 15), 6, date(2025, 9, 15)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),  # clamped to February's end
        (date(2023, 8, 31), 6, date(2024, 2, 29)),  # leap year
        (date(2025, 7, 31), 6, date(2026, 1, 31)),  # across the year
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_claim_deadline_last_day_inclusive() -> None:
    deadline = claim_deadline(PHK, RULES)
    assert deadline == date(2025, 9, 15)
    on_deadline = assess(ELIGIBLE, deadline, RULES)
    day_after = assess(ELIGIBLE, date(2025, 9, 16), RULES)
    assert on_deadline.verdict is Verdict.ELIGIBLE
    assert day_after.verdict is Verdict.NOT_ELIGIBLE
