"""The ranking contract, pure: the same on SQLite and PostgreSQL because the databases only
*select* candidates and this module orders them.

Selection (store.py): the open vacancies matching every typed word (each word by any of its
alternatives, see terms.py) or the job titles the text names exactly, and every filter
(place, abroad, disability-friendly, employment type, job group, featured); of those, the
CANDIDATES newest by catalogue order (id). Both databases return the same set.

Search score, 0-1, higher first, then the newer posting, then the higher id:

    0.85 x match     (max(words, 0.7 x job) + 0.15 x job x words) / 1.15, where
                       words = 0.75 x text + 0.25 x title: text is the mean over the words
                       of the best alternative's weight (1 as typed, 0.85 a longer word,
                       0.75 / 0.6 one / two typos; x 0.7 when found in the company name,
                       not the title), title the share of the title's words the search
                       matched (exact titles first);
                       job is 1 when the vacancy's occupation is a job title the text names
                       exactly ("satpam" finds a "Security Guard" coded 5414; "admin" puts
                       "Staf Administrasi" first), 0.6 for a near title used because no
                       typed word is in any vacancy
  + 0.10 x new       0.5 ** (days since posted / 14)
  + 0.05 x featured

Recommendation score, 0-1:

    0.50 x interest  1 for a desired job (same ISCO unit group); 0.7 for the group of a
                     desired job; the assessment's match percent / 100 for its top groups
  + 0.30 x place     1 same regency/city (or the registered country abroad), 0.6 same
                     province
  + 0.10 x new       as above
  + 0.05 x disability-friendly, when the person said they have a disability
  + 0.05 x featured
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import cache, lru_cache
from typing import Protocol, TypeVar

from bot.knowledge.catalog import catalog
from bot.vacancies.model import Profile, Reason, Recommendation, VacancyHit
from bot.vacancies.query import place_label
from bot.vacancies.terms import WordAlternatives, words

W_MATCH, W_NEW, W_FEATURED = 0.85, 0.10, 0.05
TEXT, TITLE, JOB, JOB_BONUS = 0.75, 0.25, 0.7, 0.15
W_INTEREST, W_PLACE, W_DISABILITY = 0.50, 0.30, 0.05
COMPANY_FACTOR = 0.7
HALF_LIFE_DAYS = 14.0
NEW_DAYS = 7
NEAR_TITLE_WEIGHT = 0.6
DESIRED_GROUP_WEIGHT = 0.7
PROVINCE_WEIGHT = 0.6


class Candidate(Protocol):
    """What ranking reads of a vacancy: a VacancyHit, or a database row before it is one
    (the store builds hits only for the page shown)."""

    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def company(self) -> str: ...
    @property
    def occupation_code(self) -> str | None: ...
    @property
    def posted_at(self) -> date: ...
    @property
    def featured(self) -> bool: ...
    @property
    def regency_code(self) -> str | None: ...
    @property
    def province_code(self) -> str | None: ...
    @property
    def country(self) -> str: ...
    @property
    def disability_friendly(self) -> bool: ...


C = TypeVar("C", bound=Candidate)


@dataclass(frozen=True)
class SearchPlan:
    """What a search looks for, resolved against the vocabulary (store.py builds it)."""

    words: tuple[WordAlternatives, ...] = ()
    jobs: tuple[tuple[str, float], ...] = ()  # (ISCO unit group, weight)

    def job_weight(self, code: str | None) -> float:
        for job, weight in self.jobs:
            if job == code:
                return weight
        return 0.0


@cache
def recency(posted_at: date, today: date) -> float:
    return float(0.5 ** (max(0, (today - posted_at).days) / HALF_LIFE_DAYS))


@lru_cache(maxsize=65536)
def _words(text: str) -> frozenset[str]:
    return frozenset(words(text))


def search_score(hit: Candidate, plan: SearchPlan, today: date) -> float:
    title, company = _words(hit.title), _words(hit.company)
    text = coverage = 0.0
    if plan.words:
        found_in_title: set[str] = set()
        total = 0.0
        for word in plan.words:
            best = 0.0
            for term, weight in word.terms:
                if term in title:
                    best = max(best, weight)
                    found_in_title.add(term)
                elif term in company:
                    best = max(best, weight * COMPANY_FACTOR)
            total += best
        text = total / len(plan.words)
        coverage = len(found_in_title) / len(title) if title else 0.0
    job = plan.job_weight(hit.occupation_code)
    words = TEXT * text + TITLE * coverage
    match = (max(words, JOB * job) + JOB_BONUS * job * words) / (1 + JOB_BONUS)
    score = W_MATCH * match + W_NEW * recency(hit.posted_at, today) + W_FEATURED * hit.featured
    return round(score, 4)


def _key(scored: tuple[float, Candidate]) -> tuple[float, int, int]:
    score, hit = scored
    return (-score, -hit.posted_at.toordinal(), -hit.id)


def order_search(hits: Iterable[C], plan: SearchPlan, today: date) -> list[tuple[float, C]]:
    """(score, vacancy), best first; ties: the newer posting, then the higher id."""
    return sorted(((search_score(h, plan, today), h) for h in hits), key=_key)


def rank_search(hits: Iterable[VacancyHit], plan: SearchPlan, today: date) -> list[VacancyHit]:
    return [replace(h, score=s) for s, h in order_search(hits, plan, today)]


# -- recommendations -------------------------------------------------------------------------


@dataclass(frozen=True)
class Interests:
    """A profile turned into weights: ISCO unit groups and 2-digit job groups."""

    jobs: Mapping[str, str]  # unit group → desired title
    groups: Mapping[str, float]  # job group → weight (0-1)
    assessed: frozenset[str] = frozenset()  # the job groups the self-assessment ranked


def interests(profile: Profile) -> Interests:
    data = catalog()
    jobs: dict[str, str] = {}
    groups: dict[str, float] = {}
    for title in profile.desired_titles:
        occupation = data.occupation(title)
        if occupation is None:
            continue
        jobs.setdefault(occupation.isco, occupation.title)
        groups[occupation.group] = max(groups.get(occupation.group, 0.0), DESIRED_GROUP_WEIGHT)
    for code, percent in profile.groups:
        groups[code] = max(groups.get(code, 0.0), max(0, min(100, percent)) / 100)
    return Interests(jobs, groups, frozenset(code for code, _ in profile.groups))


def recommendation(
    hit: Candidate, profile: Profile, wanted: Interests, today: date
) -> tuple[float, tuple[Reason, ...]]:
    reasons: list[Reason] = []
    code = hit.occupation_code or ""
    interest = 0.0
    if code in wanted.jobs:
        interest = 1.0
        reasons.append(Reason("desired_job", code, wanted.jobs[code]))
    elif code[:2] in wanted.groups:
        interest = wanted.groups[code[:2]]
        # (the assessment's interest, else the group of a job they want: said as such)
        kind = "interest" if code[:2] in wanted.assessed else "desired_group"
        reasons.append(Reason(kind, code[:2], group_name(code[:2])))
    place = 0.0
    if profile.country and profile.country != "ID":
        if hit.country == profile.country:
            place = 1.0
            reasons.append(
                Reason("country", hit.country, place_label(None, None, None, hit.country))
            )
    elif profile.regency_code and hit.regency_code == profile.regency_code:
        place = 1.0
        name = place_label(hit.regency_code, None, None, "ID")
        reasons.append(Reason("regency", hit.regency_code, name))
    elif profile.province_code and hit.province_code == profile.province_code:
        place = PROVINCE_WEIGHT
        province = catalog().province(profile.province_code)
        reasons.append(Reason("province", profile.province_code, province.name if province else ""))
    friendly = profile.disability and hit.disability_friendly
    if friendly:
        reasons.append(Reason("disability_friendly"))
    if (today - hit.posted_at).days <= NEW_DAYS:
        reasons.append(Reason("new"))
    score = (
        W_INTEREST * interest
        + W_PLACE * place
        + W_NEW * recency(hit.posted_at, today)
        + W_DISABILITY * friendly
        + W_FEATURED * hit.featured
    )
    return round(score, 4), tuple(reasons)


def order_recommendations(
    hits: Iterable[C], profile: Profile, today: date
) -> list[tuple[float, C, tuple[Reason, ...]]]:
    """(score, vacancy, reasons), best first, each vacancy once; ties as in search."""
    wanted = interests(profile)
    unique = {h.id: h for h in hits}.values()
    scored = [(*recommendation(h, profile, wanted, today), h) for h in unique]
    ordered = sorted(scored, key=lambda s: _key((s[0], s[2])))
    return [(score, h, reasons) for score, reasons, h in ordered]


def rank_recommendations(
    hits: Iterable[VacancyHit], profile: Profile, today: date
) -> list[Recommendation]:
    return [
        Recommendation(replace(h, score=s), reasons)
        for s, h, reasons in order_recommendations(hits, profile, today)
    ]


def group_name(code: str) -> str:
    group = catalog().groups.get(code)
    return group.name if group else code
