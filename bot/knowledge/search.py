"""Typo-tolerant lookup of what people type: "opertor produksi", "supir", "jaksel".

A name (title or synonym) typed exactly — ignoring case, punctuation and spacing — is a
sure match. Otherwise rapidfuzz scores every name (see :func:`_score`); an entry's score is its best
name's, and the best few entries above a cut-off are offered as "did you mean".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz, process

from bot.knowledge.catalog import catalog

CUTOFF = 75.0
MAX_QUERY = 60  # characters: no job, place or country name is longer; bounds fuzzy work
SURE = 100.0  # only an exact name; a fuzzy score is capped below it
FUZZY_MAX = 99.0

# Short names people use for some cities (typed in chats, not in Kemendagri's list).
CITY_ALIASES: dict[str, tuple[str, ...]] = {
    "Kota Jakarta Selatan": ("jaksel", "jakarta selatan"),
    "Kota Jakarta Timur": ("jaktim", "jakarta timur"),
    "Kota Jakarta Barat": ("jakbar", "jakarta barat"),
    "Kota Jakarta Utara": ("jakut", "jakarta utara"),
    "Kota Jakarta Pusat": ("jakpus", "jakarta pusat"),
    "Kota Tangerang Selatan": ("tangsel",),
    "Kota Yogyakarta": ("jogja", "yogya", "jogjakarta", "yogyakarta"),
    "Kota Surabaya": ("sby",),
    "Kota Bandung": ("bdg",),
    "Kota Semarang": ("smg",),
}


def _score(query: str, name: str, **_: object) -> float:
    """Whole-string similarity, word order ignored; no partial matches, so a two-letter
    synonym ("pr") does not match every query that contains those letters."""
    return max(
        fuzz.ratio(query, name),
        fuzz.token_sort_ratio(query, name),
        fuzz.token_set_ratio(query, name) if min(len(query), len(name)) >= 4 else 0.0,
    )


def simplify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text[:200]).lower()
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Match:
    key: str  # what the caller stores: an occupation title, a region or country code
    name: str  # what the user is shown
    score: float


class Matcher:
    def __init__(self, entries: Iterable[tuple[str, str, Iterable[str]]], limit: int = 3) -> None:
        """``entries``: (key, display name, other names); ``limit``: how many to offer."""
        self.limit = limit
        self.display: dict[str, str] = {}
        self.names: list[str] = []
        self.owners: list[str] = []
        self.exact: dict[str, list[str]] = {}
        for key, display, others in entries:
            self.display[key] = display
            for name in (display, *others):
                simple = simplify(name)
                if not simple:
                    continue
                self.names.append(simple)
                self.owners.append(key)
                owners = self.exact.setdefault(simple, [])
                if key not in owners:
                    owners.append(key)

    def search(self, text: str, limit: int | None = None) -> list[Match]:
        limit = limit or self.limit
        query = simplify(text)
        if not query or len(query) > MAX_QUERY:
            return []
        if query in self.exact:  # "Bekasi" is both Kota and Kabupaten Bekasi: offer both
            return [Match(key, self.display[key], SURE) for key in self.exact[query][:limit]]
        best: dict[str, float] = {}
        for _name, score, index in process.extract(
            query, self.names, scorer=_score, limit=limit * 8, score_cutoff=CUTOFF
        ):
            key = self.owners[index]
            best[key] = max(best.get(key, 0.0), min(float(score), FUZZY_MAX))
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], self.display[kv[0]]))
        return [Match(k, self.display[k], s) for k, s in ranked[:limit]]


@cache
def occupations() -> Matcher:
    return Matcher((o.title, o.title, o.synonyms) for o in catalog().occupations)


def _region_names(name: str) -> tuple[str, ...]:
    """ "Kota Bandung" is also typed "Bandung", "Kab. Bandung" as "Kabupaten Bandung"."""
    names = [name, *CITY_ALIASES.get(name, ())]
    for prefix, short in (("Kabupaten ", "Kab "), ("Kota ", "Kota ")):
        if name.startswith(prefix):
            names += [name.removeprefix(prefix), short + name.removeprefix(prefix)]
    return tuple(names)


@cache
def regencies() -> Matcher:
    """Regencies and cities; a bare name matches the city first ("Bandung" → Kota Bandung)."""
    regions = sorted(catalog().regencies, key=lambda r: (not r.name.startswith("Kota "), r.code))
    return Matcher(
        ((r.code, f"{r.name}, {r.province}", _region_names(r.name)) for r in regions), limit=5
    )


# The short names of provinces everyone uses.
PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "11": ("nad", "nanggroe aceh darussalam"), "12": ("sumut",), "13": ("sumbar",),
    "16": ("sumsel",), "19": ("babel", "bangka belitung"), "21": ("kepri",),
    "31": ("jakarta", "dki"), "32": ("jabar",), "33": ("jateng",),
    "34": ("yogyakarta", "jogja", "jogjakarta", "diy"), "35": ("jatim",), "52": ("ntb",),
    "53": ("ntt",), "61": ("kalbar",), "62": ("kalteng",), "63": ("kalsel",), "64": ("kaltim",),
    "65": ("kaltara",), "71": ("sulut",), "72": ("sulteng",), "73": ("sulsel",),
    "74": ("sultra",), "76": ("sulbar",), "82": ("malut",), "92": ("pabar",),
    "96": ("pbd",),
}  # fmt: skip


@cache
def provinces() -> Matcher:
    return Matcher((p.code, p.name, PROVINCE_ALIASES.get(p.code, ())) for p in catalog().provinces)


@cache
def countries() -> Matcher:
    return Matcher((c.code, c.name, c.synonyms) for c in catalog().countries)


@cache
def regencies_in(province: str) -> Matcher:
    """The regencies and cities of one province (codes start with the province's)."""
    regions = [r for r in catalog().regencies if r.code.startswith(province)]
    return Matcher(((r.code, r.name, _region_names(r.name)) for r in regions), limit=5)


def warm_up() -> None:
    """Load the reference data and build every matcher once, at start (not in a user's turn,
    where parsing the YAML took seconds)."""
    from bot.knowledge.conditions import terms

    catalog()
    terms()
    occupations()
    regencies()
    provinces()
    countries()
    for province in catalog().provinces:
        regencies_in(province.code)
