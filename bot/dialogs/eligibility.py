"""Cek kelayakan: one question at a time, then a verdict with every failed or unknown
condition, the rules it rests on, and what to do next (Pedoman 2.1; PP 6/2025). Diagram:
eligibility.mmd.

The quick exclusions come first (PHK at all, its reason, citizenship, age at registration),
and the check stops at the first *certain* exclusion — no PHK, an excluded reason (a contract
that simply ran out included), a foreign national, 54 or older at registration, a PKWT that
ran to its end, a claim window already closed — then offers to check the rest anyway. So an
early "no" is known in at most five messages from the menu.

The conversation keeps the check in progress, ``{"answers": {slot: value}, "step": slot,
"rest": bool, "changing": slot}``. A finished check is a record (verdict, the answers on its
path, the claim deadline), saved with :class:`SaveEligibility`. Reopening the check shows
that record again, assessed for today, with the choice to change one answer, to check the
rest (after an early stop) or to start again (which asks first: the record is replaced only
when the new check finishes). The wage asked for the benefit estimate is used once and never
stored (UU 27/2022: personal finance is specific data).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from bot.core.types import Context, Input, OutboundMessage, Say, Turn, combine, say
from bot.dialogs.base import DialogDefaults
from bot.dialogs.questions import UNKNOWN, Problem, Question, read_answer
from bot.records.model import EligibilityQuery, EligibilityRecord, SaveEligibility
from bot.rules.benefit import estimate_benefit
from bot.rules.config import RuleSettings
from bot.rules.eligibility import (
    Answers,
    Assessment,
    Condition,
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
        "reason",
        "choice",
        ("employer", "contract_ended", "resign", "disability", "retired", "death"),
        unknown=True,
    ),
    Question("citizen", "choice", YES_NO),
    Question("age_ok", "choice", YES_NO, unknown=True, under_age=54),  # PP 6/2025 Pasal 4
    Question("contract", "choice", ("pkwt", "pkwtt"), unknown=True),
    Question("contract_end", "date", unknown=True, days_back=365 * 30, days_ahead=365 * 20),
    Question(
        "phk_date", "date", unknown=True, days_back=365 * 30, days_ahead=366, question_future=True
    ),
    Question("phi_pending", "choice", YES_NO, unknown=True),
    Question("proof_letter", "choice", YES_NO, unknown=True),
    Question("willing", "choice", YES_NO, unknown=True),
    Question("member", "choice", YES_NO, unknown=True),
    Question("contribution_months", "months", unknown=True, maximum=24),
    Question("consecutive_months", "months", unknown=True, maximum=24),
)
BY_SLOT = {q.slot: q for q in QUESTIONS}
WAGE = Question("wage", "rupiah", maximum=1_000_000_000)

# Conditions whose failure no later answer can change: the check stops there.
CERTAIN = frozenset(
    {"laid_off", "reason", "contract_ended", "citizen", "age", "pkwt_before_end", "claim_window"}
)

RESULT, WAGE_STEP, RESTART, CHANGE = "result", "wage", "restart", "change"
RECORD_STEPS = (RESULT, WAGE_STEP, RESTART, CHANGE)  # steps that show the finished check

# DATA: the last finished check, by the verdict it had when it was saved.
VERDICT_DATA = {
    Verdict.ELIGIBLE: "utter_data_verdict_eligible",
    Verdict.NOT_ELIGIBLE: "utter_data_verdict_not_eligible",
    Verdict.NOT_YET: "utter_data_verdict_not_yet",
    Verdict.CANNOT_TELL: "utter_data_verdict_cannot_tell",
}


def applicable(slot: str, answers: dict[str, Any]) -> bool:
    """Whether a question belongs on this user's path."""
    if slot == "contract_end":
        return answers.get("contract") == "pkwt"
    return True


def path(answers: dict[str, Any]) -> list[str]:
    """The slots answered so far that belong on the path, in question order."""
    return [q.slot for q in QUESTIONS if q.slot in answers and applicable(q.slot, answers)]


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


def certainly_excluded(answers: dict[str, Any], today: date, rules: RuleSettings) -> bool:
    """A definite "no" that no later answer can change (see :data:`CERTAIN`)."""
    result = assess(to_answers(answers), today, rules)
    return any(c.status is Status.FAIL and c.code in CERTAIN for c in result.conditions)


def unasked(answers: dict[str, Any]) -> Question | None:
    """The first question on the path not answered yet."""
    return next((q for q in QUESTIONS if applicable(q.slot, answers) and q.slot not in answers),
                None)  # fmt: skip


def next_question(
    answers: dict[str, Any], today: date, rules: RuleSettings, *, rest: bool = False
) -> Question | None:
    """The next question, or None when the verdict is due: every question answered, or a
    certain exclusion found (unless the person asked to check the rest anyway)."""
    if not rest and certainly_excluded(answers, today, rules):
        return None
    return unasked(answers)


def stopped_early(answers: dict[str, Any], today: date, rules: RuleSettings) -> bool:
    """A verdict given at a certain exclusion, with questions left unasked."""
    return unasked(answers) is not None and certainly_excluded(answers, today, rules)


def checked_rest(answers: dict[str, Any], today: date, rules: RuleSettings) -> bool:
    """A finished check that went on past a certain exclusion (the person asked to): going
    back into it keeps asking everything."""
    return unasked(answers) is None and certainly_excluded(answers, today, rules)


def _display(params: dict[str, str]) -> dict[str, str]:
    """Dates as people write them; a reason as the words of its button."""
    shown = dict(params)
    for name in ("contract_end", "phk_date", "deadline"):
        if name in shown:
            shown[name] = format_date(date.fromisoformat(shown[name]))
    if "reason" in shown:
        shown["reason"] = f"choice:reason:{shown['reason']}"
    return shown


def _basis(conditions: tuple[Condition, ...]) -> str:
    """The clauses behind the listed conditions, each once, in order."""
    seen: list[str] = []
    for c in conditions:
        for clause in c.clause.split("; "):
            if clause not in seen:
                seen.append(clause)
    return "; ".join(seen)


def _head(result: Assessment, listed: tuple[Condition, ...], today: date) -> Say:
    window = next((c for c in result.conditions if c.code == "claim_window"), None)
    params = _display(window.params) if window and "deadline" in window.params else {}
    deadline = window.params.get("deadline") if window else None
    if result.verdict is Verdict.ELIGIBLE and deadline == today.isoformat():
        return Say("utter_verdict_eligible_today", params)
    if result.verdict is Verdict.NOT_YET and window and [c.code for c in listed] == [window.code]:
        # Only the PHK date is still to come: the claim can be made from that day.
        return Say("utter_verdict_not_yet_from", params)
    return Say(f"utter_verdict_{result.verdict}", params)


def result_menu(result: Assessment, early: bool) -> OutboundMessage:
    """What next: the estimate (eligible), the rest of the check (after an early stop),
    change an answer, start again, the menu."""
    if result.verdict is Verdict.ELIGIBLE:
        first = "utter_result_menu_eligible"
    elif early:
        first = "utter_result_menu_early"
    else:
        first = "utter_result_menu"
    return combine(Say(first), Say("utter_result_options"))


def verdict_messages(
    result: Assessment, rules: RuleSettings, today: date, *, early: bool = False
) -> tuple[OutboundMessage, ...]:
    """The verdict, each failed / not-yet / unknown condition in plain words, the rules it
    rests on on one line, what to do next, and the choices."""
    listed = result.by_status(Status.FAIL, Status.NOT_YET, Status.UNKNOWN)
    lines = [Say(f"utter_cond_{c.code}_{c.status}", _display(c.params)) for c in listed]
    basis_of = listed or tuple(c for c in result.conditions if c.code == "claim_window")
    basis = [Say("utter_verdict_basis", {"clause": _basis(basis_of)})] if basis_of else []
    return (
        combine(_head(result, listed, today), *lines, *basis),
        combine(
            Say(f"utter_next_{result.verdict}", {"window_months": str(rules.claim_window_months)}),
            *result_menu(result, early).parts,
        ),
    )


def _local_date(moment: datetime, ctx: Context) -> date:
    return moment.astimezone(ctx.now.tzinfo).date() if moment.tzinfo else moment.date()


def answer_lines(answers: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """Each answer in the words of its button, or as typed (dates as people write them)."""
    lines: list[tuple[str, dict[str, str]]] = []
    for slot in path(answers):
        q, value = BY_SLOT[slot], answers[slot]
        if value == UNKNOWN or q.kind == "choice":
            shown = f"choice:{slot}:{value}"
        elif q.kind == "date":
            shown = format_date(date.fromisoformat(str(value)))
        else:
            shown = str(value)
        lines.append((f"utter_data_{slot}", {"value": shown}))
    return lines


class EligibilityDialog(DialogDefaults):
    """Cek kelayakan (Pedoman 2.1 + PP 6/2025 Pasal 4 and 40)."""

    name = "eligibility"

    def __init__(self, rules: RuleSettings) -> None:
        self.rules = rules

    # -- the record behind the result steps -------------------------------------------
    def _view(self, ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
        """A check in progress as it is; otherwise the last finished check (if any) as the
        result steps expect it: its answers and the date it was made (``checked``)."""
        if data.get("step") in BY_SLOT:  # a check in progress
            return data
        record: EligibilityRecord | None = ctx.ask(EligibilityQuery())
        if record is None:
            return {} if data.get("step") in RECORD_STEPS else data
        checked = _local_date(record.checked_at, ctx).isoformat()
        return {**data, "answers": dict(record.answers), "checked": checked}

    @staticmethod
    def _kept(turn: Turn) -> Turn:
        """What the conversation keeps: at the result steps the record holds the rest."""
        if turn.data.get("step") in RECORD_STEPS:
            return replace(turn, data={"step": turn.data["step"]})
        return replace(turn, data={k: v for k, v in turn.data.items() if k != "checked"})

    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self._kept(self._start(ctx, self._view(ctx, data)))

    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        return self._kept(self._handle(ctx, self._view(ctx, data), inp))

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self._kept(self._back(ctx, self._view(ctx, data)))

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self._kept(self._reprompt(ctx, self._view(ctx, data)))

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """BATAL discards the check in progress; a finished check stays."""
        kept = ctx.ask(EligibilityQuery()) is not None
        return Turn({}, (say("utter_eligibility_cancelled" if kept else "utter_cancelled"),),
                    done=True)  # fmt: skip

    # -- prompts ----------------------------------------------------------------------
    def _assess(self, ctx: Context, answers: dict[str, Any]) -> Assessment:
        return assess(to_answers(answers), ctx.today, self.rules)

    def _current(self, ctx: Context, data: dict[str, Any]) -> Question | None:
        """The question open now: the one being changed, else the next one."""
        answers = data.get("answers") or {}
        step = data.get("step")
        if step in BY_SLOT and step not in answers and applicable(step, answers):
            return BY_SLOT[step]
        return next_question(answers, ctx.today, self.rules, rest=bool(data.get("rest")))

    def _result(self, ctx: Context, data: dict[str, Any]) -> OutboundMessage:
        answers = data.get("answers") or {}
        early = stopped_early(answers, ctx.today, self.rules)
        return result_menu(self._assess(ctx, answers), early)

    def _change_list(self, data: dict[str, Any]) -> OutboundMessage:
        answers = data.get("answers") or {}
        return combine(
            Say("utter_ask_change_answer"), *(Say(f"utter_change_{s}") for s in path(answers))
        )

    def _advance(self, ctx: Context, data: dict[str, Any], *before: Say) -> Turn:
        """Ask the open question, or give the verdict when none is left."""
        answers = dict(data.get("answers") or {})
        rest = bool(data.get("rest"))
        q = self._current(ctx, data)
        if q is not None:
            kept = {"answers": answers, "step": q.slot, **({"rest": True} if rest else {})}
            if data.get("changing"):
                kept["changing"] = data["changing"]
            return Turn(kept, (combine(*before, Say(q.ask_key)),))
        # Keep only the answers on the final path (UU 27/2022 Pasal 16: no more than needed).
        kept_answers = {slot: answers[slot] for slot in path(answers)}
        result = self._assess(ctx, kept_answers)
        early = stopped_early(kept_answers, ctx.today, self.rules)
        messages = verdict_messages(result, self.rules, ctx.today, early=early)
        if before:
            messages = (combine(*before), *messages)
        phk = kept_answers.get("phk_date")
        deadline = (
            claim_deadline(date.fromisoformat(phk), self.rules)
            if isinstance(phk, str) and phk != UNKNOWN
            else None
        )
        effect = SaveEligibility(str(result.verdict), kept_answers, deadline)
        return Turn({"step": RESULT}, messages, (effect,))

    # -- protocol ---------------------------------------------------------------------
    def _start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Continue a check in progress, show the last finished one, or begin."""
        if "checked" in data:
            result = self._assess(ctx, data["answers"])
            early = stopped_early(data["answers"], ctx.today, self.rules)
            first, *rest = verdict_messages(result, self.rules, ctx.today, early=early)
            when = format_date(date.fromisoformat(data["checked"]))
            intro = Say("utter_eligibility_last", {"checked": when})
            return Turn({"step": RESULT}, (combine(intro, *first.parts), *rest))
        if data.get("step") in BY_SLOT:
            return self._advance(ctx, data, Say("utter_eligibility_resume"))
        return self._advance(ctx, {}, Say("utter_eligibility_intro"))

    def _reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Repeat the current question (or the result menu)."""
        step = data.get("step")
        if step == WAGE_STEP:
            return Turn(data, (say(WAGE.ask_key),))
        if step == RESULT:
            return Turn(data, (self._result(ctx, data),))
        if step == RESTART:
            return Turn(data, (say("utter_ask_restart_check"),))
        if step == CHANGE:
            return Turn(data, (self._change_list(data),))
        return self._advance(ctx, data)

    def _back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Drop the last answer and ask that question again (from the estimate, the
        restart question or a change: back to the result)."""
        step = data.get("step")
        if step in (WAGE_STEP, RESTART, CHANGE):
            return Turn({**data, "step": RESULT}, (self._result(ctx, data),))
        if data.get("changing"):
            return Turn({"step": CHANGE}, (self._change_list(self._view(ctx, {"step": CHANGE})),))
        answers = dict(data.get("answers") or {})
        asked = path(answers)
        if not asked:
            return self._advance(ctx, {"answers": answers}, Say("utter_back_at_start"))
        rest = bool(data.get("rest")) or (
            step == RESULT and checked_rest(answers, ctx.today, self.rules)
        )
        answers.pop(asked[-1])
        return self._advance(
            ctx, {"answers": answers, **({"rest": True} if rest else {})}, Say("utter_back_ok")
        )

    def _handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        step = data.get("step")
        if step == RESULT:
            return self._handle_result(ctx, data, inp)
        if step == WAGE_STEP:
            return self._handle_wage(ctx, data, inp)
        if step == RESTART:
            return self._handle_restart(ctx, data, inp)
        if step == CHANGE:
            return self._handle_change(ctx, data, inp)
        answers = dict(data.get("answers") or {})
        q = self._current(ctx, data)
        if q is None:  # data from an older version: show the verdict again
            return self._advance(ctx, data)
        answer = read_answer(q, inp, ctx.today)
        if isinstance(answer, Problem):
            return Turn(data, (combine(Say(answer.key, answer.params), Say(q.ask_key)),))
        if q.slot == "consecutive_months" and isinstance(answer, int):
            total = answers.get("contribution_months")
            if isinstance(total, int) and answer > total:
                problem = Say("utter_invalid_consecutive_over_total", {"total": str(total)})
                return Turn(data, (combine(problem, Say(q.ask_key)),))
        answers[q.slot] = answer
        rest = {"rest": True} if data.get("rest") else {}
        return self._advance(ctx, {"answers": answers, **rest})

    def _handle_result(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        answers = dict(data.get("answers") or {})
        result = self._assess(ctx, answers)
        if inp.choice == "result:estimate" and result.verdict is Verdict.ELIGIBLE:
            return Turn({**data, "step": WAGE_STEP}, (say(WAGE.ask_key),))
        if inp.choice == "result:rest" and stopped_early(answers, ctx.today, self.rules):
            return self._advance(ctx, {"answers": answers, "rest": True},
                                 Say("utter_eligibility_rest"))  # fmt: skip
        if inp.choice == "result:change" and path(answers):
            return Turn({**data, "step": CHANGE}, (self._change_list(data),))
        if inp.choice == "result:restart":
            return Turn({**data, "step": RESTART}, (say("utter_ask_restart_check"),))
        problem = "utter_invalid_stale_button" if inp.choice else "utter_invalid_choice"
        return Turn(data, (combine(Say(problem), *self._result(ctx, data).parts),))

    def _handle_restart(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        """A new check replaces the last one only when it is finished."""
        if inp.choice == "restart:yes" or (inp.intent == "affirm" and not inp.choice):
            return self._advance(ctx, {}, Say("utter_eligibility_intro"))
        if inp.choice == "restart:no" or (inp.intent == "deny" and not inp.choice):
            return Turn({**data, "step": RESULT}, (self._result(ctx, data),))
        problem = "utter_invalid_stale_button" if inp.choice else "utter_invalid_choice"
        return Turn(data, (combine(Say(problem), Say("utter_ask_restart_check")),))

    def _handle_change(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        """Ask one answered question again; the others are kept."""
        answers = dict(data.get("answers") or {})
        slot = inp.choice.removeprefix("change:") if inp.choice else ""
        if inp.choice and inp.choice.startswith("change:") and slot in path(answers):
            rest = checked_rest(answers, ctx.today, self.rules)
            del answers[slot]
            changing: dict[str, Any] = {"answers": answers, "step": slot, "changing": slot}
            if rest:
                changing["rest"] = True
            return self._advance(ctx, changing, Say("utter_back_ok"))
        problem = "utter_invalid_stale_button" if inp.choice else "utter_invalid_choice"
        return Turn(data, (combine(Say(problem), *self._change_list(data).parts),))

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
            key = "utter_estimate_deadline_today" if deadline == ctx.today else (
                "utter_estimate_deadline"
            )  # fmt: skip
            lines.append(Say(key, {"deadline": format_date(deadline)}))
        return Turn({**data, "step": RESULT}, (combine(*lines), self._result(ctx, data)))

    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        """The last finished check (its verdict then, its deadline, every answer) and a
        check in progress, each answer in the words of its button or as typed."""
        record: EligibilityRecord | None = ctx.ask(EligibilityQuery())
        lines: list[tuple[str, dict[str, str]]] = []
        if record is not None:
            deadline = format_date(record.claim_deadline) if record.claim_deadline else ""
            params = {"checked": format_date(_local_date(record.checked_at, ctx)),
                      "deadline": deadline}  # fmt: skip
            lines.append((VERDICT_DATA[Verdict(record.verdict)], params))
            if deadline and record.verdict != Verdict.ELIGIBLE:
                lines.append(("utter_data_claim_deadline", params))
            lines.extend(answer_lines(dict(record.answers)))
        in_progress = data.get("answers") if data.get("step") not in RECORD_STEPS else None
        if in_progress:
            lines.append(("utter_data_eligibility_draft", {}))
            lines.extend(answer_lines(dict(in_progress)))
        if lines:
            lines.append(("utter_data_eligibility_how", {}))
        return lines
