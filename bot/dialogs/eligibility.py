"""Cek kelayakan: one question at a time, then a verdict with every failed or unknown
condition and its clause (Pedoman 2.1; PP 6/2025). Diagram: eligibility.mmd.

The conversation keeps the check in progress, ``{"answers": {slot: value}, "step": str}``.
Answers always form a prefix of the question path, so "back" simply drops the last one. A
finished check is a record (verdict, the answers on its path, the claim deadline), saved with
:class:`SaveEligibility`; at the result steps the dialog reads it back. The wage asked for the
benefit estimate is used once and never stored (UU 27/2022: personal finance is specific
data).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from bot.core.types import Context, Input, OutboundMessage, Say, Turn, combine, say
from bot.dialogs.base import DialogDefaults
from bot.dialogs.questions import UNKNOWN, Problem, Question, read_answer
from bot.records.model import EligibilityQuery, SaveEligibility
from bot.rules.benefit import estimate_benefit
from bot.rules.config import RuleSettings
from bot.rules.eligibility import (
    EXCLUDED_REASONS,
    Answers,
    Assessment,
    Status,
    Verdict,
    assess,
    claim_deadline,
)
from bot.rules.parsing import format_date, format_rupiah

YES_NO = ("yes", "no")

QUESTIONS: tuple[Question, ...] = (
    Question("laid_off", "choice", YES_NO, unknown=True),
    Question(
        "reason", "choice", ("employer", "resign", "disability", "retired", "death"), unknown=True
    ),
    Question("contract", "choice", ("pkwt", "pkwtt"), unknown=True),
    Question("contract_end", "date", unknown=True, days_back=365 * 30, days_ahead=365 * 20),
    Question(
        "phk_date", "date", unknown=True, days_back=365 * 30, days_ahead=366, question_future=True
    ),
    Question("phi_pending", "choice", YES_NO, unknown=True),
    Question("proof_letter", "choice", YES_NO, unknown=True),
    Question("willing", "choice", YES_NO),
    Question("member", "choice", YES_NO, unknown=True),
    Question("citizen", "choice", YES_NO),
    Question("age_ok", "choice", YES_NO, unknown=True),
    Question("contribution_months", "months", unknown=True, maximum=24),
    Question("consecutive_months", "months", unknown=True, maximum=24),
)
BY_SLOT = {q.slot: q for q in QUESTIONS}
WAGE = Question("wage", "rupiah", maximum=1_000_000_000)

RESULT, WAGE_STEP = "result", "wage"


def applicable(slot: str, answers: dict[str, Any]) -> bool:
    """Whether a question belongs on this user's path."""
    if slot == "contract_end":
        return answers.get("contract") == "pkwt"
    return True


def finished_early(answers: dict[str, Any]) -> bool:
    """A definite "no" that no later answer can change: no PHK, or an excluded reason."""
    return answers.get("laid_off") == "no" or answers.get("reason") in EXCLUDED_REASONS


def path(answers: dict[str, Any]) -> list[str]:
    """The slots asked so far, in order."""
    return [q.slot for q in QUESTIONS if q.slot in answers and applicable(q.slot, answers)]


def next_question(answers: dict[str, Any]) -> Question | None:
    if finished_early(answers):
        return None
    for q in QUESTIONS:
        if applicable(q.slot, answers) and q.slot not in answers:
            return q
    return None


def to_answers(answers: dict[str, Any]) -> Answers:
    def as_date(value: Any) -> date | str | None:
        return date.fromisoformat(value) if value not in (None, UNKNOWN) else value

    return Answers(
        laid_off=answers.get("laid_off"),
        reason=answers.get("reason"),
        contract=answers.get("contract"),
        contract_end=as_date(answers.get("contract_end")),
        phk_date=as_date(answers.get("phk_date")),
        phi_pending=answers.get("phi_pending"),
        proof_letter=answers.get("proof_letter"),
        willing=answers.get("willing"),
        member=answers.get("member"),
        citizen=answers.get("citizen"),
        age_ok=answers.get("age_ok"),
        contribution_months=answers.get("contribution_months"),
        consecutive_months=answers.get("consecutive_months"),
    )


def _display(params: dict[str, str]) -> dict[str, str]:
    """Dates as people write them; a reason as the words of its button."""
    shown = dict(params)
    for name in ("contract_end", "phk_date", "deadline"):
        if name in shown:
            shown[name] = format_date(date.fromisoformat(shown[name]))
    if "reason" in shown:
        shown["reason"] = f"choice:reason:{shown['reason']}"
    return shown


def verdict_messages(result: Assessment, rules: RuleSettings) -> tuple[OutboundMessage, ...]:
    """The verdict, each failed / not-yet / unknown condition with its clause, what next."""
    window = next((c for c in result.conditions if c.code == "claim_window"), None)
    head_params = _display(window.params) if window and "deadline" in window.params else {}
    head = Say(f"utter_verdict_{result.verdict}", head_params)
    lines = [
        Say(f"utter_cond_{c.code}_{c.status}", {**_display(c.params), "clause": c.clause})
        for c in result.by_status(Status.FAIL, Status.NOT_YET, Status.UNKNOWN)
    ]
    menu = (
        "utter_result_menu_eligible" if result.verdict is Verdict.ELIGIBLE else "utter_result_menu"
    )
    return (
        combine(head, *lines),
        combine(
            Say(f"utter_next_{result.verdict}", {"window_months": str(rules.claim_window_months)}),
            Say(menu),
        ),
    )


class EligibilityDialog(DialogDefaults):
    """Cek kelayakan (Pedoman 2.1 + PP 6/2025 Pasal 4 and 40)."""

    name = "eligibility"

    def __init__(self, rules: RuleSettings) -> None:
        self.rules = rules

    # -- the record behind the result steps -------------------------------------------
    def _view(self, ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
        """At the result steps, the finished check as the steps expect it."""
        if data.get("step") in (RESULT, WAGE_STEP):
            record = ctx.ask(EligibilityQuery())
            if record is None:
                return {}
            return {**data, "answers": dict(record.answers), "verdict": record.verdict}
        return data

    @staticmethod
    def _kept(turn: Turn) -> Turn:
        """What the conversation keeps: at the result steps the record holds the rest."""
        if turn.data.get("step") in (RESULT, WAGE_STEP):
            return replace(turn, data={"step": turn.data["step"]})
        return turn

    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self._kept(self._start(ctx, self._view(ctx, data)))

    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        return self._kept(self._handle(ctx, self._view(ctx, data), inp))

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self._kept(self._back(ctx, self._view(ctx, data)))

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self._kept(self._reprompt(ctx, self._view(ctx, data)))

    def _ask(self, q: Question, *before: Say) -> OutboundMessage:
        return combine(*before, Say(q.ask_key))

    def _advance(self, ctx: Context, answers: dict[str, Any], *before: Say) -> Turn:
        """Ask the next question, or give the verdict when none is left."""
        q = next_question(answers)
        if q is not None:
            return Turn({"answers": answers, "step": q.slot}, (self._ask(q, *before),))
        # Keep only the answers on the final path (UU 27/2022 Pasal 16: no more than needed).
        kept = {slot: answers[slot] for slot in path(answers)}
        result = assess(to_answers(kept), ctx.today, self.rules)
        messages = verdict_messages(result, self.rules)
        if before:
            messages = (combine(*before), *messages)
        data = {"answers": kept, "step": RESULT, "verdict": str(result.verdict)}
        phk = kept.get("phk_date")
        deadline = (
            claim_deadline(date.fromisoformat(phk), self.rules)
            if isinstance(phk, str) and phk != UNKNOWN
            else None
        )
        return Turn(data, messages, (SaveEligibility(str(result.verdict), kept, deadline),))

    def _start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Begin, or continue at the unanswered question."""
        answers = dict(data.get("answers") or {})
        if not answers or data.get("step") == RESULT:
            return self._advance(ctx, {}, Say("utter_eligibility_intro"))
        return self._advance(ctx, answers, Say("utter_eligibility_resume"))

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """BATAL discards the answers: the next check starts afresh."""
        return Turn({}, (say("utter_cancelled"),), done=True)

    def _reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Repeat the current question (or the result menu)."""
        step = data.get("step")
        if step == WAGE_STEP:
            return Turn(data, (say(WAGE.ask_key),))
        if step == RESULT:
            return Turn(data, (self._result_menu(data),))
        return self._advance(ctx, dict(data.get("answers") or {}))

    def _result_menu(self, data: dict[str, Any]) -> OutboundMessage:
        eligible = data.get("verdict") == Verdict.ELIGIBLE
        return say("utter_result_menu_eligible" if eligible else "utter_result_menu")

    def _back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Drop the last answer and ask that question again."""
        answers = dict(data.get("answers") or {})
        if data.get("step") == WAGE_STEP:
            return Turn({**data, "step": RESULT}, (self._result_menu(data),))
        asked = path(answers)
        if not asked:
            return self._advance(ctx, answers, Say("utter_back_at_start"))
        answers.pop(asked[-1])
        return self._advance(ctx, answers, Say("utter_back_ok"))

    def _handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        step = data.get("step")
        if step == RESULT:
            return self._handle_result(ctx, data, inp)
        if step == WAGE_STEP:
            return self._handle_wage(ctx, data, inp)
        answers = dict(data.get("answers") or {})
        q = next_question(answers)
        if q is None:  # data from an older version: show the verdict again
            return self._advance(ctx, answers)
        answer = read_answer(q, inp, ctx.today)
        if isinstance(answer, Problem):
            return Turn(data, (combine(Say(answer.key, answer.params), Say(q.ask_key)),))
        if q.slot == "consecutive_months" and isinstance(answer, int):
            total = answers.get("contribution_months")
            if isinstance(total, int) and answer > total:
                problem = Say("utter_invalid_consecutive_over_total", {"total": str(total)})
                return Turn(data, (combine(problem, Say(q.ask_key)),))
        answers[q.slot] = answer
        return self._advance(ctx, answers)

    def _handle_result(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        eligible = data.get("verdict") == Verdict.ELIGIBLE
        if inp.choice == "result:estimate" and eligible:
            return Turn({**data, "step": WAGE_STEP}, (say(WAGE.ask_key),))
        if inp.choice == "result:restart":
            return self._advance(ctx, {}, Say("utter_eligibility_intro"))
        problem = "utter_invalid_stale_button" if inp.choice else "utter_invalid_choice"
        return Turn(data, (combine(Say(problem), Say(self._result_menu(data).parts[0].key)),))

    def _handle_wage(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        wage = read_answer(WAGE, inp, ctx.today)
        if isinstance(wage, Problem):
            return Turn(data, (combine(Say(wage.key, wage.params), Say(WAGE.ask_key)),))
        est = estimate_benefit(int(wage), self.rules)
        params = {
            "wage_basis": format_rupiah(est.wage_basis),
            "wage_cap": format_rupiah(self.rules.wage_cap),
            "rate": f"{self.rules.benefit_rate * 100:.0f}",
            "monthly": format_rupiah(est.monthly),
            "months": str(est.months),
            "total": format_rupiah(est.total),
        }
        lines = [Say("utter_estimate", params)]
        if est.capped:
            lines.insert(0, Say("utter_estimate_capped", params))
        answers = data.get("answers") or {}
        phk = answers.get("phk_date")
        if isinstance(phk, str) and phk != UNKNOWN:
            deadline = claim_deadline(date.fromisoformat(phk), self.rules)
            lines.append(Say("utter_estimate_deadline", {"deadline": format_date(deadline)}))
        return Turn({**data, "step": RESULT}, (combine(*lines), self._result_menu(data)))

    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        """Each stored answer, in the words of its button or as typed: the check in
        progress, else the last finished one."""
        answers = data.get("answers")
        if not answers:
            record = ctx.ask(EligibilityQuery())
            answers = record.answers if record else {}
        lines: list[tuple[str, dict[str, str]]] = []
        for slot, value in answers.items():
            q = BY_SLOT.get(slot)
            if q is None:
                continue
            if value == UNKNOWN or q.kind == "choice":
                shown = f"choice:{slot}:{value}"
            elif q.kind == "date":
                shown = format_date(date.fromisoformat(str(value)))
            else:
                shown = str(value)
            lines.append((f"utter_data_{slot}", {"value": shown}))
        return lines
