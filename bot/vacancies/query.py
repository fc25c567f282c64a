"""What a typed search means: "loker sopir surabaya" → words ("sopir"), place (Kota
Surabaya), job titles named (Sopir, 8322). Pure: the reference data only, no database.

- Filler words people add ("loker", "lowongan", "kerja", "di", "daerah"...) are dropped, and
  so are legal forms ("PT Astra" searches "astra").
- A place is taken from the end or the start of the text ("operator produksi bekasi",
  "bekasi operator"), or after a place word anywhere ("admin di jaksel", "daerah bogor
  satpam"). Names and short names are those of the registration (Kemendagri names, "Kota"/
  "Kab" prefixes, CITY_ALIASES, province short names); after a place word a misspelt name
  is also understood ("di surabya"). A name shared by several places ("bekasi": Kota and
  Kabupaten Bekasi; "bengkulu": the city and the province) gives them all, so a dialog can
  ask which; the search meanwhile covers all of them.
- A place name that is also part of a job title ("tukang batu", not Kota Batu) stays a word
  unless a place word comes before it.
- Job titles: the whole remaining text, or each word, named exactly by a title or synonym of
  occupations.yml ("satpam", "supir", "operator produksi"). :func:`near_titles` gives the
  nearest titles for a typo ("opertor produksi"); it is slower, so the store asks for it
  only when no typed word is in any vacancy, and for suggestions.
"""

from __future__ import annotations

from functools import cache, lru_cache

from rapidfuzz import fuzz, process

from bot.knowledge.catalog import catalog
from bot.knowledge.search import (
    Matcher,
    countries,
    occupations,
    provinces,
    regencies,
    simplify,
)
from bot.vacancies.model import PlaceOption, Understanding
from bot.vacancies.terms import LEGAL_FORMS

FILLER = frozenset((
    "loker", "lowker", "lowongan", "lowong", "info", "informasi", "cari", "carikan", "mencari",
    "dicari", "butuh", "dibutuhkan", "kerja", "kerjaan", "pekerjaan", "job", "jobs", "vacancy",
    "yang", "untuk", "buat", "dan", "atau", "ada", "mau", "ingin", "pengen", "saya", "aku",
    "tolong", "minta", "posisi", "sebagai", "jadi", "menjadi", "terbaru", "segera", "hari", "ini",
    "sy", "gw", "gue", "dong", "kah", "min",
))  # fmt: skip
# The words of a question, never of a job: "kapan batas klaim?" is not a search for "kapal".
QUESTION_WORDS = frozenset((
    "kapan", "bagaimana", "gimana", "gmn", "gmna", "cara", "caranya", "apa", "apakah", "berapa",
    "brp", "kenapa", "mengapa", "knp", "siapa", "mana", "dimana", "bisakah", "bolehkah",
))  # fmt: skip


def is_question(text: str) -> bool:
    """A question rather than a search: it ends with "?" or has a question word."""
    return text.rstrip().endswith("?") or not QUESTION_WORDS.isdisjoint(simplify(text).split())


PLACE_WORDS = frozenset((
    "di", "daerah", "wilayah", "sekitar", "area", "kawasan", "dekat", "lokasi", "penempatan",
    "domisili",
))  # fmt: skip
# Districts and industrial estates people name instead of their regency (our judgement).
AREA_ALIASES: dict[str, str] = {
    "cikarang": "3216", "cibitung": "3216", "jababeka": "3216", "tambun": "3216",
    "cikupa": "3603", "balaraja": "3603", "serpong": "3674", "bsd": "3674",
    "cileungsi": "3201", "gunung putri": "3201", "citeureup": "3201", "cibinong": "3201",
    "cakung": "3175", "pulogadung": "3175", "cengkareng": "3173", "kelapa gading": "3172",
    "tanjung priok": "3172", "sunter": "3172", "rungkut": "3578", "batamindo": "2171",
}  # fmt: skip
ABROAD = frozenset({"luar negeri", "ln", "overseas", "abroad"})
MAX_WORDS = 12
MAX_PLACE_WORDS = 4
FUZZY_PLACE = 80.0  # a misspelt place name after a place word (edit ratio)
SIMILAR_CUTOFF = 85.0


@cache
def _occupation_words() -> frozenset[str]:
    """Every word of every job title and synonym ("batu" of "tukang batu")."""
    out: set[str] = set()
    for name in occupations().names:
        out.update(name.split())
    return frozenset(out)


def _exact(matcher: Matcher, text: str) -> list[str]:
    return list(matcher.exact.get(text, ()))


def _near(matcher: Matcher, text: str) -> tuple[float, list[str]]:
    """The keys whose name is closest to the whole ``text`` (plain edit ratio, so "bogor
    satpam" is not Bogor), at or above FUZZY_PLACE."""
    found = process.extract(
        text, matcher.names, scorer=fuzz.ratio, score_cutoff=FUZZY_PLACE, limit=10
    )
    if not found:
        return 0.0, []
    best = max(score for _, score, _ in found)
    return best, [matcher.owners[i] for _, score, i in found if score == best]


def _option(kind: str, key: str) -> PlaceOption:
    data = catalog()
    if kind == "country":
        country = data.country(key)
        assert country is not None
        return PlaceOption("country", key, country.name)
    region = data.regency(key) if kind == "regency" else data.province(key)
    assert region is not None
    return PlaceOption("regency" if kind == "regency" else "province", key, region.name)


def places(text: str, *, fuzzy: bool = False) -> tuple[PlaceOption, ...]:
    """Every regency/city and province ``text`` names: exactly, or (``fuzzy``) nearly."""
    text = simplify(text)
    if not text:
        return ()
    found = [("regency", k) for k in _exact(regencies(), text)]
    if text in AREA_ALIASES:
        found.append(("regency", AREA_ALIASES[text]))
    found += [("province", k) for k in _exact(provinces(), text)]
    found += [("country", k) for k in _exact(countries(), text) if k != "ID"]
    if not found and fuzzy:
        r_score, r_keys = _near(regencies(), text)
        p_score, p_keys = _near(provinces(), text)
        best = max(r_score, p_score)
        found = [("regency", k) for k in r_keys if r_score == best and best]
        found += [("province", k) for k in p_keys if p_score == best and best]
    return tuple(dict.fromkeys(_option(kind, key) for kind, key in found))


def _take_place(
    tokens: list[str], start: int, stop: int, fuzzy: bool
) -> tuple[int, tuple[PlaceOption, ...]]:
    """The longest span from ``start`` (forwards) naming a place; its length and options."""
    for length in range(min(MAX_PLACE_WORDS, stop - start), 0, -1):
        found = places(" ".join(tokens[start : start + length]), fuzzy=fuzzy)
        if found:
            return length, found
    return 0, ()


def _take_place_at_end(tokens: list[str]) -> tuple[int, tuple[PlaceOption, ...]]:
    for length in range(min(MAX_PLACE_WORDS, len(tokens)), 0, -1):
        found = places(" ".join(tokens[-length:]))
        if found:
            return length, found
    return 0, ()


def _is_job_words(tokens: list[str]) -> bool:
    return " ".join(tokens) in occupations().exact


def _take_abroad(tokens: list[str]) -> tuple[list[str], bool]:
    for length in (2, 1):
        for i in range(len(tokens) - length + 1):
            if " ".join(tokens[i : i + length]) in ABROAD:
                return tokens[:i] + tokens[i + length :], True
    return tokens, False


def understand(text: str) -> Understanding:
    tokens = [
        t for t in simplify(text).split()[:MAX_WORDS] if t not in FILLER and t not in QUESTION_WORDS
    ]
    tokens, abroad = _take_abroad(tokens)
    place_words: list[str] = []
    options: tuple[PlaceOption, ...] = ()
    # 1. after a place word: "admin di jaksel", "daerah bogor satpam"
    for i, token in enumerate(tokens):
        if token not in PLACE_WORDS:
            continue
        length, found = _take_place(tokens, i + 1, len(tokens), fuzzy=True)
        if found:
            place_words = tokens[i + 1 : i + 1 + length]
            options = found
            tokens = tokens[:i] + tokens[i + 1 + length :]
            break
    tokens = [t for t in tokens if t not in PLACE_WORDS]
    # 2. at the end, then at the start, unless the words are a job title ("tukang batu")
    if not options and tokens and not _is_job_words(tokens):
        length, found = _take_place_at_end(tokens)
        if found and not (length < len(tokens) and _is_job_words(tokens[-length - 1 :])):
            place_words, options = tokens[-length:], found
            tokens = tokens[:-length]
        else:
            length, found = _take_place(tokens, 0, len(tokens), fuzzy=False)
            if found and length < len(tokens):
                place_words, options = tokens[:length], found
                tokens = tokens[length:]
    search_words = tuple(t for t in tokens if t not in LEGAL_FORMS)
    return Understanding(
        words=search_words,
        place=" ".join(place_words),
        places=options,
        occupations=_named(search_words),
        abroad=abroad,
    )


def _named(words: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Job titles named exactly: by the whole text, else by single words."""
    if not words:
        return ()
    exact = occupations().exact
    titles = list(exact.get(" ".join(words), ()))
    if not titles and len(words) > 1:
        for word in words:
            titles += [t for t in exact.get(word, ()) if t not in titles]
    return tuple((_code(t), t) for t in titles)


@lru_cache(maxsize=4096)
def near_titles(
    words: tuple[str, ...], cutoff: float = SIMILAR_CUTOFF
) -> tuple[tuple[str, str], ...]:
    """Job titles close to the words typed, best first: (ISCO code, title)."""
    if not words:
        return ()
    found = occupations().search(" ".join(words))
    return tuple((_code(m.key), m.key) for m in found if m.score >= cutoff)


def _code(title: str) -> str:
    occupation = catalog().occupation(title)
    assert occupation is not None
    return occupation.isco


@lru_cache(maxsize=8192)
def place_label(
    regency_code: str | None, province_code: str | None, city: str | None, country: str
) -> str:
    """Where a vacancy is, as a result line says it: "Kota Bekasi", the city as imported,
    the province, or the country abroad ("Osaka, Jepang")."""
    data = catalog()
    if country != "ID":
        found = data.country(country)
        name = found.name if found else country
        return f"{city}, {name}" if city else name
    if regency_code and (regency := data.regency(regency_code)):
        return regency.name
    if city:
        return city
    if province_code and (province := data.province(province_code)):
        return province.name
    return "Indonesia"
