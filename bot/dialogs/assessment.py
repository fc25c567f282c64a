"""Asesmen diri (Pedoman 3.4): 1–3 previous jobs, exactly 3 desired jobs, the interest
inventory, then the three best-matching job groups. Diagram: assessment.mmd.

The conversation keeps the attempt in progress: ``{"step", "previous": [titles], "desired":
[titles], "offered": [titles], "answers": {item: 1-5}}``. Finished results are records
(:class:`SaveAssessment`); the steps see them as ``results``. Opening the assessment again
shows the last result (all three groups with their match) with "Ulangi asesmen"; an attempt
in progress survives MENU and restarts; BATAL drops it but keeps earlier results; a retake
adds a new result. The
item answers are not kept once the result is computed (only the six interest scores are).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from bot.core.types import Context, Input, OutboundMessage, Say, Turn, combine, say
from bot.dialogs.base import DialogDefaults
from bot.dialogs.picking import Chosen, NotFound, Offer, Retype, read_pick
from bot.knowledge.catalog import RIASEC, catalog
from bot.knowledge.scoring import interest_scores, match_groups
from bot.knowledge.search import occupations
from bot.records.model import AssessmentRecord, AssessmentsQuery, SaveAssessment
from bot.rules.parsing import NUMBER_WORDS, format_date

PREVIOUS, PREVIOUS_PICK, PREVIOUS_MORE = "previous", "previous_pick", "previous_more"
DESIRED, DESIRED_PICK = "desired", "desired_pick"
ITEMS, RESULT = "items", "result"
MAX_PREVIOUS, DESIRED_COUNT = 3, 3
ENOUGH = "enough"  # the NLU intent for "cukup / tidak ada lagi"
IN_PROGRESS = (PREVIOUS, PREVIOUS_PICK, PREVIOUS_MORE, DESIRED, DESIRED_PICK, ITEMS)


def _fresh(results: list[Any]) -> dict[str, Any]:
    return {"step": PREVIOUS, "previous": [], "desired": [], "offered": [], "answers": {},
            "results": results}  # fmt: skip


class AssessmentDialog(DialogDefaults):
    """Asesmen diri: jobs, interests, result."""

    name = "assessment"

    # -- the records behind the steps -------------------------------------------------
    @staticmethod
    def _view(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
        results = [r.to_data() for r in ctx.ask(AssessmentsQuery())]
        return {**data, "results": results}

    @staticmethod
    def _kept(turn: Turn) -> Turn:
        data = {k: v for k, v in turn.data.items() if k != "results"}
        if data.get("step") == RESULT:
            data = {"step": RESULT}
        return replace(turn, data=data)

    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self._kept(self._start(ctx, self._view(ctx, data)))

    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        return self._kept(self._handle(ctx, self._view(ctx, data), inp))

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self._kept(self._back(ctx, self._view(ctx, data)))

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self._kept(self._reprompt(ctx, self._view(ctx, data)))

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self._kept(self._cancel(ctx, self._view(ctx, data)))

    # -- prompts ----------------------------------------------------------------------
    def _prompt(self, data: dict[str, Any]) -> OutboundMessage:
        step = data["step"]
        if step in (PREVIOUS, PREVIOUS_PICK):
            return say("utter_ask_previous_job", n=str(len(data["previous"]) + 1))
        if step == PREVIOUS_MORE:
            return say("utter_ask_previous_more", count=str(len(data["previous"])))
        if step in (DESIRED, DESIRED_PICK):
            return say("utter_ask_desired_job", n=str(len(data["desired"]) + 1))
        if step == ITEMS:
            return self._item_prompt(data)
        return self._result(data["results"][-1]) if data.get("results") else say("utter_menu")

    def _item_prompt(self, data: dict[str, Any]) -> OutboundMessage:
        items = catalog().items
        index = next(i for i, item in enumerate(items) if item.id not in data["answers"])
        item = items[index]
        return say(
            "utter_ask_inventory_item",
            n=str(index + 1), total=str(len(items)), item=item.text, item_id=item.id,
        )  # fmt: skip

    def _result(self, result: dict[str, Any]) -> OutboundMessage:
        groups = catalog().groups
        lines = [Say("utter_assessment_result")]
        for rank, match in enumerate(result["groups"], 1):
            group = groups[match["code"]]
            lines.append(
                Say(
                    "utter_assessment_result_line",
                    {
                        "rank": str(rank),
                        "name": group.name,
                        "percent": str(match["percent"]),
                        "explanation": group.explanation,
                    },
                )
            )
        lines.append(Say("utter_assessment_next"))
        return combine(*lines)

    # -- protocol ---------------------------------------------------------------------
    def _start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Continue an attempt in progress, show the last result, or begin."""
        if data.get("step") in IN_PROGRESS:
            # An offer shown before the pause is not shown again: ask the question afresh.
            step = {PREVIOUS_PICK: PREVIOUS, DESIRED_PICK: DESIRED}.get(data["step"], data["step"])
            d = {**data, "step": step, "offered": []}
            return Turn(d, (combine(Say("utter_assessment_resume"), *self._prompt(d).parts),))

        results = list(data.get("results") or [])
        if results:  # show the last result again; "Ulangi asesmen" starts a new one
            last = results[-1]
            seen = Say("utter_assessment_last", {"date": _day(last)})
            return Turn({"step": RESULT, "results": results},
                        (combine(seen, *self._result(last).parts),))  # fmt: skip
        fresh = _fresh(results)
        return Turn(fresh, (say("utter_assessment_intro"), self._prompt(fresh)))

    def _retake(self, results: list[Any]) -> Turn:
        """A new attempt; earlier results stay."""
        fresh = _fresh(results)
        return Turn(fresh, (say("utter_assessment_intro_again"), self._prompt(fresh)))

    def _reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn(data, (self._prompt(data),))

    def _cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Drop the attempt in progress; earlier results stay."""
        results = list(data.get("results") or [])
        kept = {"step": RESULT, "results": results} if results else {}
        return Turn(kept, (say("utter_assessment_cancelled"),), done=True)

    def _back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """One step back: the last item, an offer, the last desired job, the "any more?"
        question, the last previous job."""
        d = {**data, "offered": []}
        step, previous, desired = d.get("step"), d.get("previous") or [], d.get("desired") or []
        if step == ITEMS and d["answers"]:
            answered = [i.id for i in catalog().items if i.id in d["answers"]]
            d["answers"] = {k: v for k, v in d["answers"].items() if k != answered[-1]}
        elif step in (PREVIOUS_PICK, DESIRED_PICK):
            d["step"] = PREVIOUS if step == PREVIOUS_PICK else DESIRED
        elif step in (ITEMS, DESIRED) and desired:
            d["desired"], d["step"] = desired[:-1], DESIRED
        elif step == DESIRED and len(previous) < MAX_PREVIOUS:
            d["step"] = PREVIOUS_MORE
        elif step in (DESIRED, PREVIOUS_MORE):
            d["previous"], d["step"] = previous[:-1], PREVIOUS
        elif step == PREVIOUS and previous:
            d["step"] = PREVIOUS_MORE
        else:
            return Turn(data, (combine(Say("utter_back_at_start"), *self._prompt(data).parts),))
        return Turn(d, (combine(Say("utter_back_ok"), *self._prompt(d).parts),))

    def _handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        step = data.get("step")
        if step in (PREVIOUS, PREVIOUS_PICK):
            return self._job(data, inp, "previous", PREVIOUS)
        if step in (DESIRED, DESIRED_PICK):
            return self._job(data, inp, "desired", DESIRED)
        if step == PREVIOUS_MORE:
            return self._more(data, inp)
        if step == ITEMS:
            return self._item(ctx, data, inp)
        return self._after(ctx, data, inp)

    # -- steps ------------------------------------------------------------------------
    def _job(self, data: dict[str, Any], inp: Input, field: str, step: str) -> Turn:
        picked = read_pick(occupations(), inp, list(data.get("offered") or []))
        if isinstance(picked, Offer):
            d = {**data, "offered": picked.keys, "step": f"{step}_pick"}
            return Turn(d, (combine(picked.say),))
        if isinstance(picked, Retype):
            d = {**data, "offered": [], "step": step}
            return Turn(d, (self._prompt(d),))
        if isinstance(picked, NotFound):
            return Turn(
                data, (combine(Say("utter_occupation_not_found"), *self._prompt(data).parts),)
            )
        if not isinstance(picked, Chosen):
            return Turn(data, (combine(Say(picked.key), *self._prompt(data).parts),))
        if picked.key in data[field]:
            problem = Say("utter_occupation_duplicate", {"title": picked.name})
            d = {**data, "offered": [], "step": step}
            return Turn(d, (combine(problem, *self._prompt(d).parts),))
        jobs = [*data[field], picked.key]
        d = {**data, field: jobs, "offered": []}
        noted = Say("utter_occupation_noted", {"title": picked.name})
        if field == "previous":
            d["step"] = PREVIOUS_MORE if len(jobs) < MAX_PREVIOUS else DESIRED
        else:
            d["step"] = DESIRED if len(jobs) < DESIRED_COUNT else ITEMS
        if d["step"] == ITEMS:
            return Turn(d, (combine(noted, Say("utter_inventory_intro")), self._prompt(d)))
        return Turn(d, (combine(noted, *self._prompt(d).parts),))

    def _more(self, data: dict[str, Any], inp: Input) -> Turn:
        """ "Any other previous job?" Yes, no/enough, or a job typed straight away."""
        if inp.choice == "previous:more" or (inp.intent == "affirm" and not inp.choice):
            d = {**data, "step": PREVIOUS}
        elif inp.choice == "previous:done" or inp.intent in ("deny", ENOUGH):
            d = {**data, "step": DESIRED}
        elif inp.text and not inp.choice:
            turn = self._job({**data, "step": PREVIOUS}, inp, "previous", PREVIOUS)
            if turn.data.get("step") == PREVIOUS:  # not a job: ask "any more?" again
                again = combine(Say("utter_more_not_understood"), *self._prompt(data).parts)
                return Turn(data, (again,))
            return turn
        else:
            problem = "utter_invalid_media" if inp.media else "utter_invalid_stale_button"
            return Turn(data, (combine(Say(problem), *self._prompt(data).parts),))
        return Turn(d, (self._prompt(d),))

    def _item(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        items = catalog().items
        current = next(i for i in items if i.id not in data["answers"])
        value: int | None = None
        if inp.choice:
            prefix, item_id, answer = [*inp.choice.split(":"), "", ""][:3]
            if prefix == "inv" and item_id == current.id and answer.isdigit():
                value = int(answer)
        elif (typed := " ".join(inp.text.lower().replace("-", " ").split())) == "0":
            return self._back(ctx, data)  # (0 = KEMBALI, as BANTUAN says)
        elif typed.isdigit():
            value = int(typed)
        else:
            value = scale_value(typed)
        if value is None or not 1 <= value <= len(catalog().scale):
            if inp.media:
                problem = "utter_invalid_media"
            else:
                problem = "utter_invalid_stale_button" if inp.choice else "utter_invalid_inventory"
            return Turn(data, (combine(Say(problem), *self._prompt(data).parts),))
        answers = {**data["answers"], current.id: value}
        d = {**data, "answers": answers}
        if len(answers) < len(items):
            return Turn(d, (self._prompt(d),))
        return self._finish(ctx, d)

    def _finish(self, ctx: Context, data: dict[str, Any]) -> Turn:
        cat = catalog()
        scores = interest_scores(data["answers"], cat)
        isco = {o.title: o.isco for o in cat.occupations}
        groups = match_groups(
            scores,
            [isco[t] for t in data["previous"] if t in isco],
            [isco[t] for t in data["desired"] if t in isco],
            cat,
        )
        result = {
            "at": ctx.now.isoformat(timespec="seconds"),
            "previous": data["previous"],
            "desired": data["desired"],
            "scores": {t: round(v, 3) for t, v in scores.items()},
            "groups": [{"code": g.code, "percent": g.percent} for g in groups],
        }
        results = [*data.get("results", []), result]
        return Turn(
            {"step": RESULT, "results": results},
            (self._result(result),),
            (SaveAssessment(AssessmentRecord.from_data(result)),),
        )

    def _after(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        if inp.choice == "assessment:retake":
            return self._retake(list(data.get("results") or []))
        problem = "utter_invalid_stale_button" if inp.choice else "utter_invalid_choice"
        return Turn(data, (combine(Say(problem), *self._prompt(data).parts),))

    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        """Every finished result in full (the three groups with their match, the jobs named,
        the six interest scores), then an attempt in progress."""
        data = self._view(ctx, data)
        groups = catalog().groups
        lines: list[tuple[str, dict[str, str]]] = []
        for result in data.get("results") or []:
            matched = ", ".join(
                f"{groups[g['code']].name} {g['percent']}%" for g in result.get("groups") or []
            )
            lines.append(("utter_data_assessment_result", {"date": _day(result),
                                                            "groups": matched}))  # fmt: skip
            lines.append(
                ("utter_data_assessment_jobs",
                 {"previous": ", ".join(result.get("previous") or []) or "-",
                  "desired": ", ".join(result.get("desired") or []) or "-"})
            )  # fmt: skip
            scores = result.get("scores") or {}
            if scores:
                percent = {t.lower(): str(round(float(scores.get(t, 0)) * 100)) for t in RIASEC}
                lines.append(("utter_data_assessment_scores", percent))
        in_progress = data.get("step") in IN_PROGRESS
        if in_progress and (data.get("previous") or data.get("desired") or data.get("answers")):
            lines.append(("utter_data_assessment_draft", {}))
            if data.get("previous"):
                lines.append(("utter_data_previous_jobs", {"value": ", ".join(data["previous"])}))
            if data.get("desired"):
                lines.append(("utter_data_desired_jobs", {"value": ", ".join(data["desired"])}))
            if data.get("answers"):
                count = str(len(data["answers"]))
                lines.append(("utter_data_inventory_answers", {"count": count}))
        if lines:
            lines.append(("utter_data_assessment_how", {}))
        return lines


def _day(result: dict[str, Any]) -> str:
    """The day a result was taken (stored in the person's zone), as people write it."""
    taken = str(result.get("at") or "")
    try:
        return format_date(date.fromisoformat(taken[:10]))
    except ValueError:
        return "-"


def scale_value(typed: str) -> int | None:
    """An answer to an interest item typed in words: the scale's own label ("suka",
    "sangat suka", "ragu ragu") or a number word ("lima")."""
    for value, label in catalog().scale:
        if typed == " ".join(label.lower().replace("-", " ").split()):
            return value
    return NUMBER_WORDS.get(typed)
