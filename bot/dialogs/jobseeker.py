"""Data pencari kerja (Pedoman 3.5 steps 1–5): desired job, status Ter-PHK, where to work
(a province and regency/city in Indonesia, anywhere in a province, or a country abroad),
physical condition. Diagram: jobseeker.mmd.

This is *not* the official registration: that is done by the person at SIAPkerja
(siapkerja.kemnaker.go.id). Here the same answers are prepared and kept, shown on the
profile, and used for the person's time zone; the dialog says so when it opens and when it
saves.

The conversation keeps the registration in progress, ``{"step", "draft": {...}, "offered":
[...]}``; the saved registration is a record (:class:`SaveRegistration`), which the steps see
as ``registration`` and which is only replaced when an edited draft is saved. While editing,
each step offers "Tetap: <saved value>". The desired jobs of the last self-assessment are
offered at the job step.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.core.types import Context, Input, OutboundMessage, Say, Turn, combine, say
from bot.dialogs.base import DialogDefaults
from bot.dialogs.picking import Chosen, NotFound, Offer, Retype, offer, read_pick
from bot.knowledge.catalog import catalog
from bot.knowledge.conditions import condition_of
from bot.knowledge.search import (
    SURE,
    Matcher,
    countries,
    occupations,
    provinces,
    regencies,
    regencies_in,
)
from bot.records.model import (
    AssessmentsQuery,
    RegistrationQuery,
    RegistrationRecord,
    SaveRegistration,
)

JOB, STATUS, WHERE, PROVINCE, REGENCY, COUNTRY, CONDITION, CONFIRM, SAVED = (
    "job", "status", "where", "province", "regency", "country", "condition", "confirm", "saved"
)  # fmt: skip
# UU 8/2016 Pasal 4 ayat (1): physical, intellectual, mental, sensory; "double/multiple"
# (ayat 2) and "rather not say" so nobody has to disclose health data to register.
CONDITIONS = ("none", "physical", "intellectual", "mental", "sensory", "multiple", "undisclosed")
PICK_STEPS = {JOB, PROVINCE, REGENCY, COUNTRY}
ASKED_BY_NAME = (JOB, STATUS, WHERE, PROVINCE, COUNTRY, CONDITION)  # utter_ask_js_<step>
KEEP = "js:keep"  # "Tetap: ..." while editing a saved registration
ANYWHERE = "regency:any"  # anywhere in the province chosen


class JobSeekerDialog(DialogDefaults):
    """Register as a job seeker, or change the registration."""

    name = "jobseeker"

    # -- the record behind the steps --------------------------------------------------
    @staticmethod
    def _view(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
        record, assessments = ctx.ask_all(RegistrationQuery(), AssessmentsQuery())
        view = {k: v for k, v in data.items() if k not in ("registration", "suggested")}
        if record is not None:
            view["registration"] = record.to_data()
        if assessments:  # the desired jobs of the last self-assessment, offered at JOB
            view["suggested"] = [j for j in assessments[-1].desired if catalog().occupation(j)]
        return view

    @staticmethod
    def _kept(turn: Turn) -> Turn:
        data = {k: v for k, v in turn.data.items() if k not in ("registration", "suggested")}
        if data.get("step") == SAVED:
            data = {"step": SAVED}
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

    def _matcher(self, data: dict[str, Any]) -> Matcher:
        step = data["step"]
        if step == JOB:
            return occupations()
        if step == PROVINCE:
            return provinces()
        if step == REGENCY:
            return regencies_in(data["draft"]["province"])
        return countries()

    def _prompt(self, data: dict[str, Any]) -> OutboundMessage:
        step = data["step"]
        if step == SAVED:
            return combine(*self.registration_lines(data), Say("utter_jobseeker_saved_menu"))
        if step == CONFIRM:
            draft = {**data, "registration": {**data["draft"], "status": "ter_phk"}}
            return combine(Say("utter_jobseeker_review"), *self.registration_lines(draft),
                           Say("utter_ask_js_confirm"))  # fmt: skip
        parts = [self._question(data)]
        if step == JOB and data.get("offered") and data.get("offered") == data.get("suggested"):
            names = [occupations().display.get(k, k) for k in data["offered"]]
            parts.append(offer(data["offered"], names).say)
            parts[-1] = Say("utter_js_job_from_assessment", choices=parts[-1].choices)
        if (current := self._keepable(data)) is not None:
            parts.append(Say("utter_js_keep_current", {"current": current}))
        return combine(*parts)

    def _question(self, data: dict[str, Any]) -> Say:
        step = data["step"]
        if step == REGENCY:
            code = data["draft"]["province"]
            province = catalog().province(code)
            example = next(
                (r.name.removeprefix("Kota ") for r in catalog().regencies
                 if r.code.startswith(code) and r.name.startswith("Kota ")),
                "",
            )  # fmt: skip
            name = province.name if province else ""
            return Say("utter_ask_js_regency", {"province": name, "example": example})
        return Say(f"utter_ask_js_{step}")

    def _keepable(self, data: dict[str, Any]) -> str | None:
        """While editing a saved registration: the saved value of this step, in words."""
        saved = data.get("registration")
        step = data.get("step")
        if not saved or step in (SAVED, CONFIRM, STATUS):
            return None
        cat = catalog()
        if step == JOB:
            return str(saved.get("job") or "") or None
        if step == WHERE:
            return _where(saved) or None
        if step == PROVINCE and saved.get("province") and not saved.get("country"):
            province = cat.province(saved["province"])
            return province.name if province else None
        if step == REGENCY and saved.get("province") == data["draft"].get("province"):
            return _where(saved) or None
        if step == COUNTRY and saved.get("country"):
            country = cat.country(saved["country"])
            return country.name if country else None
        if step == CONDITION and saved.get("condition"):
            return f"choice:condition:{saved['condition']}"
        return None

    def _keep(self, data: dict[str, Any]) -> Turn:
        """ "Tetap": take the saved value of this step and go on."""
        saved = data["registration"]
        draft = dict(data["draft"])
        step = data["step"]
        place = ("province", "regency", "country")
        if step == JOB:
            draft["job"] = saved["job"]
            return self._next({**data, "draft": draft}, STATUS)
        if step in (WHERE, REGENCY, COUNTRY):
            draft = {k: v for k, v in draft.items() if k not in place}
            draft.update({k: saved[k] for k in place if saved.get(k)})
            return self._next({**data, "draft": draft}, CONDITION)
        if step == PROVINCE:
            draft = {k: v for k, v in draft.items() if k not in place}
            draft["province"] = saved["province"]
            return self._next({**data, "draft": draft}, REGENCY)
        draft["condition"] = saved["condition"]
        return self._next({**data, "draft": draft}, CONFIRM)

    def registration_lines(self, data: dict[str, Any]) -> list[Say]:
        """The registration in words, for the review, the profile and DATA."""
        return self._lines(data.get("registration") or {})

    def _lines(self, reg: dict[str, Any]) -> list[Say]:
        cat = catalog()
        lines: list[Say] = []
        if reg.get("job"):
            lines.append(Say("utter_js_line_job", {"value": reg["job"]}))
        if reg.get("status"):
            lines.append(Say("utter_js_line_status"))
        if reg.get("province") and not reg.get("regency") and not reg.get("country"):
            province = cat.province(reg["province"])
            if province:
                lines.append(Say("utter_js_line_where_province", {"value": province.name}))
        elif where := _where(reg):
            lines.append(Say("utter_js_line_where", {"value": where}))
        if reg.get("condition"):
            value = f"choice:condition:{reg['condition']}"
            lines.append(Say("utter_js_line_condition", {"value": value}))
        return lines

    # -- protocol ---------------------------------------------------------------------
    def _start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Show the saved registration, continue a draft, or begin."""
        step = data.get("step")
        if step and step != SAVED:
            d = self._at(data, data, step)  # an offer from before the pause is not shown again
            return Turn(d, (combine(Say("utter_jobseeker_resume"), *self._prompt(d).parts),))

        if data.get("registration"):
            d = {"step": SAVED, "registration": data["registration"]}
            return Turn(d, (combine(Say("utter_jobseeker_saved_intro"), *self._prompt(d).parts),))
        d = self._at(data, {"draft": {}}, JOB)
        return Turn(d, (say("utter_jobseeker_intro"), self._prompt(d)))

    @staticmethod
    def _at(data: dict[str, Any], d: dict[str, Any], step: str) -> dict[str, Any]:
        """``d`` at ``step``: the job step offers the assessment's desired jobs."""
        suggested = list(data.get("suggested") or [])
        extra: dict[str, Any] = {k: data[k] for k in ("registration", "suggested") if k in data}
        offered = suggested if step == JOB else []
        return {**extra, **d, "step": step, "offered": offered}

    def _reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn(data, (self._prompt(data),))

    def _cancel(
        self, ctx: Context, data: dict[str, Any], key: str = "utter_jobseeker_cancelled"
    ) -> Turn:
        """Drop the draft; a saved registration stays."""
        saved = data.get("registration")
        kept = {"step": SAVED, "registration": saved} if saved else {}
        return Turn(kept, (say(key),), done=True)

    def _back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        order = [JOB, STATUS, WHERE, PROVINCE, REGENCY, CONDITION, CONFIRM]
        step = data.get("step")
        if step == COUNTRY:
            previous = WHERE
        elif step == CONDITION and data["draft"].get("country"):
            previous = COUNTRY
        elif step in order and order.index(step) > 0:
            previous = order[order.index(step) - 1]
        else:
            return Turn(data, (combine(Say("utter_back_at_start"), *self._prompt(data).parts),))
        d = self._at(data, data, previous)
        return Turn(d, (combine(Say("utter_back_ok"), *self._prompt(d).parts),))

    def _handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        step = data.get("step")
        if inp.choice == KEEP and self._keepable(data) is not None:
            return self._keep(data)
        if step == REGENCY and inp.choice == ANYWHERE:
            draft = {k: v for k, v in data["draft"].items() if k != "regency"}
            return self._next({**data, "draft": draft}, CONDITION)
        if step in PICK_STEPS:
            return self._pick(data, inp)
        answer = inp.choice.partition(":")[2] if inp.choice else ""
        prefix = inp.choice.partition(":")[0] if inp.choice else ""
        if step == STATUS:
            if inp.choice == "status:phk" or inp.intent == "affirm":
                return self._next(data, WHERE)
            if inp.choice == "status:other" or inp.intent == "deny":
                return self._cancel(ctx, data, "utter_jobseeker_not_phk")
        elif step == WHERE and prefix == "where":
            if answer == "id":
                return self._next(data, PROVINCE)
            if answer == "abroad":
                return self._next(data, COUNTRY)
        elif step == WHERE and inp.text and not inp.choice and not inp.media:
            # The place itself typed ("jabar", "bekasi", "jepang"): taken as at its own step.
            for asked in (PROVINCE, COUNTRY):
                turn = self._pick({**data, "step": asked}, inp)
                if turn.data.get("step") not in (asked, WHERE):
                    return turn
        elif step == CONDITION and prefix == "condition" and answer in CONDITIONS:
            draft = {**data["draft"], "condition": answer}
            return self._next({**data, "draft": draft}, CONFIRM)
        elif step == CONDITION and inp.text and not inp.choice:
            typed = condition_of(inp.text)
            if typed is None and inp.intent in ("deny", "enough"):
                typed = "none"
            if typed is not None:
                draft = {**data["draft"], "condition": typed}
                return self._next({**data, "draft": draft}, CONFIRM)
            if inp.intent == "affirm":  # "ya": which kind?
                return Turn(data, (combine(Say("utter_js_condition_which"),
                                           *self._prompt(data).parts),))  # fmt: skip
        elif step == CONFIRM and (inp.choice == "js:save" or inp.intent == "affirm"):
            saved = {**data["draft"], "status": "ter_phk"}
            saved["saved_at"] = ctx.now.isoformat(timespec="seconds")
            d = {"step": SAVED, "registration": saved}
            record = RegistrationRecord.from_data(saved)
            # One line (and where to register officially), then the next step: the review
            # was just shown, so the registration is not listed again.
            done = combine(Say("utter_jobseeker_saved"), Say("utter_jobseeker_saved_menu"))
            return Turn(d, (done,), (SaveRegistration(record),))
        elif step == CONFIRM and inp.choice == "js:edit":
            return self._next({**data, "draft": {}}, JOB)
        elif step == SAVED and inp.choice == "js:edit":
            edit = self._at(data, {"draft": {}}, JOB)
            return Turn(edit, (self._prompt(edit),))
        problem = "utter_invalid_media" if inp.media else (
            "utter_invalid_stale_button" if inp.choice else "utter_invalid_choice"
        )  # fmt: skip
        return Turn(data, (combine(Say(problem), *self._prompt(data).parts),))

    def _next(self, data: dict[str, Any], step: str, *before: Say) -> Turn:
        d = self._at(data, data, step)
        return Turn(d, (combine(*before, *self._prompt(d).parts),))

    def _pick(self, data: dict[str, Any], inp: Input) -> Turn:
        step = data["step"]
        picked = read_pick(self._matcher(data), inp, list(data.get("offered") or []))
        if step == PROVINCE and isinstance(picked, NotFound):
            # A regency or city typed where the province was asked: take both at once, or
            # offer the candidates ("Bekasi": Kota and Kabupaten) within that province.
            sure = [m for m in regencies().search(inp.text) if m.score >= SURE]
            if sure:
                province = sure[0].key[:2]
                same = [m.key for m in sure if m.key[:2] == province]
                draft = {k: v for k, v in data["draft"].items() if k != "country"}
                draft["province"] = province
                if len(same) == 1:
                    region = regencies_in(province).display[same[0]]
                    draft["regency"] = same[0]
                    noted = Say("utter_occupation_noted", {"title": region})
                    return self._next({**data, "draft": draft}, CONDITION, noted)
                names = [regencies_in(province).display[k] for k in same]
                choice = offer(same, names)
                d = {**data, "draft": draft, "step": REGENCY, "offered": choice.keys}
                return Turn(d, (combine(choice.say),))
        if isinstance(picked, Offer):
            d = {**data, "offered": picked.keys}
            keep = self._keepable(d)
            extra = [Say("utter_js_keep_current", {"current": keep})] if keep is not None else []
            return Turn(d, (combine(picked.say, *extra),))
        if isinstance(picked, Retype):
            return self._next(data, step)
        if isinstance(picked, NotFound):
            return Turn(data, (combine(Say(f"utter_not_found_{step}"), *self._prompt(data).parts),))
        if not isinstance(picked, Chosen):
            return Turn(data, (combine(Say(picked.key), *self._prompt(data).parts),))
        draft = dict(data["draft"])
        noted = Say("utter_occupation_noted", {"title": picked.name})
        if step == JOB:
            draft["job"] = picked.key
            return self._next({**data, "draft": draft}, STATUS, noted)
        if step == PROVINCE:
            draft.pop("country", None)
            draft["province"] = picked.key
            return self._next({**data, "draft": draft}, REGENCY, noted)
        if step == REGENCY:
            draft["regency"] = picked.key
            return self._next({**data, "draft": draft}, CONDITION, noted)
        draft = {k: v for k, v in draft.items() if k not in ("province", "regency")}
        draft["country"] = picked.key
        return self._next({**data, "draft": draft}, CONDITION, noted)

    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        """The saved registration, and an unfinished one (its condition answer included)."""
        data = self._view(ctx, data)
        lines = [(s.key, dict(s.params)) for s in self.registration_lines(data)]
        draft = data.get("draft") or {}
        if data.get("step") not in (None, SAVED) and draft:
            lines.append(("utter_data_js_draft", {}))
            lines.extend((s.key, dict(s.params)) for s in self._lines(draft))
        if lines:
            lines.append(("utter_data_js_how", {}))
        return lines


def _where(reg: dict[str, Any]) -> str:
    """Where a registration wants to work, in words: a country, a regency with its province,
    or a province ("" when none is set)."""
    cat = catalog()
    if reg.get("country"):
        country = cat.country(reg["country"])
        return country.name if country else str(reg["country"])
    if reg.get("regency"):
        regency = cat.regency(reg["regency"])
        return f"{regency.name}, {regency.province}" if regency else ""
    if reg.get("province"):
        province = cat.province(reg["province"])
        return province.name if province else ""
    return ""
