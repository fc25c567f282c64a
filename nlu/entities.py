"""Entities in a message: jobs, places, companies, dates, amounts and numbers.

Jobs and places are found with the assessment's own lookup (bot/knowledge/search.py): a run
of one to four words that is exactly a job title or one of its informal names ("sopir",
"operator produksi", "satpam"), a regency or city ("bekasi" → Kota and Kabupaten Bekasi)
or a province ("jabar"). A typo is caught only right after a word that announces a job
("loker", "kerja sebagai"...) or a place ("di", "daerah"...), with a quick similarity score,
so a sentence never pays for a fuzzy search of every word. Names that are also everyday
words ("ga", "batu", "malang") need such a word before them too.

Dates and amounts are read by bot/rules/parsing.py (``read_date``, ``read_wage``); this
module only finds where they are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from rapidfuzz import fuzz, process

from bot.knowledge.search import FUZZY_MAX, SURE, Matcher, occupations, provinces, regencies
from bot.rules.parsing import (
    MONTHS,
    NUMBER_WORDS,
    DateReading,
    ParseError,
    WageReading,
    read_date,
    read_wage,
)

MAX_TEXT = 200  # characters looked at; the engine already cuts a message there
MAX_WORDS = 40
MAX_NAME_WORDS = 4  # the longest job or place name tried
MAX_PLACE_WORDS = 3  # ... and place name tried fuzzily ("kota tangerang selatan")
FUZZY_CUTOFF = 85.0  # a job typed with a typo ("opertor produksi")
PLACE_CUTOFF = 88.0  # place names are short: "langkah" is 86 from "Langkat"

JOB_CUES = frozenset(
    {"loker", "lowongan", "lowker", "lamaran", "lamar", "melamar", "kerja", "kerjaan",
     "pekerjaan", "jadi", "sebagai", "sbg", "posisi", "bagian", "profesi", "jabatan", "mantan",
     "eks", "ex", "dulunya", "dulu", "pengalaman", "bidang"}
)  # fmt: skip
PLACE_CUES = frozenset(
    {"di", "daerah", "wilayah", "sekitar", "area", "kota", "kab", "kabupaten", "provinsi",
     "prov", "dekat", "dkt", "deket", "ke", "dari", "domisili", "tinggal", "penempatan", "wil"}
)  # fmt: skip
# Regencies and cities whose name is also an everyday word: only after a place cue.
COMMON_PLACE_WORDS = frozenset(
    {"batu", "baru", "banjar", "buru", "pati", "malang", "batang", "tegal", "kuningan", "landak",
     "puncak", "badung", "seram", "bone", "malaka", "lingga", "belu", "ende", "aru", "kota",
     "lebak", "kudus", "sigi", "tojo", "karo", "sabu", "lahat", "agam", "solok", "paser",
     "tapin", "bungo", "kaur", "asahan", "timur", "barat", "selatan", "utara", "tengah", "pusat",
     "jaya", "muna", "poso", "buol", "nias", "siak", "tebo", "alor", "ngada", "sikka", "bima",
     "dompu", "gowa", "wajo", "maros", "luwu", "pinrang", "bantul", "sleman", "kendal", "demak",
     "blora", "rembang", "jepara", "grobogan"}
)  # fmt: skip
# Words that are never a job or a place on their own, whatever the lists say.
NEVER_NAMES = frozenset(
    {"ga", "gak", "tidak", "ya", "yg", "dan", "di", "ke", "dari", "kak", "min", "bang", "mas",
     "mbak", "pak", "bu", "saya", "aku", "sy", "aja"}
)  # fmt: skip
# Strong place cues: a typo after these is looked up fuzzily ("di bekasih"); "ke" and "dari"
# only license everyday-word names ("ke batu").
FUZZY_PLACE_CUES = frozenset(
    {"di", "daerah", "wilayah", "sekitar", "area", "kota", "kab", "kabupaten", "provinsi",
     "prov", "domisili", "penempatan"}
)  # fmt: skip
# A job name after these is a person to talk to ("sama admin", "hubungi cs"), not a job.
TALK_TO = frozenset(
    {"sama", "dengan", "dgn", "ke", "hubungi", "hubungkan", "panggil", "panggilin", "ketemu",
     "booking", "chat", "sambungkan", "sambungin", "minta"}
)  # fmt: skip
# Job names that are also roles around the bot and the programme: a job only after a cue.
JOB_NEEDS_CUE = frozenset(
    {"admin", "cs", "customer service", "konselor", "konselor jkp", "konselor karir",
     "konselor karier", "pengantar kerja", "petugas", "operator"}
)  # fmt: skip
# Industrial areas people name instead of their regency (not in Kemendagri's list).
AREA_ALIASES: dict[str, tuple[str, ...]] = {
    "cikarang": ("3216",), "cibitung": ("3216",), "jababeka": ("3216",), "tambun": ("3216",),
    "serpong": ("3674",), "bsd": ("3674",), "bintaro": ("3674",), "karawaci": ("3671",),
    "cileungsi": ("3201",), "cibinong": ("3201",), "gunung putri": ("3201",),
}  # fmt: skip
# Words that end the name after a cue ("loker sopir [di] bekasi", "kerja [aku] udah...").
STOP_AFTER_CUE = frozenset(
    {"di", "daerah", "wilayah", "sekitar", "area", "yg", "yang", "dan", "atau", "ada", "gak",
     "ga", "nggak", "tidak", "dong", "kak", "min", "bang", "gan", "nih", "sih", "deh", "ya",
     "buat", "untuk", "gaji", "dengan", "dgn", "saya", "sy", "aku", "gue", "gw", "kamu", "udah",
     "sudah", "belum", "blm", "lagi", "lg", "mau", "bisa", "itu", "ini", "apa", "kok", "juga",
     "ke", "dari", "sama", "kalau", "kalo", "tapi", "terus", "lalu", "sejak", "karena", "krn",
     "bulan", "tahun", "tgl", "tanggal", "kemarin", "mimin", "mas", "mbak", "pak", "bu", "lho"}
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_COMPANY = re.compile(
    r"\b(pt|cv|ud|pd|koperasi|yayasan)\.?\s+((?:[^\W_]|[&'.-])+(?:\s+(?:[^\W_]|[&'.-])+){0,3})",
    re.IGNORECASE,
)
_COMPANY_STOP = frozenset(
    {"di", "sebagai", "sbg", "yg", "yang", "dan", "kak", "min", "bang", "tapi", "terus", "trus",
     "udah", "sudah", "sejak", "dari", "tgl", "tanggal", "bulan", "tahun", "karena", "krn",
     "dengan", "dgn", "tempat", "sampai", "saya", "sy", "aku", "ku", "gue", "gw", "kamu", "mimin",
     "gimana", "bagaimana", "status", "statusnya", "kabarnya", "apa", "ga", "gak", "nggak",
     "tidak", "belum", "blm", "dong", "ya", "lagi", "mana", "kapan", "nih", "sih", "deh", "ini",
     "itu", "nya", "baru", "lama", "buat", "untuk", "ke", "kemarin", "ada", "bisa", "mau"}
)  # fmt: skip
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUMBER_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_AGO = r"(?:yang\s+|yg\s+)?(?:lalu|kemarin|kemaren|kmrn|silam)"
_DATE = re.compile(
    "|".join(
        [
            r"\b\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*(?:\d{4}|\d{2})\b",
            r"\b\d{4}\s*-\s*\d{1,2}\s*-\s*\d{1,2}\b",
            rf"\b(?:(?:tgl\.?|tanggal)\s*)?\d{{1,2}}\s*[-/. ]?\s*(?:{_MONTH_NAMES})\b\.?"
            rf"(?:\s*[-/. ,]?\s*(?:\d{{4}}|'?\d{{2}})\b)?(?:\s+{_AGO})?",
            rf"\b(?:(?:awal|pertengahan|tengah|akhir)\s+)?(?:bulan\s+|bln\s+)?"
            rf"(?:{_MONTH_NAMES})\b\.?(?:\s*[-/ ,]?\s*(?:\d{{4}}|'\d{{2}}))?(?:\s+{_AGO})?",
            rf"\b(?:tgl\.?|tanggal)\s*\d{{1,2}}(?:\s+(?:bulan|bln)\s+(?:ini|{_AGO})|\s+{_AGO})?",
            rf"\b(?:awal|pertengahan|tengah|akhir)\s+(?:bulan|bln)\s+(?:ini|{_AGO})",
            rf"\b(?:\d{{1,3}}|se|{_NUMBER_WORD})\s*(?:hari|hr|minggu|mgg|pekan|bulan|bln|tahun|thn)"
            rf"\s+{_AGO}",
            rf"\b(?:se)(?:hari|minggu|pekan|bulan|tahun)\s+{_AGO}",
            rf"\b(?:minggu|pekan|bulan|bln|tahun|thn)\s+{_AGO}",
            r"\b(?:kemarin\s+lusa|kemaren\s+lusa|kemarin|kemaren|kmrn|hari\s+ini|besok|lusa)\b",
        ]
    ),
    re.IGNORECASE,
)
_AMOUNT = re.compile(
    r"(?:\brp\.?\s*)?\b\d+(?:[.,]\d+)*\s*(?:juta|jt|ribu|rb|k)\b(?:\s*\d+\s*(?:ribu|rb|k)\b)?"
    r"|\brp\.?\s*\d+(?:[.,]\d+)*(?:,-)?"
    r"|\b\d{1,3}(?:\.\d{3}){1,3}(?:,-)?(?!\d)"
    rf"|\b(?:(?:se|{_NUMBER_WORD})\s*)+(?:(?:belas|puluh|ratus|setengah)\s*)*"
    rf"(?:juta|ribu)(?:\s+(?:{_NUMBER_WORD})(?:\s+(?:belas|puluh|ratus))*\s+ribu)?\b",
    re.IGNORECASE,
)
_WAGE_WORDS = re.compile(r"\b(gaji|gajih|upah|gaji nya|gajinya|salary|thp|ump|umr|umk)\b", re.I)
_NUMBER = re.compile(r"\b\d{1,9}\b")
# A figure not followed by a unit of something else ("12 bulan", "3 kali", "50%").
_BARE_FIGURE = re.compile(
    r"\b\d{1,9}(?:[.,]\d{1,3})*\b(?!\s*(?:%|persen|bulan|bln|tahun|thn|th|hari|minggu|kali|x\b|"
    r"orang|jam|tgl|lamaran|perusahaan))"
)


@dataclass(frozen=True)
class Candidate:
    key: str  # what a dialog stores: the occupation title; a region's Kemendagri code (two
    # digits for a province, four for a regency or city)
    name: str  # what the user is shown
    score: float  # 100 for an exact name


@dataclass(frozen=True)
class Entity:
    """One thing found in a message (Rasa's entity: ``entity``, ``value``, ``start``,
    ``end``), with what this assistant needs besides: the candidates for a job or place
    (several when the name is ambiguous, e.g. Kota and Kabupaten Bekasi), and the rich
    reading of a date or an amount."""

    entity: str  # job | place | company | date | amount | number
    value: str | int
    start: int
    end: int
    text: str
    candidates: tuple[Candidate, ...] = ()
    reading: DateReading | WageReading | None = None

    @property
    def ambiguous(self) -> bool:
        """More than one sure candidate, or only a guess: ask which one."""
        if not self.candidates:
            return False
        return len(self.candidates) > 1 or self.candidates[0].score < SURE

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "entity": self.entity,
            "start": self.start,
            "end": self.end,
            "value": self.value,
            "extractor": "JkpEntityExtractor",
        }
        if self.candidates:
            out["candidates"] = [
                {"key": c.key, "name": c.name, "score": round(c.score, 1)} for c in self.candidates
            ]
            out["ambiguous"] = self.ambiguous
        if isinstance(self.reading, DateReading):
            out.update(
                precision=self.reading.precision,
                earliest=self.reading.earliest.isoformat(),
                latest=self.reading.latest.isoformat(),
                inferred=self.reading.inferred,
                days_in_future=self.reading.days_in_future,
            )
        elif isinstance(self.reading, WageReading):
            out["needs_confirmation"] = self.reading.needs_confirmation
            if self.reading.typed is not None:
                out["typed"] = str(self.reading.typed)
        return out


@dataclass(frozen=True)
class _Token:
    text: str  # lowercased, accents stripped
    start: int
    end: int
    upper: bool  # typed in capitals ("ART", "OB")


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower()


@dataclass
class _Lookup:
    """Exact and fuzzy lookup of the names of one matcher."""

    matcher: Matcher
    cutoff: float = FUZZY_CUTOFF

    def exact(self, name: str) -> list[Candidate]:
        keys = self.matcher.exact.get(name, [])
        return [Candidate(k, self.matcher.display[k], SURE) for k in keys]

    def aliases(self, name: str) -> list[Candidate]:
        """Areas named instead of their regency ("cikarang" is in Kabupaten Bekasi)."""
        return [
            Candidate(code, self.matcher.display[code], SURE)
            for code in AREA_ALIASES.get(name, ())
            if code in self.matcher.display
        ]

    def fuzzy(self, name: str, limit: int = 3) -> list[Candidate]:
        best: dict[str, float] = {}
        hits = process.extract(
            name, self.matcher.names, scorer=fuzz.ratio, limit=limit * 4, score_cutoff=self.cutoff
        )
        for _, score, index in hits:
            key = self.matcher.owners[index]
            best[key] = max(best.get(key, 0.0), min(float(score), FUZZY_MAX))
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], self.matcher.display[kv[0]]))
        return [Candidate(k, self.matcher.display[k], s) for k, s in ranked[:limit]]


@cache
def _lookups() -> dict[str, list[_Lookup]]:
    return {
        "job": [_Lookup(occupations())],
        "place": [_Lookup(regencies(), PLACE_CUTOFF), _Lookup(provinces(), PLACE_CUTOFF)],
    }


class EntityExtractor:
    """Finds entities; ``company`` patterns can come from the NLU data's regexes."""

    def __init__(self, company_patterns: Sequence[str] = ()) -> None:
        self.company = [re.compile(p, re.IGNORECASE) for p in company_patterns] or [_COMPANY]

    def extract(self, text: str, today: date) -> list[Entity]:
        text = text[:MAX_TEXT]
        taken: list[tuple[int, int]] = []
        found: list[Entity] = []

        def free(start: int, end: int) -> bool:
            return all(end <= a or start >= b for a, b in taken)

        def add(entity: Entity) -> None:
            found.append(entity)
            taken.append((entity.start, entity.end))

        for entity in self._dates(text, today):
            if free(entity.start, entity.end):
                add(entity)
        for entity in self._amounts(text):
            if free(entity.start, entity.end):
                add(entity)
        for entity in self._companies(text):
            if free(entity.start, entity.end):
                add(entity)
        tokens = [
            _Token(_fold(m.group()), m.start(), m.end(), m.group().isupper())
            for m in _WORD.finditer(text)
        ][:MAX_WORDS]
        tokens = [t for t in tokens if free(t.start, t.end)]
        for entity in self._names(text, tokens):
            if free(entity.start, entity.end):
                add(entity)
        for m in _NUMBER.finditer(text):
            if free(m.start(), m.end()):
                add(Entity("number", int(m.group()), m.start(), m.end(), m.group()))
        return sorted(found, key=lambda e: e.start)

    # -- dates, amounts, companies -----------------------------------------------------
    @staticmethod
    def _dates(text: str, today: date) -> list[Entity]:
        out = []
        for m in _DATE.finditer(text):
            span = m.group().strip().rstrip(".")
            reading = read_date(span, today)
            if isinstance(reading, ParseError):
                continue
            if reading.precision == "month" and not re.search(r"\d|bulan|bln", span, re.I):
                # A bare month name ("mei", "des") is a date only with a year or "bulan".
                continue
            value = (
                reading.value.isoformat()[:7]
                if reading.precision == "month"
                else reading.value.isoformat()
            )
            start = m.start() + (len(m.group()) - len(m.group().lstrip()))
            out.append(Entity("date", value, start, start + len(span), span, reading=reading))
        return out

    @staticmethod
    def _amounts(text: str) -> list[Entity]:
        out = []
        wage_context = bool(_WAGE_WORDS.search(text))
        matches = list(_AMOUNT.finditer(text))
        if wage_context:  # "gaji 4500": a bare figure is the wage, to be confirmed
            covered = [(m.start(), m.end()) for m in matches]
            matches += [
                m
                for m in _BARE_FIGURE.finditer(text)
                if all(m.end() <= a or m.start() >= b for a, b in covered)
            ]
        for m in sorted(matches, key=lambda m: m.start()):
            span = m.group().strip()
            reading = read_wage(span)
            if isinstance(reading, ParseError):
                continue
            if reading.needs_confirmation and not wage_context:
                continue  # "4.500" alone is a number, not money
            start = m.start() + (len(m.group()) - len(m.group().lstrip()))
            out.append(
                Entity("amount", reading.amount, start, start + len(span), span, reading=reading)
            )
        return out

    def _companies(self, text: str) -> list[Entity]:
        out = []
        for pattern in self.company:
            for m in pattern.finditer(text):
                words = m.group(2).split()
                kept: list[str] = []
                for word in words:
                    if word.lower() in _COMPANY_STOP:
                        break
                    kept.append(word)
                if not kept:
                    continue
                prefix = m.group(1).upper() if len(m.group(1)) <= 2 else m.group(1).title()
                name_end = m.start(2) + len(" ".join(kept))
                span = text[m.start() : name_end]
                value = " ".join([prefix, *(w if w.isupper() else w.title() for w in kept)])
                out.append(Entity("company", value, m.start(), name_end, span))
        return out

    # -- jobs and places ---------------------------------------------------------------
    def _names(self, text: str, tokens: list[_Token]) -> list[Entity]:
        out: list[Entity] = []
        used = [False] * len(tokens)
        lookups = _lookups()
        # Longest runs first, so "jakarta selatan" wins over "jakarta".
        for size in range(min(MAX_NAME_WORDS, len(tokens)), 0, -1):
            for i in range(len(tokens) - size + 1):
                if any(used[i : i + size]) or not self._contiguous(text, tokens, i, size):
                    continue
                run = tokens[i : i + size]
                name = " ".join(t.text for t in run)
                if size == 1 and (name in NEVER_NAMES or name.isdigit()):
                    continue
                previous = tokens[i - 1].text if i > 0 else ""
                before = {tokens[k].text for k in range(max(0, i - 2), i)}
                entity = self._exact(text, run, name, lookups, previous, before)
                if entity is not None:
                    out.append(entity)
                    used[i : i + size] = [True] * size
        out.extend(self._after_cues(text, tokens, used, lookups))
        return out

    @staticmethod
    def _contiguous(text: str, tokens: list[_Token], i: int, size: int) -> bool:
        """Words of one name are separated by spaces only (not by a comma or a full stop)."""
        return all(
            text[tokens[k].end : tokens[k + 1].start].strip(" -") == ""
            for k in range(i, i + size - 1)
        )

    def _exact(
        self,
        text: str,
        run: list[_Token],
        name: str,
        lookups: Mapping[str, list[_Lookup]],
        previous: str,
        before: set[str],
    ) -> Entity | None:
        single = len(run) == 1
        start, end = run[0].start, run[-1].end
        place_cue = previous in PLACE_CUES
        places = [c for lookup in lookups["place"] for c in lookup.exact(name)]
        places += [c for lookup in lookups["place"][:1] for c in lookup.aliases(name)]
        if places and (not single or name not in COMMON_PLACE_WORDS or place_cue):
            return self._entity("place", text, start, end, places)
        jobs = lookups["job"][0].exact(name)
        cued = bool(before & JOB_CUES)
        needs_cue = (single and len(name) <= 3 and not run[0].upper) or name in JOB_NEEDS_CUE
        if jobs and (cued or (not needs_cue and previous not in TALK_TO)):
            return self._entity("job", text, start, end, jobs)
        return None

    def _after_cues(
        self,
        text: str,
        tokens: list[_Token],
        used: list[bool],
        lookups: Mapping[str, list[_Lookup]],
    ) -> list[Entity]:
        """A typed name with a typo, right after a cue: "loker opertor produksi"."""
        out: list[Entity] = []
        for i, token in enumerate(tokens[:-1]):
            kind = (
                "job"
                if token.text in JOB_CUES
                else "place"
                if token.text in FUZZY_PLACE_CUES
                else ""
            )
            if not kind or used[i + 1]:
                continue
            longest = MAX_NAME_WORDS if kind == "job" else MAX_PLACE_WORDS
            end = i + 1
            while (
                end < len(tokens)
                and end - i <= longest
                and not used[end]
                and tokens[end].text not in STOP_AFTER_CUE
                and tokens[end].text not in JOB_CUES
            ):
                end += 1
            for stop in range(end, i + 1, -1):  # the longest run that matches
                run = tokens[i + 1 : stop]
                name = " ".join(t.text for t in run)
                if len(name) < 5 or not self._contiguous(text, tokens, i + 1, len(run)):
                    continue
                candidates = [c for lookup in lookups[kind] for c in lookup.fuzzy(name)]
                if candidates:
                    candidates.sort(key=lambda c: -c.score)
                    entity = self._entity(kind, text, run[0].start, run[-1].end, candidates)
                    out.append(entity)
                    used[i + 1 : stop] = [True] * len(run)
                    break
        return out

    @staticmethod
    def _entity(kind: str, text: str, start: int, end: int, candidates: list[Candidate]) -> Entity:
        span = text[start:end]
        sure = [c for c in candidates if c.score >= SURE]
        # Several exact names ("Bekasi": Kota and Kabupaten): the value is the name typed.
        value = span.title() if len(sure) > 1 else candidates[0].name
        return Entity(kind, value, start, end, span, tuple(candidates[:5]))
