"""Pure values of the vacancy catalogue: what is imported, asked, found and recommended.

Frozen and hashable (tuples, not lists), so a dialog can keep them, compare them and hash a
query into a button token. Nothing here touches a database or the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

PAGE_SIZE = 5
# On SMS and WhatsApp a page shows fewer (each a numbered line that fits a text message's
# budget with the page's options); the dialog asks for pages of this size there.
TEXT_MESSAGE_PAGE_SIZE = 3
# A search ranks at most this many of the newest matching vacancies (see ranking.py); a
# larger total is reported as "more than CANDIDATES".
CANDIDATES = 100

EMPLOYMENT_TYPES = ("pkwt", "pkwtt", "harian", "magang", "lainnya")
EDUCATION_LEVELS = ("SD", "SMP", "SMA", "SMK", "D1", "D2", "D3", "D4", "S1", "S2", "S3")
SEXES = ("L", "P", "semua")
SAMPLE_SOURCE = "contoh"  # the shipped sample catalogue: fictional, say so to the user

EmploymentType = Literal["pkwt", "pkwtt", "harian", "magang", "lainnya"]


@dataclass(frozen=True)
class VacancyRecord:
    """One vacancy as imported (the import schema of the README), already validated."""

    source: str
    source_id: str
    title: str
    company: str
    posted_at: date
    occupation_code: str | None = None
    province_code: str | None = None
    regency_code: str | None = None
    city: str | None = None
    country: str = "ID"
    openings: int = 1
    wage_min: int | None = None
    wage_max: int | None = None
    employment_type: str = "lainnya"
    education_min: str | None = None
    age_max: int | None = None
    sex: str = "semua"
    disability_friendly: bool = False
    closes_at: date | None = None
    description: str = ""
    requirements: str = ""
    url: str | None = None
    featured: bool = False

    @property
    def job_group(self) -> str | None:
        return self.occupation_code[:2] if self.occupation_code else None


@dataclass(frozen=True)
class PlaceOption:
    """A place a search may mean: a regency/city, a province, or a country abroad."""

    kind: Literal["regency", "province", "country"]
    code: str
    name: str


@dataclass(frozen=True)
class Understanding:
    """What a typed search says (see :func:`bot.vacancies.query.understand`).

    ``words``: the search words left after the place and filler words are taken out;
    ``place``: the place words as typed ("bekasi"), ``places``: every place they may mean
    (two or more: ask which, e.g. Kota or Kabupaten Bekasi); ``occupations``: job titles of
    occupations.yml the words name exactly (title or synonym), as (ISCO code, title).
    """

    words: tuple[str, ...] = ()
    place: str = ""
    places: tuple[PlaceOption, ...] = ()
    occupations: tuple[tuple[str, str], ...] = ()
    abroad: bool = False  # "luar negeri" was said

    @property
    def ambiguous_place(self) -> bool:
        return len(self.places) > 1


@dataclass(frozen=True)
class VacancyQuery:
    """A search or a browse. Empty text and no filter = the latest vacancies.

    ``text`` is what the user typed; a place in it is understood unless ``places`` is given
    (the dialog's answer to "which Bekasi?") or ``ignore_place`` (the broader search).
    ``abroad``: None = anywhere, False = in Indonesia, True = abroad only.
    ``group``: a job group (2-digit ISCO sub-major group) to browse.
    """

    text: str = ""
    places: tuple[PlaceOption, ...] = ()
    ignore_place: bool = False
    abroad: bool | None = None
    disability_friendly: bool = False
    employment_types: tuple[str, ...] = ()
    group: str | None = None
    featured: bool = False
    page: int = 0

    def at_page(self, page: int) -> VacancyQuery:
        return replace(self, page=max(0, page))


@dataclass(frozen=True)
class VacancyHit:
    """One line of a result page."""

    id: int
    source: str
    source_id: str
    title: str
    company: str
    place: str  # "Kota Bekasi", the city as imported, or the country abroad
    regency_code: str | None
    province_code: str | None
    country: str
    wage_min: int | None
    wage_max: int | None
    employment_type: str
    posted_at: date
    closes_at: date | None
    occupation_code: str | None
    disability_friendly: bool
    featured: bool
    score: float

    @property
    def sample(self) -> bool:
        """From the shipped sample catalogue: a fictional vacancy, to be labelled so."""
        return self.source == SAMPLE_SOURCE


@dataclass(frozen=True)
class VacancyDetail:
    """The card: everything stored about one vacancy."""

    hit: VacancyHit
    status: str  # open | closed
    openings: int
    education_min: str | None
    age_max: int | None
    sex: str
    description: str
    requirements: str
    url: str | None
    city: str | None


@dataclass(frozen=True)
class Suggestion:
    """A broader search offered when a search finds nothing (never a dead end).

    ``kind``: without_place | without_filters | similar_title | latest; ``label`` is data
    (a job title, a place), not prose; ``count`` how many it finds (capped).
    """

    kind: str
    query: VacancyQuery
    label: str
    count: int


@dataclass(frozen=True)
class SearchPage:
    query: VacancyQuery
    understood: Understanding
    hits: tuple[VacancyHit, ...]
    total: int  # matching vacancies ranked, at most CANDIDATES
    more: bool  # more than ``total`` match: say "lebih dari {total}"
    suggestions: tuple[Suggestion, ...] = ()
    unknown_words: tuple[str, ...] = ()  # words found in no vacancy, ignored
    page_size: int = PAGE_SIZE  # vacancies a page shows: ``query.page`` counts these

    @property
    def page(self) -> int:
        return self.query.page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page + 1 < self.pages


@dataclass(frozen=True)
class Profile:
    """What a recommendation knows of the person (no name, no contact data).

    ``groups``: the assessment's top job groups as (2-digit code, match percent);
    ``desired_titles``: occupations.yml titles the person wants; the registered place;
    ``country`` when they registered to work abroad; ``disability`` when they said so.
    """

    groups: tuple[tuple[str, int], ...] = ()
    desired_titles: tuple[str, ...] = ()
    province_code: str | None = None
    regency_code: str | None = None
    country: str | None = None
    disability: bool = False


@dataclass(frozen=True)
class Reason:
    """Why a vacancy was recommended, for the dialog to put in words.

    ``kind``: desired_job (code = ISCO unit group), interest (code = a job group the
    self-assessment ranked), desired_group (code = the job group of a desired job), regency,
    province, country, disability_friendly, new (posted in the last 7 days).
    ``name`` is the data name (job title, group name, place), not a sentence.
    """

    kind: str
    code: str = ""
    name: str = ""


@dataclass(frozen=True)
class Recommendation:
    hit: VacancyHit
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class RowError:
    line: int  # in the file: the CSV line (header = 1) or the JSON line
    message: str


@dataclass(frozen=True)
class ImportReport:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0  # vacancies closed because their closes_at has passed
    errors: tuple[RowError, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class CatalogueStats:
    """Counts for operators: rows are (code, name, open, closed)."""

    open: int
    closed: int
    by_province: tuple[tuple[str, str, int, int], ...]
    by_group: tuple[tuple[str, str, int, int], ...]
    by_source: tuple[tuple[str, str, int, int], ...]
