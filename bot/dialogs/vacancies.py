"""Lowongan kerja (issue 8, journeys 1-3; Pedoman 3.5 steps 6-10): search the catalogue as
people type, "Lowongan untukku", a vacancy's card and "Lamar sekarang". Diagram:
vacancies.mmd.

- **The hub** is the search question: whatever the person types is a search ("operator
  produksi bekasi", "PT Astra", "opertor"); its buttons open "Lowongan untukku", browsing
  (job groups, latest, featured companies), and the portfolio and CV dialogs (``menu:portfolio``,
  ``menu:cv``, built apart: while one is missing, its button says kindly it is not ready).
- **Results** come 5 to a page (title, company, place, wage when known, how long ago),
  with next/previous (``vp:<token>:<page>``: a button of an older search is refused as
  stale), filters (Indonesia/abroad, disability-friendly, employment type), and, when
  nothing is found, broader searches (without the place or the filters, similar titles, the
  latest): never a dead end. A place that may mean two (Kota or Kabupaten Bekasi) is asked.
  By SMS and WhatsApp (``ctx.channel``) a page holds 3, each one numbered option (title,
  company, place; the wage and the rest on the card), and the job groups to browse come 5
  at a time with "Golongan lainnya" (``vcatp:<page>``): each screen fits a text message.
- **Lowongan untukku**: ranked by the assessment's groups, the desired jobs and the
  registered place (store.recommend), each with one line on why (not by SMS and WhatsApp,
  where a vacancy is its numbered option alone).
- **The card**: everything about the vacancy, and whether the person meets its stated age,
  education and place as far as the profile tells. "Lamar sekarang" records one application
  per vacancy (:class:`RecordApplication`, with a snapshot of the CV) and says how many
  companies this month so far.

The catalogue is reached only through ``ctx.ask`` (bot/vacancies/asks.py). The conversation
keeps ``{"step", "q": the current search, "page" (of results, or of the job groups), "from":
the list a card was opened from, "card": its id, "companies": the featured companies
offered}``; applications are records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from bot.core.types import Context, Input, Say, Turn, combine, say
from bot.dialogs.base import DialogDefaults
from bot.link.model import PHONE_CHANNELS
from bot.records.model import (
    ApplicationRecord,
    ApplicationsQuery,
    AssessmentsQuery,
    ProfileQuery,
    ProfileRecord,
    RecordApplication,
    RegistrationQuery,
    RegistrationRecord,
)
from bot.rules.config import RuleSettings
from bot.rules.ledger import BenefitMonth, CatalogueApplication, month_of, month_progress
from bot.rules.parsing import format_date, format_rupiah
from bot.vacancies import callbacks
from bot.vacancies.asks import (
    CategoriesQuery,
    FeaturedCompaniesQuery,
    RecommendVacancies,
    SearchVacancies,
    VacancyDetailQuery,
)
from bot.vacancies.model import (
    PAGE_SIZE,
    TEXT_MESSAGE_PAGE_SIZE,
    PlaceOption,
    Profile,
    Reason,
    SearchPage,
    VacancyDetail,
    VacancyHit,
    VacancyQuery,
)
from bot.vacancies.query import is_question, place_label, understand
from bot.vacancies.ranking import group_name

NAME = "vacancies"
SEARCH, RESULTS, PLACE, FORME, CARD, FILTERS, CATEGORIES, COMPANIES = (
    "vac_search", "results", "place", "forme", "card", "filters", "categories", "companies",
)  # fmt: skip
ASK_SEARCH = "utter_ask_vac_search"
CONFIRM_SEARCH = "confirm:vac_search:"  # the read-back of a search said at the menu
# Payloads (Telegram: at most 64 bytes). vac:<id>, vp:, vpl:, vs: are bot/vacancies/callbacks.
APPLY = "vapply"  # vapply:<vacancy id>
FORME_PAGE = "vfm"  # vfm:<page> of "Lowongan untukku"
CATEGORY = "vcat"  # vcat:<job group>
CATEGORY_PAGE = "vcatp"  # vcatp:<page> of the job groups (SMS and WhatsApp)
COMPANY = "vco"  # vco:<index of the companies offered>
FORME, LATEST, FEATURED = "vac:forme", "vac:latest", "vac:featured"
BROWSE_CATEGORIES, OPEN_FILTERS, NEW_SEARCH, BACK_TO_LIST = (
    "vac:categories", "vac:filters", "vac:new", "vac:results",
)  # fmt: skip
ELSEWHERE = {"menu:portfolio": "utter_vac_soon_portfolio", "menu:cv": "utter_vac_soon_cv"}
FILTER_CHOICES: dict[str, dict[str, Any]] = {
    "vf:id": {"abroad": False},
    "vf:abroad": {"abroad": True},
    "vf:disability": {"disability_friendly": True},
    "vf:pkwt": {"employment_types": ("pkwt",)},
    "vf:pkwtt": {"employment_types": ("pkwtt",)},
    "vf:harian": {"employment_types": ("harian",)},
    "vf:magang": {"employment_types": ("magang",)},
    "vf:lainnya": {"employment_types": ("lainnya",)},
    "vf:clear": {"abroad": None, "disability_friendly": False, "employment_types": ()},
}
SUGGESTION_KEYS = {
    "without_place": "utter_vac_suggest_without_place",
    "without_filters": "utter_vac_suggest_without_filters",
    "similar_title": "utter_vac_suggest_similar_title",
    "latest": "utter_vac_suggest_latest",
}
MIN_TEXT, MAX_TEXT = 2, 100
CHOICE_TITLE = 60  # characters of a vacancy's button
TEXT_CHOICE_TITLE = 70  # of its numbered line by SMS and WhatsApp (title, company, place)
CATEGORIES_SHOWN = 12  # job groups offered to browse, most vacancies first
TEXT_CATEGORIES_PAGE = 5  # of them a page by SMS and WhatsApp
EDUCATION_RANK = {
    "sd": 1, "smp": 2, "sma": 3, "smk": 3, "d1": 4, "d2": 4, "d3": 4, "diploma": 4,
    "d4": 5, "s1": 5, "s2": 6, "s3": 7,
}  # fmt: skip
NO_CONDITION = ("none", "undisclosed", "")


# -- wording helpers (data, numbers and signs; the prose is in domain.yml) -------------------
def ago(posted: date, today: date) -> str:
    """How long ago a vacancy was posted, as people say it."""
    days = (today - posted).days
    if days <= 0:
        return "hari ini"
    if days == 1:
        return "kemarin"
    if days < 14:
        return f"{days} hari lalu"
    if days < 60:
        return f"{days // 7} minggu lalu"
    return f"{days // 30} bulan lalu"


def wage_range(wage_min: int | None, wage_max: int | None) -> str:
    if wage_min and wage_max and wage_min != wage_max:
        return f"{format_rupiah(wage_min)} - {format_rupiah(wage_max)}"
    if wage_min or wage_max:
        return format_rupiah(wage_min or wage_max or 0)
    return ""


def text_messages(ctx: Context) -> bool:
    """Whether the person reads this on SMS or WhatsApp: short screens, a segment budget."""
    return ctx.channel in PHONE_CHANNELS


def page_size(ctx: Context) -> int:
    """Vacancies a page shows on this channel (page numbers and offsets count these)."""
    return TEXT_MESSAGE_PAGE_SIZE if text_messages(ctx) else PAGE_SIZE


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def hit_line(n: int, hit: VacancyHit, today: date) -> Say:
    """One line of a result page, its button opening the card."""
    wage = wage_range(hit.wage_min, hit.wage_max)
    params = {"n": str(n), "title": hit.title, "company": hit.company, "place": hit.place,
              "wage": f", {wage}" if wage else "", "ago": ago(hit.posted_at, today)}  # fmt: skip
    title = _cut(f"{hit.title} - {hit.company}", CHOICE_TITLE)
    return Say("utter_vac_hit", params, ((title, callbacks.card(hit.id)),))


def hit_option(hit: VacancyHit) -> tuple[str, str]:
    """A vacancy as one numbered option by SMS and WhatsApp: title, company and place (the
    wage and the rest are on its card)."""
    title = _cut(f"{hit.title} - {hit.company}, {hit.place}", TEXT_CHOICE_TITLE)
    return title, callbacks.card(hit.id)


def _listed(ctx: Context, lines: Sequence[Say], hits: Sequence[VacancyHit], pages: Sequence[Say],
            ask: Say) -> list[Say]:  # fmt: skip
    """A page's vacancies, its next/previous buttons and its question. By SMS and WhatsApp
    the vacancies are the first options (numbered 1, 2, 3, then the pages and the rest),
    without a line above each that would say them twice."""
    if not text_messages(ctx):
        return [*lines, *pages, ask]
    first, *rest = [*pages, ask]
    return [replace(first, choices=(*map(hit_option, hits), *first.choices)), *rest]


GROUP_WHY = {  # a job group's reason: (key, key with the place)
    "interest": ("utter_vac_why_interest", "utter_vac_why_interest_place"),  # the assessment's
    "desired_group": ("utter_vac_why_desired_group", "utter_vac_why_desired_group_place"),
}


def why_line(reasons: Sequence[Reason]) -> Say | None:
    """Why a vacancy was recommended, in one line."""
    kinds = {r.kind: r for r in reasons}
    place = next((kinds[k].name for k in ("regency", "province", "country") if k in kinds), "")
    if (job := kinds.get("desired_job")) is not None:
        key = "utter_vac_why_job_place" if place else "utter_vac_why_job"
        return Say(key, {"name": job.name, "place": place})
    for kind, (alone, with_place) in GROUP_WHY.items():
        if (group := kinds.get(kind)) is not None:
            return Say(with_place if place else alone, {"name": group.name, "place": place})
    if place:
        return Say("utter_vac_why_place", {"place": place})
    if "new" in kinds:
        return Say("utter_vac_why_new")
    return None


def query_to_data(q: VacancyQuery) -> dict[str, Any]:
    return {
        "text": q.text,
        "places": [[p.kind, p.code, p.name] for p in q.places],
        "ignore_place": q.ignore_place,
        "abroad": q.abroad,
        "disability": q.disability_friendly,
        "types": list(q.employment_types),
        "group": q.group,
        "featured": q.featured,
    }


def query_from_data(d: Mapping[str, Any]) -> VacancyQuery:
    return VacancyQuery(
        text=str(d.get("text") or ""),
        places=tuple(PlaceOption(k, c, n) for k, c, n in d.get("places") or ()),
        ignore_place=bool(d.get("ignore_place")),
        abroad=d.get("abroad"),
        disability_friendly=bool(d.get("disability")),
        employment_types=tuple(d.get("types") or ()),
        group=d.get("group"),
        featured=bool(d.get("featured")),
    )


def person_profile(
    assessments: Sequence[Any], registration: RegistrationRecord | None, resume: ProfileRecord
) -> tuple[Profile, bool]:
    """What a recommendation knows of the person: the last assessment's groups and desired
    jobs, the registered job and place (else the domicile of the resume); and whether
    anything at all is known."""
    groups: tuple[tuple[str, int], ...] = ()
    desired: list[str] = []
    if assessments:
        last = assessments[-1]
        groups = tuple((g.code, g.percent) for g in last.groups)
        desired.extend(last.desired)
    province = regency = country = None
    disability = False
    if registration is not None:
        if registration.job and registration.job not in desired:
            desired.insert(0, registration.job)
        province, regency, country = (
            registration.province, registration.regency, registration.country,
        )  # fmt: skip
        disability = registration.condition not in NO_CONDITION
    personal = resume.single("personal") or {}
    if not (province or regency or country) and (home := personal.get("pf_domicile")):
        regency, province = str(home), str(home)[:2]
    profile = Profile(
        groups=groups, desired_titles=tuple(desired), province_code=province,
        regency_code=regency, country=country, disability=disability,
    )  # fmt: skip
    known = bool(groups or desired or province or regency or country)
    return profile, known


def _years(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def fit_lines(
    detail: VacancyDetail,
    resume: ProfileRecord,
    registration: RegistrationRecord | None,
    today: date,
) -> list[Say]:
    """Whether the person meets the vacancy's stated age, education and place, as far as
    the profile tells (unknown is said as unknown, never guessed)."""
    lines: list[Say] = []
    personal = resume.single("personal") or {}
    if detail.age_max:
        age = {"age": str(detail.age_max)}
        try:
            birth = date.fromisoformat(str(personal.get("pf_birth_date") or ""))
        except ValueError:
            lines.append(Say("utter_vac_fit_age_unknown", age))
        else:
            years = _years(birth, today)
            key = "utter_vac_fit_age_ok" if years <= detail.age_max else "utter_vac_fit_age_no"
            lines.append(Say(key, {**age, "years": str(years)}))
    if detail.education_min:
        need = EDUCATION_RANK.get(detail.education_min.lower(), 0)
        levels = [
            EDUCATION_RANK.get(str(e.get("pf_edu_level") or "").lower(), 0)
            for e in resume.sections.get("education") or ()
        ]
        edu = {"education": detail.education_min}
        if not any(levels):
            lines.append(Say("utter_vac_fit_edu_unknown", edu))
        else:
            ok = max(levels) >= need
            lines.append(Say("utter_vac_fit_edu_ok" if ok else "utter_vac_fit_edu_no", edu))
    hit = detail.hit
    province = regency = None
    country = "ID"
    if registration is not None and (registration.province or registration.country):
        province, regency = registration.province, registration.regency
        country = registration.country or "ID"
    elif home := personal.get("pf_domicile"):
        regency, province = str(home), str(home)[:2]
    where = {"place": hit.place}
    if province is None and country == "ID":
        lines.append(Say("utter_vac_fit_place_unknown", where))
    else:
        home_label = place_label(regency, province, None, country)
        if country != "ID" or hit.country != "ID":
            same = hit.country == country
        elif regency and hit.regency_code:
            same = regency == hit.regency_code
        else:
            same = province == hit.province_code
        key = "utter_vac_fit_place_ok" if same else "utter_vac_fit_place_other"
        lines.append(Say(key, {**where, "home": home_label}))
    return lines


class VacanciesDialog(DialogDefaults):
    name = NAME

    def __init__(self, rules: RuleSettings | None = None) -> None:
        self.rules = rules or RuleSettings()

    # -- protocol ---------------------------------------------------------------------
    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """The hub; ``entry`` "forme" (menu:vacancies:forme, the assessment's "Cari
        lowongan golongan ini") opens "Lowongan untukku" at once."""
        if data.get("entry") == "forme":
            return self._forme(ctx, {}, 0)
        return self._hub()

    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        if inp.proposed:
            return self._read_back(data, inp.text)
        if inp.choice:
            return self._choice(ctx, data, inp.choice)
        if inp.media:
            return self._again(ctx, data, Say("utter_invalid_media"))
        text = " ".join(inp.text.split())
        if not MIN_TEXT <= len(text) <= MAX_TEXT:
            return self._again(ctx, data, Say("utter_invalid_vac_search"))
        return self._search(ctx, data, text)

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        step = data.get("step")
        if step == CARD and data.get("from"):
            return self._back_to_list(ctx, data, Say("utter_back_ok"))
        if step in (None, SEARCH):
            return self._hub(Say("utter_back_at_start"))
        return self._hub(Say("utter_back_ok"))

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn({}, (), done=True)

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self._again(ctx, data)

    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        """DATA: the search in progress (what was typed). The applications made here are
        listed by "Lamaran saya" (bot/dialogs/portfolio.py), with their status."""
        lines: list[tuple[str, dict[str, str]]] = []
        if (q := data.get("q")) and q.get("text"):
            lines.append(("utter_data_vac_search", {"value": str(q["text"])}))
        return lines

    # -- screens ----------------------------------------------------------------------
    def _hub(self, *first: Say) -> Turn:
        return Turn({"step": SEARCH}, (combine(*first, Say(ASK_SEARCH)),))

    def _again(self, ctx: Context, data: dict[str, Any], *first: Say) -> Turn:
        """The current screen again, after ``first`` (a problem, a note)."""
        step = data.get("step")
        if step == CARD and data.get("card"):
            return self._card(ctx, data, int(data["card"]), *first)
        if step in (RESULTS, PLACE) and data.get("q") is not None:
            return self._results(ctx, data, query_from_data(data["q"]), int(data.get("page") or 0),
                                 *first)  # fmt: skip
        if step == FORME:
            return self._forme(ctx, data, int(data.get("page") or 0), *first)
        if step == FILTERS:
            return Turn(data, (combine(*first, Say("utter_ask_vac_filters")),))
        if step == CATEGORIES:
            return self._categories(ctx, int(data.get("page") or 0), *first)
        if step == COMPANIES:
            return self._companies(ctx, data, *first)
        return self._hub(*first)

    def _read_back(self, data: dict[str, Any], text: str) -> Turn:
        """A search said at the menu ("cari loker sopir di surabaya"): read back to confirm
        (the router shows it above the hub's question)."""
        said = " ".join(text.split())
        payload = CONFIRM_SEARCH + said
        while len(payload.encode()) > callbacks.MAX_BYTES:
            said = said[:-1].rstrip()
            payload = CONFIRM_SEARCH + said
        confirm = Say("utter_confirm_vac_search", {"value": said}, ((said, payload),))
        return Turn(data, (combine(confirm, Say(ASK_SEARCH)),))

    def _search(self, ctx: Context, data: dict[str, Any], text: str) -> Turn:
        """A typed search; the filters chosen for the search on screen stay."""
        base = query_from_data(data["q"]) if data.get("q") is not None else VacancyQuery()
        q = VacancyQuery(
            text=text, abroad=base.abroad, disability_friendly=base.disability_friendly,
            employment_types=base.employment_types,
        )  # fmt: skip
        page: SearchPage = ctx.ask(SearchVacancies(q, ctx.today, page_size(ctx)))
        und = page.understood
        if not page.hits and (
            is_question(text)
            or (
                und.words
                and not und.places
                and set(page.unknown_words) >= set(und.words)
                and not any(s.kind == "similar_title" for s in page.suggestions)
            )
        ):
            # A question that finds nothing ("kapan batas klaim?"), or no word of it is in
            # any vacancy: perhaps not a search at all ("kapan cair min"). Said as not found
            # with the data kept, so the router may answer a question instead
            # (bot/core/freetext.py ``unread``); the screen stays.
            return self._again(ctx, data, Say("utter_vac_not_found", {"query": text}))
        return self._results(ctx, data, q, 0)

    def _results(
        self, ctx: Context, data: dict[str, Any], q: VacancyQuery, page_no: int, *first: Say
    ) -> Turn:
        page: SearchPage = ctx.ask(SearchVacancies(q.at_page(page_no), ctx.today, page_size(ctx)))
        kept = {"step": RESULTS, "q": query_to_data(q), "page": page_no}
        if data.get("companies"):
            kept["companies"] = data["companies"]
        und = page.understood
        if q.text and und.ambiguous_place and not q.places and not q.ignore_place:
            choices = tuple((p.name, callbacks.place(q, i)) for i, p in enumerate(und.places))
            ask = Say("utter_ask_vac_place", {"place": und.place}, choices)
            return Turn({**kept, "step": PLACE}, (combine(*first, ask),))
        if not page.hits and page.total and page_no:  # the catalogue changed: the first page
            return self._results(ctx, data, q, 0, *first)
        parts = [*first, self._head(q)]
        if not page.hits:
            parts.append(Say("utter_vac_none"))
            for i, s in enumerate(page.suggestions):
                params = {"token": callbacks.query_token(q), "i": str(i),
                          "label": s.label, "count": str(s.count)}  # fmt: skip
                parts.append(Say(SUGGESTION_KEYS.get(s.kind, "utter_vac_suggest_latest"), params))
            parts.append(Say("utter_ask_vac_broader"))
            return Turn(kept, (combine(*parts),))
        counted = {"total": str(page.total), "page": str(page_no + 1), "pages": str(page.pages)}
        parts.append(Say("utter_vac_page_many" if page.more else "utter_vac_page", counted))
        if page.unknown_words:
            parts.append(Say("utter_vac_unknown_words", {"words": ", ".join(page.unknown_words)}))
        if q.abroad is not None or q.disability_friendly or q.employment_types:
            parts.append(Say("utter_vac_filtered"))
        if any(h.sample for h in page.hits):
            parts.append(Say("utter_vac_sample_note"))
        # numbered from 1 on every page: the same numbers as the options on plain channels
        lines = [hit_line(i, h, ctx.today) for i, h in enumerate(page.hits, 1)]
        token = callbacks.query_token(q)
        pages: list[Say] = []
        if page.has_next:
            pages.append(Say("utter_vac_next", {"token": token, "page": str(page_no + 1)}))
        if page.has_previous:
            pages.append(Say("utter_vac_previous", {"token": token, "page": str(page_no - 1)}))
        parts.extend(_listed(ctx, lines, page.hits, pages, Say("utter_ask_vac_results")))
        return Turn(kept, (combine(*parts),))

    @staticmethod
    def _head(q: VacancyQuery) -> Say:
        if q.group:
            return Say("utter_vac_results_group", {"name": group_name(q.group)})
        if q.featured and q.text:
            return Say("utter_vac_results_company", {"company": q.text})
        if q.text:
            return Say("utter_vac_results", {"query": q.text})
        return Say("utter_vac_results_latest")

    def _forme(self, ctx: Context, data: dict[str, Any], page_no: int, *first: Say) -> Turn:
        """Lowongan untukku: the person's records → a profile → ranked vacancies."""
        assessments, registration, resume = ctx.ask_all(
            AssessmentsQuery(), RegistrationQuery(), ProfileQuery()
        )
        profile, known = person_profile(assessments, registration, resume)
        size = page_size(ctx)
        found = ctx.ask(RecommendVacancies(profile, ctx.today, page_no, size))
        if not found and page_no:
            return self._forme(ctx, data, 0, *first)
        kept = {"step": FORME, "page": page_no}
        parts = [*first, Say("utter_vac_forme_head" if known else "utter_vac_forme_no_profile")]
        if not found:
            parts.append(Say("utter_vac_forme_none"))
            return Turn({"step": SEARCH}, (combine(*parts, Say(ASK_SEARCH)),))
        shown = found[:size]
        if any(r.hit.sample for r in shown):
            parts.append(Say("utter_vac_sample_note"))
        lines: list[Say] = []
        for i, rec in enumerate(shown, 1):
            lines.append(hit_line(i, rec.hit, ctx.today))
            if (why := why_line(rec.reasons)) is not None:
                lines.append(why)
        pages: list[Say] = []
        if len(found) > size:
            pages.append(Say("utter_vac_forme_next", {"page": str(page_no + 1)}))
        if page_no:
            pages.append(Say("utter_vac_forme_previous", {"page": str(page_no - 1)}))
        # what would help comes after the vacancies, so their numbers are the options' numbers
        ask = Say("utter_ask_vac_forme" if known else "utter_ask_vac_forme_no_profile")
        parts.extend(_listed(ctx, lines, [r.hit for r in shown], pages, ask))
        return Turn(kept, (combine(*parts),))

    def _categories(self, ctx: Context, page_no: int, *first: Say) -> Turn:
        """The job groups with the most vacancies; by SMS and WhatsApp a page of them at a
        time, then "Golongan lainnya" (after the last page, the first again)."""
        groups = ctx.ask(CategoriesQuery())[:CATEGORIES_SHOWN]
        if not groups:
            return self._hub(*first, Say("utter_vac_catalogue_empty"))
        size = TEXT_CATEGORIES_PAGE if text_messages(ctx) else CATEGORIES_SHOWN
        pages = -(-len(groups) // size)
        page_no = page_no if 0 <= page_no < pages else 0
        shown = groups[page_no * size : (page_no + 1) * size]
        choices = tuple((f"{name} ({n})", f"{CATEGORY}:{code}") for code, name, n in shown)
        parts = [*first, Say("utter_ask_vac_category", choices=choices)]
        if pages > 1:
            parts.append(Say("utter_vac_category_more", {"page": str((page_no + 1) % pages)}))
        return Turn({"step": CATEGORIES, "page": page_no}, (combine(*parts),))

    def _companies(self, ctx: Context, data: dict[str, Any], *first: Say) -> Turn:
        companies = ctx.ask(FeaturedCompaniesQuery())
        if not companies:
            return self._hub(*first, Say("utter_vac_no_featured"))
        names = [name for name, _ in companies]
        choices = tuple(
            (f"{name} ({n})", f"{COMPANY}:{i}") for i, (name, n) in enumerate(companies)
        )
        return Turn({"step": COMPANIES, "companies": names},
                    (combine(*first, Say("utter_ask_vac_company", choices=choices)),))  # fmt: skip

    def _card(self, ctx: Context, data: dict[str, Any], vacancy_id: int, *first: Say) -> Turn:
        detail, applications, resume, registration = ctx.ask_all(
            VacancyDetailQuery(vacancy_id), ApplicationsQuery(), ProfileQuery(), RegistrationQuery()
        )
        if detail is None:
            return self._again(ctx, {**data, "step": data.get("from") or SEARCH}
                               if data.get("step") == CARD else data,
                               *first, Say("utter_vac_gone"))  # fmt: skip
        came_from = data.get("step") if data.get("step") in (RESULTS, FORME) else data.get("from")
        kept = {k: v for k, v in data.items() if k in ("q", "page", "companies")}
        kept.update({"step": CARD, "card": vacancy_id, "from": came_from})
        hit = detail.hit
        wage = wage_range(hit.wage_min, hit.wage_max)
        params = {
            "title": hit.title, "company": hit.company, "place": hit.place,
            "wage": wage or "-", "type": f"choice:vf:{hit.employment_type}",
            "date": format_date(hit.posted_at), "ago": ago(hit.posted_at, ctx.today),
            "closes": format_date(hit.closes_at) if hit.closes_at else "-",
            "openings": str(detail.openings),
        }  # fmt: skip
        parts = [*first, Say("utter_vac_card", params)]
        if hit.sample:
            parts.append(Say("utter_vac_sample_note"))
        if detail.description:
            parts.append(Say("utter_vac_card_description", {"description": detail.description}))
        if detail.requirements:
            parts.append(Say("utter_vac_card_requirements", {"requirements": detail.requirements}))
        if hit.disability_friendly:
            parts.append(Say("utter_vac_card_disability"))
        parts.append(Say("utter_vac_fit_intro"))
        parts.extend(fit_lines(detail, resume, registration, ctx.today))
        applied = _applied(applications, hit)
        if applied is not None:
            parts.append(Say("utter_vac_card_applied", {"date": format_date(applied.applied_on)}))
            parts.append(Say("utter_ask_vac_card_done"))
        elif detail.status != "open":
            parts.append(Say("utter_vac_card_closed"))
            parts.append(Say("utter_ask_vac_card_done"))
        else:
            if not any(resume.sections.values()):  # the CV sent would be empty: say so first
                parts.append(Say("utter_vac_card_cv_empty"))
            parts.append(Say("utter_ask_vac_card", {"vacancy": str(hit.id)}))
        return Turn(kept, (combine(*parts),))

    def _back_to_list(self, ctx: Context, data: dict[str, Any], *first: Say) -> Turn:
        came_from = data.get("from")
        if came_from == FORME:
            return self._forme(ctx, data, int(data.get("page") or 0), *first)
        if came_from == RESULTS and data.get("q") is not None:
            return self._results(ctx, data, query_from_data(data["q"]), int(data.get("page") or 0),
                                 *first)  # fmt: skip
        return self._hub(*first)

    # -- actions ----------------------------------------------------------------------
    def _choice(self, ctx: Context, data: dict[str, Any], choice: str) -> Turn:
        if choice.startswith(CONFIRM_SEARCH) and len(choice) > len(CONFIRM_SEARCH):
            return self._search(ctx, data, choice.removeprefix(CONFIRM_SEARCH))
        if choice in ELSEWHERE:  # the portfolio and CV dialogs, when not installed
            return self._again(ctx, data, Say(ELSEWHERE[choice]))
        if choice == FORME:
            return self._forme(ctx, data, 0)
        if choice == LATEST:
            return self._results(ctx, data, VacancyQuery(), 0)
        if choice == BROWSE_CATEGORIES:
            return self._categories(ctx, 0)
        if choice == FEATURED:
            return self._companies(ctx, data)
        if choice == NEW_SEARCH:
            return self._hub()
        if choice == OPEN_FILTERS:
            return Turn({**data, "step": FILTERS}, (say("utter_ask_vac_filters"),))
        if choice == BACK_TO_LIST:
            return self._back_to_list(ctx, data)
        if choice in FILTER_CHOICES:
            base = query_from_data(data["q"]) if data.get("q") is not None else VacancyQuery()
            return self._results(ctx, data, replace(base, **FILTER_CHOICES[choice]), 0)
        prefix, _, rest = choice.partition(":")
        if prefix == APPLY and rest.isdigit():
            return self._apply(ctx, data, int(rest))
        if prefix == FORME_PAGE and rest.isdigit():
            return self._forme(ctx, data, int(rest))
        if prefix == CATEGORY and len(rest) == 2 and rest.isdigit():
            return self._results(ctx, data, VacancyQuery(group=rest), 0)
        if prefix == CATEGORY_PAGE and rest.isdigit():
            return self._categories(ctx, int(rest))
        if prefix == COMPANY and rest.isdigit():
            companies = data.get("companies") or []
            if data.get("step") == COMPANIES and int(rest) < len(companies):
                company = str(companies[int(rest)])
                q = VacancyQuery(text=company, ignore_place=True, featured=True)
                return self._results(ctx, {**data, "companies": []}, q, 0)
            return self._again(ctx, data, Say("utter_invalid_stale_button"))
        return self._callback(ctx, data, choice)

    def _callback(self, ctx: Context, data: dict[str, Any], choice: str) -> Turn:
        """The catalogue's buttons (bot/vacancies/callbacks.py): a card any time; a page,
        a place or a suggestion only of the search on screen."""
        payload = callbacks.parse(choice)
        if payload is None:
            return self._again(ctx, data, Say("utter_invalid_stale_button"))
        if payload.kind == "vac":
            return self._card(ctx, data, payload.number)
        current = query_from_data(data["q"]) if data.get("q") is not None else None
        if current is None or callbacks.query_token(current) != payload.token:
            return self._again(ctx, data, Say("utter_invalid_stale_button"))
        if payload.kind == "vp":
            return self._results(ctx, data, current, payload.number)
        if payload.kind == "vpl":
            places = understand(current.text).places
            if payload.number >= len(places) or data.get("step") != PLACE:
                return self._again(ctx, data, Say("utter_invalid_stale_button"))
            chosen = replace(current, places=(places[payload.number],))
            return self._results(ctx, data, chosen, 0)
        # vs: a broader search offered for an empty result
        page: SearchPage = ctx.ask(SearchVacancies(current.at_page(0), ctx.today, page_size(ctx)))
        if payload.number >= len(page.suggestions):
            return self._again(ctx, data, Say("utter_invalid_stale_button"))
        return self._results(ctx, data, page.suggestions[payload.number].query, 0)

    def _apply(self, ctx: Context, data: dict[str, Any], vacancy_id: int) -> Turn:
        """Lamar sekarang: one application per vacancy, with a snapshot of the CV."""
        detail, applications, resume = ctx.ask_all(
            VacancyDetailQuery(vacancy_id), ApplicationsQuery(), ProfileQuery()
        )
        if detail is None or detail.status != "open":
            return self._again(ctx, data, Say("utter_vac_closed"))
        hit = detail.hit
        done = {"title": hit.title, "company": hit.company}
        if (earlier := _applied(applications, hit)) is not None:
            said = Say("utter_vac_already_applied",
                       {**done, "date": format_date(earlier.applied_on)})  # fmt: skip
            return self._after_apply(data, vacancy_id, said)
        effect = RecordApplication(
            hit.source, hit.source_id, hit.title, hit.company, hit.place, vacancy_id=hit.id,
            via="catalogue", cv=resume.as_data(), on=ctx.today,
        )  # fmt: skip
        counted = self._month_count(ctx, applications, hit.company)
        turn = self._after_apply(data, vacancy_id, Say("utter_vac_applied", done), counted)
        return replace(turn, effects=(effect,))

    def _after_apply(self, data: dict[str, Any], vacancy_id: int, *said: Say) -> Turn:
        kept = {k: v for k, v in data.items() if k in ("q", "page", "from", "companies")}
        kept.update({"step": CARD, "card": vacancy_id})
        return Turn(kept, (combine(*said, Say("utter_ask_vac_after_apply")),))

    def _month_count(
        self, ctx: Context, applications: Sequence[ApplicationRecord], company: str
    ) -> Say:
        """How many companies this month so far, the new application included: the benefit
        month when its start is known (the ledger's count), else the calendar month."""
        today = ctx.today
        start = ctx.person.benefit_start if ctx.person else None
        month = month_of(start, today, self.rules) if start else None
        span = month or BenefitMonth(0, today.replace(day=1), _next_month(today))
        apps = [CatalogueApplication(a.company, a.applied_on) for a in applications]
        apps.append(CatalogueApplication(company, today))
        progress = month_progress(apps, (), span, today, self.rules)
        route = progress.routes[0]  # the catalogue (or both, counted as one)
        params = {"done": str(route.done), "required": str(route.required)}
        if month is None:
            return Say("utter_vac_month_count_calendar", params)
        return Say("utter_vac_month_count", {**params, "number": str(month.number)})


def _applied(
    applications: Sequence[ApplicationRecord], hit: VacancyHit
) -> ApplicationRecord | None:
    return next(
        (a for a in applications if (a.source, a.source_id) == (hit.source, hit.source_id)), None
    )


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)
