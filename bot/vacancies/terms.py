"""Words and tags: how a vacancy is indexed and how a typed word finds indexed words. Pure.

Both databases index the same two strings per open vacancy, computed here:

- ``search_text``: the words of the title and the company, lower case, ASCII letters and
  digits only (``"Operator Produksi", "PT Maju Jaya"`` → ``"operator produksi maju jaya"``);
- ``search_tags``: filter tokens that no typed word can produce (every query term comes from
  the vocabulary of ``search_text``): ``zzall``, ``zzo8189`` (occupation), ``zzg81`` (job
  group), ``zzp32`` / ``zzr3216`` (province / regency), ``zzcid`` (country), ``zzabroad``,
  ``zztpkwt`` (employment type), ``zzdis`` (disability-friendly), ``zzfeat`` (featured).

A typed word becomes a set of indexed words (see :func:`alternatives`): itself when some
vacancy has it, longer words it begins ("admin" → "administrasi"), and for a word no vacancy
has, the nearest indexed words ("opertor" → "operator"). The vocabulary with document counts
is kept in the ``vacancy_terms`` table; the typo candidates come from a trigram index on it
(SQLite FTS5 ``trigram``, PostgreSQL ``pg_trgm``) and are chosen here, the same way on both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein

from bot.knowledge.search import simplify
from bot.vacancies.model import VacancyRecord

# Legal forms carry no meaning in a search ("PT Astra" is a search for "astra").
LEGAL_FORMS = frozenset({"pt", "cv", "tbk", "persero", "ud", "pd", "fa"})
MAX_TERM = 64
PREFIX_MIN = 3  # a word this long or longer also finds the words it begins
PREFIX_LIMIT = 5  # at most this many longer words (the most frequent)
FUZZY_MIN = 4  # shorter words are only taken as typed
FUZZY_LIMIT = 3

EXACT_WEIGHT = 1.0
PREFIX_WEIGHT = 0.85
FUZZY_WEIGHTS = {1: 0.75, 2: 0.6}


def words(text: str) -> list[str]:
    """The indexable words of a text: lower-case ASCII letters and digits."""
    return [w[:MAX_TERM] for w in simplify(text).split()]


def search_text(title: str, company: str) -> str:
    return " ".join(w for w in (*words(title), *words(company)) if w not in LEGAL_FORMS)


def search_tags(r: VacancyRecord) -> str:
    tags = ["zzall", f"zzc{r.country.lower()}", f"zzt{r.employment_type}"]
    if r.country != "ID":
        tags.append("zzabroad")
    if r.occupation_code:
        tags += [f"zzo{r.occupation_code}", f"zzg{r.occupation_code[:2]}"]
    if r.province_code:
        tags.append(f"zzp{r.province_code}")
    if r.regency_code:
        tags.append(f"zzr{r.regency_code}")
    if r.disability_friendly:
        tags.append("zzdis")
    if r.featured:
        tags.append("zzfeat")
    return " ".join(tags)


def term_counts(text: str) -> set[str]:
    """The distinct vocabulary words of one ``search_text``."""
    return set(text.split())


def trigrams(word: str) -> list[str]:
    """The 3-letter pieces of a word padded as pg_trgm pads it ("  guru " → "  g", " gu",
    "gur", "uru", "ru "), in order, without repeats (for the typo index)."""
    padded = f"  {word} "
    return list(dict.fromkeys(padded[i : i + 3] for i in range(len(padded) - 2)))


def max_typos(word: str) -> int:
    if len(word) < FUZZY_MIN:
        return 0
    return 1 if len(word) <= 6 else 2


def near(word: str, candidates: Iterable[tuple[str, int]]) -> list[tuple[str, float]]:
    """The indexed words a misspelt ``word`` most likely means, with their weights.

    ``candidates``: (term, document count) from the trigram index. Kept: a Damerau-Levenshtein
    distance of at most 1 (words of 4-6 letters) or 2 (longer), sharing the first letter
    (people rarely mistype it); best first: fewer typos, then more vacancies, then the term.
    """
    limit = max_typos(word)
    if not limit:
        return []
    scored: list[tuple[int, int, str]] = []
    for term, df in candidates:
        if term == word or df <= 0 or term[:1] != word[:1]:
            continue
        if abs(len(term) - len(word)) > limit:
            continue
        distance = DamerauLevenshtein.distance(word, term, score_cutoff=limit)
        if distance <= limit:
            scored.append((distance, -df, term))
    scored.sort()
    return [(term, FUZZY_WEIGHTS[d]) for d, _, term in scored[:FUZZY_LIMIT]]


@dataclass(frozen=True)
class WordAlternatives:
    """One typed word and the indexed words that stand for it, with weights (0-1)."""

    word: str
    terms: tuple[tuple[str, float], ...]


def alternatives(
    word: str, df: int, longer: Iterable[tuple[str, int]], fuzzy: Iterable[tuple[str, int]]
) -> WordAlternatives:
    """Combine what the vocabulary says about ``word``: its own count ``df``, longer words it
    begins (``longer``: term, count) and typo candidates (``fuzzy``; used only when no
    vacancy has the word as typed)."""
    terms: dict[str, float] = {}
    if df > 0:
        terms[word] = EXACT_WEIGHT
    if len(word) >= PREFIX_MIN:
        ranked = sorted(((-n, t) for t, n in longer if t != word and n > 0 and t.startswith(word)))
        for _, term in ranked[:PREFIX_LIMIT]:
            terms.setdefault(term, PREFIX_WEIGHT)
    if df <= 0:
        for term, weight in near(word, fuzzy):
            terms.setdefault(term, weight)
    return WordAlternatives(word, tuple(terms.items()))
