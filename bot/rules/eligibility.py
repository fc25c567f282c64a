"""Eligibility for the JKP labour-market-information benefit, as one pure function.

Sources (see ../shared/reference): Pedoman Pusat Pasar Kerja 1/543/PK.00.0/III/2024 §2.1
("Pedoman"), PP 37/2021 as amended by PP 6/2025, Permenaker 15/2021 as amended by
Permenaker 2/2025. Each :class:`Condition` carries the clause it comes from.

Interpretations written down here, where the text leaves room:
- "PHK ... harus terjadi sebelum berakhirnya jangka waktu PKWT" (Pedoman 2.1 angka 1): the
  contract's end date is its last day. A PHK on that last day is the contract simply running
  out, so it is *not* before the end; the day before is.
- Claim window (Pasal 40, 6 months under PP 6/2025): the last day to claim is the PHK date plus
  the window in calendar months (clamped to the month's end: 31 Aug + 6 months = 28/29 Feb).
  That day itself is inside the window.
- A PHK date in the future, a dispute still at the PHI, and a PHK letter not yet received all
  make the verdict "not yet" rather than "not eligible": each can still change.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from bot.rules.config import RuleSettings

UNKNOWN = "unknown"
"""The answer "Tidak tahu"."""

YES, NO = "yes", "no"

EXCLUDED_REASONS = frozenset({"resign", "disability", "retired", "death"})
"""Pedoman 2.1 angka 2: resignation, permanent total disability, retirement and death."""

CONTRACT_ENDED = "contract_ended"
"""The reason "my PKWT simply ran out": not a PHK before the contract's end (Pedoman 2.1
angka 1), so as certain an exclusion as the reasons above."""


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_YET = "not_yet"
    UNKNOWN = "unknown"
    NOT_ASKED = "not_asked"


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    NOT_YET = "not_yet"
    CANNOT_TELL = "cannot_tell"


@dataclass(frozen=True)
class Answers:
    """What the user said. ``None`` = not asked; :data:`UNKNOWN` = "Tidak tahu"."""

    laid_off: str | None = None  # yes | no | unknown
    reason: str | None = None  # employer | contract_ended | resign | disability | retired |
    # death | unknown
    contract: str | None = None  # pkwt | pkwtt | unknown
    contract_end: date | str | None = None  # PKWT only
    phk_date: date | str | None = None
    phi_pending: str | None = None  # yes | no | unknown
    proof_letter: str | None = None  # yes | no (not yet) | unknown
    willing: str | None = None  # yes | no | unknown (not sure yet)
    member: str | None = None  # yes | no | unknown (BPJS Ketenagakerjaan + JKN)
    citizen: str | None = None  # yes | no
    age_ok: str | None = None  # yes (under 54 at registration) | no | unknown
    contribution_months: int | str | None = None
    consecutive_months: int | str | None = None


@dataclass(frozen=True)
class Condition:
    code: str
    status: Status
    clause: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    conditions: tuple[Condition, ...]

    def by_status(self, *statuses: Status) -> tuple[Condition, ...]:
        return tuple(c for c in self.conditions if c.status in statuses)


CLAUSES: dict[str, str] = {
    "laid_off": "Pedoman 2.1 angka 1; PP 37/2021 Pasal 19",
    "reason": "Pedoman 2.1 angka 2",
    "contract": "Pedoman 2.1 angka 1",
    "pkwt_before_end": "Pedoman 2.1 angka 1",
    "contract_ended": "Pedoman 2.1 angka 1",
    "phi": "Pedoman 2.1 angka 2",
    "proof_letter": "Pedoman 2.1 angka 1 dan 5; Permenaker 2/2025 Pasal 9",
    "willing": "Pedoman 2.1 angka 3",
    "member": "PP 6/2025 Pasal 4",
    "citizen": "PP 6/2025 Pasal 4",
    "age": "PP 6/2025 Pasal 4",
    "contributions": "Pedoman 2.1 angka 4; PP 37/2021 Pasal 20",
    "consecutive": "Pedoman 2.1 angka 4; PP 37/2021 Pasal 20",
    "claim_window": "PP 37/2021 Pasal 40 sebagaimana diubah PP 6/2025",
}


def add_months(start: date, months: int) -> date:
    """The same day ``months`` calendar months later, clamped to the month's last day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def claim_deadline(phk_date: date, rules: RuleSettings) -> date:
    """Last day of the claim window (PP 37/2021 Pasal 40 as amended by PP 6/2025)."""
    return add_months(phk_date, rules.claim_window_months)


def _yes_no(
    code: str, answer: str | None, *, on_yes: Status = Status.PASS, on_no: Status = Status.FAIL
) -> Condition:
    status = {None: Status.NOT_ASKED, YES: on_yes, NO: on_no}.get(answer, Status.UNKNOWN)
    return Condition(code, status, CLAUSES[code])


def _months(code: str, answer: int | str | None, minimum: int) -> Condition:
    params = {"minimum": str(minimum)}
    if answer is None:
        return Condition(code, Status.NOT_ASKED, CLAUSES[code], params)
    if not isinstance(answer, int):
        return Condition(code, Status.UNKNOWN, CLAUSES[code], params)
    status = Status.PASS if answer >= minimum else Status.FAIL
    return Condition(code, status, CLAUSES[code], {**params, "months": str(answer)})


def _reason(answer: str | None) -> Condition:
    if answer is None:
        return Condition("reason", Status.NOT_ASKED, CLAUSES["reason"])
    if answer == UNKNOWN:
        return Condition("reason", Status.UNKNOWN, CLAUSES["reason"])
    if answer == CONTRACT_ENDED:
        return Condition(CONTRACT_ENDED, Status.FAIL, CLAUSES[CONTRACT_ENDED])
    if answer in EXCLUDED_REASONS:
        return Condition("reason", Status.FAIL, CLAUSES["reason"], {"reason": answer})
    return Condition("reason", Status.PASS, CLAUSES["reason"])


def _contract(a: Answers) -> list[Condition]:
    """PKWT or PKWTT both qualify; a PKWT must be cut before its end (Pedoman 2.1 angka 1)."""
    statuses = {None: Status.NOT_ASKED, "pkwt": Status.PASS, "pkwtt": Status.PASS}
    contract = Condition("contract", statuses.get(a.contract, Status.UNKNOWN), CLAUSES["contract"])
    if a.contract != "pkwt":
        return [contract]
    end, phk = a.contract_end, a.phk_date
    if end is None:
        status = Status.NOT_ASKED
    elif not isinstance(end, date) or not isinstance(phk, date):
        status = Status.UNKNOWN
    else:
        status = Status.PASS if phk < end else Status.FAIL
    params = {"contract_end": end.isoformat()} if isinstance(end, date) else {}
    return [contract, Condition("pkwt_before_end", status, CLAUSES["pkwt_before_end"], params)]


def _claim_window(phk: date | str | None, today: date, rules: RuleSettings) -> Condition:
    clause = CLAUSES["claim_window"]
    base = {"window_months": str(rules.claim_window_months)}
    if phk is None:
        return Condition("claim_window", Status.NOT_ASKED, clause, base)
    if not isinstance(phk, date):
        return Condition("claim_window", Status.UNKNOWN, clause, base)
    deadline = claim_deadline(phk, rules)
    params = {**base, "phk_date": phk.isoformat(), "deadline": deadline.isoformat()}
    if phk > today:
        return Condition("claim_window", Status.NOT_YET, clause, params)
    status = Status.PASS if today <= deadline else Status.FAIL
    return Condition("claim_window", status, clause, params)


def assess(a: Answers, today: date, rules: RuleSettings) -> Assessment:
    """Check every condition; the verdict is the worst status found.

    Any FAIL → not eligible; else any NOT_YET → not yet; else any UNKNOWN or NOT_ASKED →
    cannot tell yet; else eligible.
    """
    conditions = [
        _yes_no("laid_off", a.laid_off),
        _reason(a.reason),
        *_contract(a),
        # A dispute still at the PHI: "belum bisa" (Pedoman 2.1 angka 2).
        _yes_no("phi", a.phi_pending, on_yes=Status.NOT_YET, on_no=Status.PASS),
        _yes_no("proof_letter", a.proof_letter, on_no=Status.NOT_YET),
        _yes_no("willing", a.willing),
        _yes_no("member", a.member),
        _yes_no("citizen", a.citizen),
        _yes_no("age", a.age_ok),
        _months("contributions", a.contribution_months, rules.min_contribution_months),
        _months("consecutive", a.consecutive_months, rules.min_consecutive_months),
        _claim_window(a.phk_date, today, rules),
    ]
    statuses = {c.status for c in conditions}
    if Status.FAIL in statuses:
        verdict = Verdict.NOT_ELIGIBLE
    elif Status.NOT_YET in statuses:
        verdict = Verdict.NOT_YET
    elif statuses & {Status.UNKNOWN, Status.NOT_ASKED}:
        verdict = Verdict.CANNOT_TELL
    else:
        verdict = Verdict.ELIGIBLE
    return Assessment(verdict, tuple(conditions))
