"""Profil / Resume (Pedoman 3.3 steps 5–6): nine sections filled in any order, repeating
entries added, changed and removed, and a dashboard of what is complete and what is missing.
Diagram: profile.mmd.

The conversation keeps where the person is, ``{"step", "section", "index", "field", "draft",
"offered"}``; the saved sections are records (:class:`SaveProfileSection`), which the steps
see as ``sections``. A section is saved only when its last field is answered; BATAL drops
the draft only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.core.types import Context, Input, OutboundMessage, Say, Turn, combine, say
from bot.dialogs.base import DialogDefaults
from bot.dialogs.jobseeker import JobSeekerDialog
from bot.dialogs.picking import Chosen, NotFound, Offer, Retype, read_pick
from bot.dialogs.questions import NONE, Problem, Question, read_answer
from bot.knowledge.catalog import catalog
from bot.knowledge.search import regencies
from bot.records.model import ProfileQuery, RegistrationQuery, SaveProfileSection
from bot.rules.parsing import format_date

HOME, SECTION, FIELD, ENTRY, CONFIRM_DELETE = "home", "section", "field", "entry", "delete"
KEEP = "pf:keep"
HAVE_NONE = "pf:none"  # the "Tidak ada" button of an optional section still empty
MAX_ENTRIES = 10
NONE_MARK = "pf_none"  # the one entry of an optional section answered "Tidak ada"


@dataclass(frozen=True)
class Section:
    id: str
    fields: tuple[Question, ...]
    repeating: bool
    label: tuple[str, ...] = ()  # text fields naming an entry on its button
    optional: bool = False  # "Tidak ada" is an answer: many people have no training, no...


def _text(slot: str, longest: int = 100, *options: str) -> Question:
    return Question(slot, "text", options, maximum=longest)


SECTIONS: tuple[Section, ...] = (
    Section("photo", (Question("pf_photo", "choice"),), repeating=False),
    Section(
        "personal",
        (
            _text("pf_full_name"),
            Question("pf_birth_date", "date", days_back=365 * 80, days_ahead=-365 * 15),
            Question("pf_gender", "choice", ("male", "female", "undisclosed")),
            Question("pf_domicile", "choice"),  # a regency or city, typed and matched
        ),
        repeating=False,
    ),
    Section(
        "education",
        (
            Question(
                "pf_edu_level", "choice", ("sd", "smp", "sma", "smk", "diploma", "s1", "s2", "s3")
            ),
            _text("pf_edu_school"),
            _text("pf_edu_major", 100, "none"),
            Question("pf_edu_year", "year", years_back=70, years_ahead=6),
        ),
        repeating=True,
        label=("pf_edu_school",),
    ),
    Section(
        "experience",
        (
            _text("pf_exp_position"),
            _text("pf_exp_company"),
            Question("pf_exp_start", "year", years_back=60),
            Question("pf_exp_end", "year", years_back=60),
        ),
        repeating=True,
        label=("pf_exp_position", "pf_exp_company"),
    ),
    Section(
        "training",
        (
            _text("pf_trn_name", 100, NONE),
            _text("pf_trn_organizer"),
            Question("pf_trn_year", "year"),
        ),
        repeating=True,
        label=("pf_trn_name",),
        optional=True,
    ),
    Section(
        "certification",
        (
            _text("pf_cert_name", 100, NONE),
            _text("pf_cert_issuer"),
            Question("pf_cert_year", "year"),
        ),
        repeating=True,
        label=("pf_cert_name",),
        optional=True,
    ),
    Section(
        "achievement",
        (_text("pf_ach_title", 200, NONE), Question("pf_ach_year", "year")),
        repeating=True,
        label=("pf_ach_title",),
        optional=True,
    ),
    Section(
        "language",
        (
            _text("pf_lang_name", 50, NONE),
            Question("pf_lang_level", "choice", ("basic", "intermediate", "fluent")),
        ),
        repeating=True,
        label=("pf_lang_name",),
        optional=True,
    ),
    Section("skill", (_text("pf_skill_name", 80),), repeating=True, label=("pf_skill_name",)),
)
BY_ID = {s.id: s for s in SECTIONS}


def _entries(value: Any) -> tuple[dict[str, Any], ...]:
    """A section's value as record entries: a single section is one entry."""
    if not value:
        return ()
    return (dict(value),) if isinstance(value, dict) else tuple(dict(e) for e in value)


def real_entries(value: Any) -> list[dict[str, Any]]:
    """A repeating section's entries, without the "Tidak ada" mark."""
    return [dict(e) for e in value or () if not e.get(NONE_MARK)]


def declared_none(value: Any) -> bool:
    """An optional section answered "Tidak ada" (and nothing added since)."""
    return bool(value) and isinstance(value, list) and all(e.get(NONE_MARK) for e in value)


PICKED_FIELDS = {"pf_domicile"}


def is_complete(section: Section, value: Any) -> bool:
    """A single section needs every field; a repeating one at least one entry."""
    if section.repeating:
        return bool(value)
    return bool(value) and all(q.slot in value for q in section.fields)


def completeness(sections: dict[str, Any]) -> tuple[int, list[str], list[str]]:
    """Overall percentage (half up), complete and missing section ids (Pedoman 3.3 step 6)."""
    done = [s.id for s in SECTIONS if is_complete(s, sections.get(s.id))]
    missing = [s.id for s in SECTIONS if s.id not in done]
    return (200 * len(done) + len(SECTIONS)) // (2 * len(SECTIONS)), done, missing


def shown(q: Question, value: Any) -> str:
    """A stored value as it is shown: a button's words, a date as people write it."""
    if q.slot == "pf_domicile":
        region = catalog().regency(str(value))
        return f"{region.name}, {region.province}" if region else str(value)
    if q.kind == "choice" or (q.options and value in q.options):
        return f"choice:{q.slot}:{value}"
    if q.kind == "date":
        return format_date(date.fromisoformat(str(value)))
    return str(value)


class ProfileDialog(DialogDefaults):
    """Resume: a dashboard, then one section at a time."""

    name = "profile"

    # -- the records behind the steps -------------------------------------------------
    @staticmethod
    def _view(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "sections": ctx.ask(ProfileQuery()).as_data()}

    @staticmethod
    def _kept(before: dict[str, Any], turn: Turn) -> Turn:
        """Sections the turn changed become effects; the conversation keeps the rest."""
        old, new = before.get("sections") or {}, turn.data.get("sections") or {}
        saves = tuple(
            SaveProfileSection(s.id, _entries(new.get(s.id)))
            for s in SECTIONS
            if "sections" in turn.data and new.get(s.id) != old.get(s.id)
        )
        data = {k: v for k, v in turn.data.items() if k != "sections"}
        return replace(turn, data=data, effects=(*turn.effects, *saves))

    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        view = self._view(ctx, data)
        return self._kept(view, self._start(ctx, view))

    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        view = self._view(ctx, data)
        return self._kept(view, self._handle(ctx, view, inp))

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        view = self._view(ctx, data)
        return self._kept(view, self._back(ctx, view))

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        view = self._view(ctx, data)
        return self._kept(view, self._reprompt(ctx, view))

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        view = self._view(ctx, data)
        return self._kept(view, self._cancel(ctx, view))

    # -- prompts ----------------------------------------------------------------------
    def _home(self, ctx: Context, data: dict[str, Any]) -> OutboundMessage:
        sections = data.get("sections") or {}
        percent, done, missing = completeness(sections)
        lines = [Say("utter_profile_dashboard", {"percent": str(percent)})]
        for s in SECTIONS:
            status = "done" if s.id in done else "missing"
            if declared_none(sections.get(s.id)):
                status = "none"
            lines.append(Say(f"utter_profile_line_{status}", {"section": f"choice:profile:{s.id}"}))
        registration = ctx.ask(RegistrationQuery())
        if registration:
            lines.append(Say("utter_profile_jobseeker"))
            lines.extend(
                JobSeekerDialog().registration_lines({"registration": registration.to_data()})
            )
        else:
            lines.append(Say("utter_profile_no_jobseeker"))
        lines.append(Say("utter_profile_missing" if missing else "utter_profile_all_done"))
        lines.append(Say("utter_profile_menu"))
        return combine(*lines)

    def _section(self, data: dict[str, Any]) -> OutboundMessage:
        section = BY_ID[data["section"]]
        entries = real_entries((data.get("sections") or {}).get(section.id))
        lines = [Say("utter_profile_section", {"section": f"choice:profile:{section.id}"})]
        lines += [self._entry_line(section, e) for e in entries]
        choices = tuple(
            (self._entry_title(section, e, i), f"entry:{section.id}:{i}")
            for i, e in enumerate(entries)
        )
        lines.append(Say("utter_profile_section_menu", {"section_id": section.id}, choices))
        return combine(*lines)

    def _entry_title(self, section: Section, entry: dict[str, Any], index: int) -> str:
        return ", ".join(str(entry.get(f, "")) for f in section.label)[:50]

    def _entry_line(self, section: Section, entry: dict[str, Any]) -> Say:
        params = {q.slot: shown(q, entry[q.slot]) for q in section.fields if q.slot in entry}
        return Say(f"utter_profile_entry_{section.id}", params)

    def _field(self, data: dict[str, Any]) -> OutboundMessage:
        section = BY_ID[data["section"]]
        q = next(f for f in section.fields if f.slot == data["field"])
        parts = [Say(q.ask_key)]
        current = self._kept_value(data, q)
        if current is not None and data.get("editing"):
            if q.slot == "pf_photo":
                parts.append(Say("utter_keep_current_photo"))
            else:
                parts.append(Say("utter_keep_current", {"current": shown(q, current)}))
        elif self._may_say_none(data, section, q):
            parts.append(Say("utter_profile_none_option"))
        return combine(*parts)

    @staticmethod
    def _kept_value(data: dict[str, Any], q: Question) -> Any:
        """What "Tetap" keeps: the saved value, even after KEMBALI over a new answer."""
        original = data.get("original")
        if isinstance(original, dict):
            return original.get(q.slot)
        return (data.get("draft") or {}).get(q.slot)  # a form opened before "original"

    @staticmethod
    def _may_say_none(data: dict[str, Any], section: Section, q: Question) -> bool:
        """ "Tidak ada" is offered on an optional section's first question, while it has
        no entry."""
        first = section.fields[0].slot == q.slot
        empty = not real_entries((data.get("sections") or {}).get(section.id))
        return section.optional and first and empty and not data.get("editing")

    def _prompt(self, ctx: Context, data: dict[str, Any]) -> OutboundMessage:
        step = data.get("step", HOME)
        if step == FIELD:
            return self._field(data)
        if step == SECTION:
            return self._section(data)
        if step in (ENTRY, CONFIRM_DELETE):
            section = BY_ID[data["section"]]
            entry = data["sections"][section.id][data["index"]]
            key = "utter_profile_entry_menu" if step == ENTRY else "utter_ask_pf_delete_entry"
            ids = {"section_id": section.id, "index": str(data["index"])}
            return combine(self._entry_line(section, entry), Say(key, ids))
        return self._home(ctx, data)

    def _go(self, ctx: Context, data: dict[str, Any], *before: Say) -> Turn:
        return Turn(data, (combine(*before, *self._prompt(ctx, data).parts),))

    # -- protocol ---------------------------------------------------------------------
    def _start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """The dashboard, or the question left open."""
        if data.get("step") == FIELD:  # an offer from before the pause is not shown again
            return self._go(ctx, {**data, "offered": []}, Say("utter_profile_resume"))
        return self._go(ctx, {"sections": data.get("sections") or {}, "step": HOME})

    def _reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self._go(ctx, data)

    def _cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Drop the entry being written; saved sections stay."""
        sections = data.get("sections") or {}
        kept = {"sections": sections, "step": HOME} if sections else {}
        return Turn(kept, (say("utter_profile_cancelled"),), done=True)

    def _back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        step = data.get("step", HOME)
        if step == FIELD:
            section = BY_ID[data["section"]]
            slots = [q.slot for q in section.fields]
            position = slots.index(data["field"])
            if position > 0:
                d = {**data, "field": slots[position - 1], "offered": []}
                return self._go(ctx, d, Say("utter_back_ok"))
            return self._leave_form(ctx, data)
        if step in (ENTRY, CONFIRM_DELETE):
            return self._go(ctx, {**data, "step": SECTION})
        if step == SECTION:
            return self._go(ctx, self._at_home(data))
        return self._go(ctx, data, Say("utter_back_at_start"))

    def _at_home(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"sections": data.get("sections") or {}, "step": HOME}

    def _leave_form(self, ctx: Context, data: dict[str, Any], *before: Say) -> Turn:
        """Out of a form without saving: to the section's list, or home."""
        section = BY_ID[data["section"]]
        if section.repeating and real_entries((data.get("sections") or {}).get(section.id)):
            d = {"sections": data["sections"], "step": SECTION, "section": section.id}
            return self._go(ctx, d, *before)
        return self._go(ctx, self._at_home(data), *before)

    def _handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        step = data.get("step", HOME)
        if inp.choice == "profile:home":
            return self._go(ctx, self._at_home(data))
        if step == FIELD:
            return self._answer(ctx, data, inp)
        if step == SECTION:
            return self._in_section(ctx, data, inp)
        if step == ENTRY:
            return self._in_entry(ctx, data, inp)
        if step == CONFIRM_DELETE:
            return self._in_delete(ctx, data, inp)
        target = inp.choice.removeprefix("profile:") if inp.choice else ""
        if target in BY_ID:
            return self._open(ctx, data, target)
        return self._invalid(ctx, data, inp)

    def _invalid(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        if inp.media:
            problem = "utter_invalid_media"
        else:
            problem = "utter_invalid_stale_button" if inp.choice else "utter_invalid_choice"
        return self._go(ctx, data, Say(problem))

    # -- sections and entries ---------------------------------------------------------
    def _open(self, ctx: Context, data: dict[str, Any], section_id: str) -> Turn:
        section = BY_ID[section_id]
        saved = (data.get("sections") or {}).get(section_id)
        if section.repeating and real_entries(saved):
            return self._go(ctx, {**self._at_home(data), "step": SECTION, "section": section_id})
        draft = dict(saved) if saved and not section.repeating else {}
        return self._form(ctx, data, section, draft, None)

    def _form(
        self,
        ctx: Context,
        data: dict[str, Any],
        section: Section,
        draft: dict[str, Any],
        index: int | None,
    ) -> Turn:
        d = {
            **self._at_home(data), "step": FIELD, "section": section.id, "index": index,
            "field": section.fields[0].slot, "draft": draft, "editing": bool(draft),
            "original": dict(draft), "offered": [],
        }  # fmt: skip
        return self._go(ctx, d)

    def _in_section(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        section = BY_ID[data["section"]]
        entries = real_entries(data["sections"].get(section.id))
        if inp.choice == f"section:{section.id}:add":
            if len(entries) >= MAX_ENTRIES:
                return self._go(ctx, data, Say("utter_profile_section_full"))
            return self._form(ctx, data, section, {}, None)
        prefix, section_id, index = [*(inp.choice or "").split(":"), "", ""][:3]
        mine = prefix == "entry" and section_id == section.id
        if mine and index.isdigit() and int(index) < len(entries):
            return self._go(ctx, {**data, "step": ENTRY, "index": int(index)})
        return self._invalid(ctx, data, inp)

    def _in_entry(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        section = BY_ID[data["section"]]
        action = self._entry_action(data, inp)
        if action == "edit":
            entry = dict(data["sections"][section.id][data["index"]])
            return self._form(ctx, data, section, entry, data["index"])
        if action == "delete":
            return self._go(ctx, {**data, "step": CONFIRM_DELETE})
        if action == "back":
            return self._go(ctx, {**data, "step": SECTION})
        return self._invalid(ctx, data, inp)

    def _entry_action(self, data: dict[str, Any], inp: Input) -> str | None:
        """The action of a button of *this* entry's menu (``entry:<section>:<i>:<action>``)."""
        mine = f"entry:{data['section']}:{data['index']}:"
        return inp.choice.removeprefix(mine) if inp.choice and inp.choice.startswith(mine) else None

    def _in_delete(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        section = BY_ID[data["section"]]
        action = self._entry_action(data, inp)
        if action == "delete_yes" or inp.intent == "affirm":
            entries = list(data["sections"][section.id])
            del entries[data["index"]]
            sections = {**data["sections"], section.id: entries}
            if not entries:
                sections.pop(section.id)
            d = {"sections": sections, "step": SECTION if entries else HOME, "section": section.id}
            return self._go(ctx, d, Say("utter_profile_entry_deleted"))
        if action == "back" or inp.intent == "deny":
            return self._go(ctx, {**data, "step": SECTION})
        return self._invalid(ctx, data, inp)

    # -- fields -----------------------------------------------------------------------
    def _answer(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        section = BY_ID[data["section"]]
        q = next(f for f in section.fields if f.slot == data["field"])
        draft = dict(data.get("draft") or {})
        kept = self._kept_value(data, q)
        if inp.choice == KEEP and kept is not None and data.get("editing"):
            draft[q.slot] = kept
            return self._checked(ctx, data, section, q, draft)
        if inp.choice == HAVE_NONE and self._may_say_none(data, section, q):
            return self._none(ctx, data, section)
        if q.slot == "pf_photo":
            if inp.media == "photo" and inp.attachment:
                draft[q.slot] = inp.attachment
                return self._next_field(ctx, data, section, draft)
            return self._go(ctx, data, Say("utter_invalid_photo"))
        if q.slot in PICKED_FIELDS:
            picked = read_pick(regencies(), inp, list(data.get("offered") or []))
            if isinstance(picked, Offer):
                return Turn({**data, "offered": picked.keys}, (combine(picked.say),))
            if isinstance(picked, Retype):
                return self._go(ctx, {**data, "offered": []})
            if isinstance(picked, NotFound):
                return self._go(ctx, data, Say("utter_not_found_regency_anywhere"))
            if not isinstance(picked, Chosen):
                return self._go(ctx, data, Say(picked.key))
            draft[q.slot] = picked.key
            return self._next_field(ctx, data, section, draft)
        answer = read_answer(q, inp, ctx.today)
        if isinstance(answer, Problem):
            return self._go(ctx, data, Say(answer.key, answer.params))
        if answer == NONE and section.optional and q.slot == section.fields[0].slot:
            if self._may_say_none(data, section, q):
                return self._none(ctx, data, section)
            return self._leave_form(ctx, data, Say("utter_profile_nothing_added"))
        draft[q.slot] = answer
        return self._checked(ctx, data, section, q, draft)

    def _none(self, ctx: Context, data: dict[str, Any], section: Section) -> Turn:
        """ "Tidak ada": the section is answered (and complete) with no entry in it."""
        sections = {**(data.get("sections") or {}), section.id: [{NONE_MARK: True}]}
        return self._saved(ctx, sections, section)

    def _checked(
        self,
        ctx: Context,
        data: dict[str, Any],
        section: Section,
        q: Question,
        draft: dict[str, Any],
    ) -> Turn:
        """Cross-field checks, for a new answer and for a kept one alike."""
        if q.slot == "pf_exp_end" and int(draft[q.slot]) < int(draft.get("pf_exp_start", 0)):
            return self._go(ctx, data, Say("utter_invalid_exp_end_before_start"))
        return self._next_field(ctx, data, section, draft)

    def _next_field(
        self, ctx: Context, data: dict[str, Any], section: Section, draft: dict[str, Any]
    ) -> Turn:
        slots = [q.slot for q in section.fields]
        position = slots.index(data["field"])
        if position + 1 < len(slots):
            d = {**data, "draft": draft, "field": slots[position + 1], "offered": []}
            return self._go(ctx, d)
        sections = dict(data.get("sections") or {})
        if section.repeating:
            entries = real_entries(sections.get(section.id))
            if data.get("index") is None:
                entries.append(draft)
            else:
                entries[data["index"]] = draft
            sections[section.id] = entries
            d = {"sections": sections, "step": SECTION, "section": section.id}
            return self._go(ctx, d, Say("utter_profile_saved"))
        sections[section.id] = draft
        return self._saved(ctx, sections, section)

    def _saved(self, ctx: Context, sections: dict[str, Any], section: Section) -> Turn:
        """After a section is saved: one line, and the next step (the next section missing,
        the profile, the menu) instead of the whole dashboard again."""
        percent, _, missing = completeness(sections)
        label = f"choice:profile:{section.id}"
        parts = [Say("utter_profile_saved_next", {"section": label, "percent": str(percent)})]
        if missing:
            parts.append(Say("utter_profile_next_section", {"next": f"choice:profile:{missing[0]}",
                                                            "next_id": missing[0]}))  # fmt: skip
        else:
            parts.append(Say("utter_profile_complete"))
        parts.append(Say("utter_profile_after_save"))
        return Turn({"sections": sections, "step": HOME}, (combine(*parts),))

    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        data = self._view(ctx, data)
        sections = data.get("sections") or {}
        lines: list[tuple[str, dict[str, str]]] = []
        personal = sections.get("personal") or {}
        for q in BY_ID["personal"].fields:
            if q.slot in personal:
                lines.append((f"utter_data_{q.slot}", {"value": shown(q, personal[q.slot])}))
        if sections.get("photo"):
            lines.append(("utter_data_pf_photo", {}))
        for s in SECTIONS:
            label = {"section": f"choice:profile:{s.id}"}
            if not s.repeating or not sections.get(s.id):
                continue
            if declared_none(sections[s.id]):
                lines.append(("utter_data_profile_none", label))
                continue
            lines.append(("utter_data_profile_section", label))
            for entry in real_entries(sections[s.id]):
                say_entry = self._entry_line(s, entry)
                lines.append((say_entry.key, dict(say_entry.params)))
        if data.get("step") == FIELD and data.get("draft"):
            lines.append(
                ("utter_data_profile_draft", {"section": f"choice:profile:{data['section']}"})
            )
        if lines:
            lines.append(("utter_data_profile_how", {}))
        return lines
