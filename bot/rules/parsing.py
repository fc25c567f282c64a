"""Reading what Indonesians type: dates, month counts and rupiah amounts.

Pure functions; each returns a value or a :class:`ParseError` with a reason code
that the dialog turns into a friendly re-prompt.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

MONTHS: dict[str, int] = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "pebruari": 2, "peb": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agst": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nopember": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}  # fmt: skip

NUMBER_WORDS: dict[str, int] = {
    "nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6,
    "tujuh": 7, "delapan": 8, "sembilan": 9, "sepuluh": 10, "sebelas": 11,
}  # fmt: skip


@dataclass(frozen=True)
class ParseError:
    """Why a text could not be read; ``reason`` picks the re-prompt."""

    reason: str  # "format" | "impossible" | "range"


_NUMERIC_DMY = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{2}|\d{4})$")
_NUMERIC_YMD = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$")
_WORDY = re.compile(
    r"^(?:tgl\.?\s*|tanggal\s+)?(\d{1,2})\s*[-/. ]?\s*([a-z]+)\.?\s*[-/. ,]?\s*(\d{2}|\d{4})$"
)


YEARS_AHEAD = 10  # a two-digit year further ahead than this is last century's ("93")


def _year(text: str, today: date | None = None) -> int:
    """A typed year; two digits are 20YY, or 19YY when 20YY is more than
    :data:`YEARS_AHEAD` years after ``today`` (a birth year "93"; "27" stays 2027)."""
    value = int(text)
    if len(text) != 2:
        return value
    if today is not None and 2000 + value > today.year + YEARS_AHEAD:
        return 1900 + value
    return 2000 + value


def parse_date(
    text: str, *, earliest: date, latest: date, today: date | None = None
) -> date | ParseError:
    """Read a date typed as 15-03-2025, 15/3/2025, 15 Maret 2025 or 2025-03-15.

    Two-digit years are read as 20YY (given ``today``, as 19YY when 20YY is decades ahead).
    A date outside [earliest, latest] is ``range``; a date that does not exist (31-02-2025)
    is ``impossible``.
    """
    cleaned = " ".join(text.strip().lower().split())
    parts: tuple[int, int, int] | None = None
    if m := _NUMERIC_DMY.match(cleaned):
        parts = (_year(m.group(3), today), int(m.group(2)), int(m.group(1)))
    elif m := _NUMERIC_YMD.match(cleaned):
        parts = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    elif (m := _WORDY.match(cleaned)) and m.group(2) in MONTHS:
        parts = (_year(m.group(3), today), MONTHS[m.group(2)], int(m.group(1)))
    if parts is None:
        return ParseError("format")
    try:
        value = date(*parts)
    except ValueError:
        return ParseError("impossible")
    if not earliest <= value <= latest:
        return ParseError("range")
    return value


_MONTH_COUNT = re.compile(r"^(\d{1,3})\s*(bulan|bln|bl)?$")
_YEAR_COUNT = re.compile(r"^(\d{1,2}|[a-z]+)\s*(tahun|thn|th)$")


def _words_to_int(text: str) -> int | None:
    """Read Indonesian number words up to 99 ("dua belas", "dua puluh empat")."""
    words = text.split()
    if not words:
        return None
    total = 0
    i = 0
    while i < len(words):
        word = words[i]
        if word == "belas" or word == "puluh":
            return None
        nxt = words[i + 1] if i + 1 < len(words) else None
        if word in NUMBER_WORDS and nxt == "belas":
            total += 10 + NUMBER_WORDS[word]
            i += 2
        elif word in NUMBER_WORDS and nxt == "puluh":
            total += 10 * NUMBER_WORDS[word]
            i += 2
        elif word in NUMBER_WORDS:
            total += NUMBER_WORDS[word]
            i += 1
        else:
            return None
    return total


def parse_month_count(text: str, *, maximum: int) -> int | ParseError:
    """Read a number of months: "12", "12 bulan", "dua belas", "1 tahun", "setahun"."""
    cleaned = " ".join(text.strip().lower().replace("±", "").split())
    value: int | None = None
    if cleaned in ("setahun", "1 tahun penuh"):
        value = 12
    elif m := _MONTH_COUNT.match(cleaned):
        value = int(m.group(1))
    elif m := _YEAR_COUNT.match(cleaned):
        years = int(m.group(1)) if m.group(1).isdigit() else _words_to_int(m.group(1))
        value = None if years is None else years * 12
    else:
        words = re.sub(r"\s*(bulan|bln)$", "", cleaned)
        value = _words_to_int(words)
    if value is None:
        return ParseError("format")
    if not 0 <= value <= maximum:
        return ParseError("range")
    return value


_MULTIPLIERS = {"juta": 1_000_000, "jt": 1_000_000, "ribu": 1_000, "rb": 1_000, "k": 1_000}
_MONEY_SCALED = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(juta|jt|ribu|rb|k)$")
_MONEY_PLAIN = re.compile(r"^\d{1,3}(?:([.,])\d{3})*(?:,-|,00|\.00)?$|^\d+$")


def parse_rupiah(text: str, *, maximum: int = 1_000_000_000) -> int | ParseError:
    """Read a rupiah amount: "4.500.000", "Rp 4.500.000,-", "4,5 juta", "4500rb"."""
    cleaned = text.strip().lower().replace("rp.", "").replace("rp", "").replace(" ", "")
    cleaned = cleaned.removesuffix("/bulan").removesuffix("perbulan").removesuffix("sebulan")
    amount: int | None = None
    if m := _MONEY_SCALED.match(cleaned):
        try:
            number = Decimal(m.group(1).replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the regex admits only digits
            return ParseError("format")
        amount = int(number * _MULTIPLIERS[m.group(2)])
    elif m := _MONEY_PLAIN.match(cleaned):
        core = cleaned.removesuffix(",-").removesuffix(",00")
        if m.group(1) is None and "." in core:
            core = core.removesuffix(".00")
        amount = int(re.sub(r"[.,]", "", core))
    if amount is None:
        return ParseError("format")
    if not 1 <= amount <= maximum:
        return ParseError("range")
    return amount


def parse_year(text: str, *, earliest: int, latest: int) -> int | ParseError:
    """A year as typed: "2019", "th 2019", "tahun 2019"."""
    cleaned = re.sub(r"^(tahun|thn|th)\.?\s*", "", text.strip().lower())
    if not re.fullmatch(r"\d{4}", cleaned):
        return ParseError("format")
    year = int(cleaned)
    return year if earliest <= year <= latest else ParseError("range")


def parse_text(text: str, *, longest: int = 100) -> str | ParseError:
    """A short free answer (a name, a school): trimmed, with at least two letters."""
    cleaned = " ".join(text.split())
    if sum(ch.isalpha() for ch in cleaned) < 2:
        return ParseError("format")
    if len(cleaned) > longest:
        return ParseError("range")
    return cleaned


def format_rupiah(amount: int) -> str:
    """Rp3.000.000 — the way amounts are written in Indonesia."""
    return "Rp" + f"{amount:,}".replace(",", ".")


MONTH_NAMES = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
    "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


def format_date(value: date) -> str:
    """15 Maret 2025."""
    return f"{value.day} {MONTH_NAMES[value.month - 1]} {value.year}"


def format_span(earliest: date, latest: date) -> str:
    """A span of days as people say it: "Oktober 2026" (a whole month), "1 sampai 10
    Oktober 2026", "28 Oktober sampai 3 November 2026", "3 Mei 2025" (one day)."""
    if earliest == latest:
        return format_date(earliest)
    month = MONTH_NAMES[earliest.month - 1]
    same_month = (earliest.year, earliest.month) == (latest.year, latest.month)
    if same_month and earliest.day == 1 and latest == _month_end(latest.year, latest.month):
        return f"{month} {earliest.year}"
    if same_month:
        return f"{earliest.day} sampai {latest.day} {month} {earliest.year}"
    if earliest.year == latest.year:
        return f"{earliest.day} {month} sampai {format_date(latest)}"
    return f"{format_date(earliest)} sampai {format_date(latest)}"


# -- Rich readings (issue 13, items 6 and 7) ----------------------------------------------
# The functions above answer "a value or why not". The readers below also say how sure the
# reading is, so a dialog can confirm instead of guess: a wage typed as "4500" is probably
# Rp4.500.000 ("Maksud Anda Rp4.500.000?"); "Oktober 2026" has no day; "kemarin" depends on
# today; a PHK date after today needs a second look.

PLAUSIBLE_MONTHLY_WAGE = 100_000  # rupiah: below this, a typed wage is probably in ribu/juta
MAX_READ = 120  # characters: a date or an amount is short; longer text is not read at all

Precision = Literal["day", "month", "range", "approximate"]


@dataclass(frozen=True)
class DateReading:
    """A date as understood, with how much the text really said.

    ``precision``: ``day`` — one day ("15 Maret 2025", "kemarin"); ``month`` — a calendar
    month without its day ("Oktober 2026", "bulan lalu"); ``range`` — a known span ("awal
    Oktober" = 1–10, "minggu lalu" = Monday–Sunday of last week); ``approximate`` — about
    that day ("3 bulan lalu", "2 minggu lalu"). ``value`` is the best single guess,
    ``earliest``/``latest`` the span the text allows (equal for ``day``). ``inferred``: part
    of it came from today (a relative expression, or a missing year or month).
    """

    value: date
    earliest: date
    latest: date
    precision: Precision
    inferred: bool
    days_in_future: int  # how far ``earliest`` lies after today (0 when not in the future)

    @property
    def exact(self) -> bool:
        return self.precision == "day"

    @property
    def day_missing(self) -> bool:
        """The text did not name one day: ask for it, or use a worst case and say so."""
        return self.precision != "day"

    @property
    def in_future(self) -> bool:
        return self.days_in_future > 0


@dataclass(frozen=True)
class WageReading:
    """A monthly wage as understood. ``unit_assumed`` is "" when the text was clear, else the
    unit the reading added ("ribu" for "4500", "juta" for "4,5"): confirm before using it
    ("Maksud Anda Rp4.500.000?"). ``typed`` is the number as written when it was rescaled.
    ``implausible``: a unit was written but the amount is still below a monthly wage
    ("50rb"): worth a second look, not a rescale."""

    amount: int
    unit_assumed: Literal["", "ribu", "juta"] = ""
    typed: Decimal | None = None
    implausible: bool = False

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.unit_assumed)


def _clean(text: str) -> str:
    """Lowercased, spaces squeezed; "" for text too long to be a date or an amount."""
    text = text.strip()
    return "" if len(text) > MAX_READ else " ".join(text.lower().split())


# ---- amounts -----------------------------------------------------------------------------
_SCALE_WORDS: dict[str, int] = {
    "juta": 1_000_000, "jt": 1_000_000, "jta": 1_000_000, "jeti": 1_000_000, "m": 1_000_000,
    "ribu": 1_000, "rb": 1_000, "rbu": 1_000, "k": 1_000, "rebu": 1_000,
}  # fmt: skip
_SE_WORDS = {"sejuta": ("se", "juta"), "seribu": ("se", "ribu"), "seratus": ("se", "ratus")}
_WORD_DIGITS = {**NUMBER_WORDS, "se": 1}
_AMOUNT_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+")


def _number_token(token: str, next_unit: int | None) -> Decimal | None:
    """A typed number: "4.500" (groups), "4,5" (decimal), "4.5" (decimal), "4,500,000"."""
    groups = re.split(r"[.,]", token)
    if len(groups) == 1:
        return Decimal(token)
    seps = re.findall(r"[.,]", token)
    grouped = all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3
    # "4.500K" and "4.500.000" are groups; "4,5 juta" and "4.5jt" are decimals; a decimal
    # millions figure is never grouped ("4.500 jt" = 4,5 juta, as parse_rupiah reads it).
    if grouped and (len(groups) > 2 or next_unit != 1_000_000):
        return Decimal("".join(groups))
    if len(seps) == 1 and len(groups[1]) <= 3:
        return Decimal(f"{groups[0]}.{groups[1]}")
    return None


def _read_amount(text: str) -> tuple[Decimal, bool] | None:
    """(rupiah, whether a unit — juta, ribu, k — said its scale) for "4jt 500rb", "empat
    juta", "Rp 4.500.000,-", "4.500K", "4,5" (a bare number: no unit)."""
    cleaned = _clean(text)
    cleaned = re.sub(r"\brp\.?\s*", "rp ", cleaned)
    cleaned = re.sub(r",-$|(?<=\d),00$|(?<=\d{3})\.00$", "", cleaned)
    cleaned = re.sub(r"\s*(/\s*bulan|per\s*bulan|perbulan|sebulan|/bln|/bl)$", "", cleaned)
    if re.match(r"(?:rp\s*)?(?:-\s*\d|minus\b)", cleaned):
        return None  # a negative amount is no wage or price ("-3000000")
    tokens = _AMOUNT_TOKEN.findall(cleaned)
    if not tokens or len(tokens) > 12:
        return None
    # Anything but digits, number words, units and "rp" makes it not an amount.
    words: list[str] = []
    for token in tokens:
        words.extend(_SE_WORDS.get(token, (token,)))
    total = Decimal(0)  # completed millions and thousands
    current = Decimal(0)  # the group being read
    fraction: Decimal | None = None  # "koma lima"
    marked = False
    seen_number = False
    i = 0
    while i < len(words):
        word = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else None
        if word == "rp" and i == 0:
            pass
        elif word[0].isdigit():
            number = _number_token(word, _SCALE_WORDS.get(nxt or ""))
            if number is None:
                return None
            current += number
            seen_number = True
        elif word in _WORD_DIGITS:
            current += _WORD_DIGITS[word]
            seen_number = True
        elif word == "belas" and seen_number:
            current += 10
        elif word == "puluh" and seen_number:
            current = (current % 10) * 10 + (current - current % 10)
        elif word == "ratus" and seen_number:
            current = (current % 100) * 100 + (current - current % 100)
        elif word == "setengah":
            current += Decimal("0.5")
            seen_number = True
        elif word == "koma" and nxt in NUMBER_WORDS:
            fraction = Decimal(NUMBER_WORDS[nxt]) / 10
            i += 1
        elif word in _SCALE_WORDS and seen_number:
            current += fraction or 0
            fraction = None
            total += current * _SCALE_WORDS[word]
            current = Decimal(0)
            marked = True
        else:
            return None
        i += 1
    if not seen_number:
        return None
    return total + current + (fraction or 0), marked


def read_rupiah(text: str, *, maximum: int = 1_000_000_000) -> int | ParseError:
    """Read what :func:`parse_rupiah` reads and more: "4jt 500rb", "4 juta 500 ribu",
    "empat juta", "empat setengah juta", "4.500K", "Rp4.500". A bare decimal ("4,5") has
    no unit and is ``format`` here; :func:`read_wage` reads it as millions."""
    read = _read_amount(text)
    if read is None:
        return ParseError("format")
    amount, marked = read
    if not marked and amount != amount.to_integral_value():
        return ParseError("format")
    value = int(amount)
    if not 1 <= value <= maximum:
        return ParseError("range")
    return value


def probable_wage(amount: Decimal | int, *, plausible: int = PLAUSIBLE_MONTHLY_WAGE) -> int | None:
    """The monthly wage a too-small figure probably means, or None when it is plausible as
    it stands: under 100 is millions ("4,5" → 4.500.000), under ``plausible`` thousands
    ("4500" → 4.500.000)."""
    if amount >= plausible or amount <= 0:
        return None
    if amount < 100:
        return int(Decimal(amount) * 1_000_000)
    return int(Decimal(amount) * 1_000)


def read_wage(
    text: str, *, maximum: int = 1_000_000_000, plausible: int = PLAUSIBLE_MONTHLY_WAGE
) -> WageReading | ParseError:
    """A monthly wage: clear amounts as :func:`read_rupiah` reads them; a figure below a
    plausible monthly wage ("4500", "4,5", "Rp4.500") is rescaled and flagged so the dialog
    can ask "Maksud Anda Rp4.500.000?"."""
    read = _read_amount(text)
    if read is None:
        return ParseError("format")
    amount, marked = read
    if not marked and (scaled := probable_wage(amount, plausible=plausible)):
        if not 1 <= scaled <= maximum:
            return ParseError("range")
        unit: Literal["ribu", "juta"] = "juta" if amount < 100 else "ribu"
        return WageReading(scaled, unit, amount)
    if not marked and amount != amount.to_integral_value():
        return ParseError("format")
    value = int(amount)
    if not 1 <= value <= maximum:
        return ParseError("range")
    return WageReading(value, implausible=value < plausible)


# ---- dates -------------------------------------------------------------------------------
_PARTS_OF_MONTH = {
    "awal": (1, 10), "permulaan": (1, 10), "pertengahan": (11, 20), "tengah": (11, 20),
    "medio": (11, 20), "pertengahan bulan": (11, 20), "akhir": (21, 31), "ujung": (21, 31),
}  # fmt: skip
_UNITS = {"hari": "day", "hr": "day", "minggu": "week", "mgg": "week", "pekan": "week",
          "bulan": "month", "bln": "month", "bl": "month", "tahun": "year", "thn": "year",
          "th": "year"}  # fmt: skip
_AGO = r"(?:yang|yg)?\s*(?:lalu|lau|kemarin|kemaren|kmrn|kmrin|silam)"
_NUM = r"(\d{1,3}|[a-z]+(?:\s+(?:belas|puluh))?(?:\s+[a-z]+)?|se)"
_RELATIVE_DAYS = {
    "hari ini": 0, "hr ini": 0, "tadi": 0, "barusan": 0, "kemarin": -1, "kemaren": -1,
    "kmrn": -1, "kmrin": -1, "kemarin lusa": -2, "kemaren lusa": -2, "besok": 1, "bsk": 1,
    "besok lusa": 2, "lusa": 2,
}  # fmt: skip
_N_AGO = re.compile(rf"^{_NUM}\s*(hari|hr|minggu|mgg|pekan|bulan|bln|bl|tahun|thn|th)\s*{_AGO}$")
_ONE_AGO = re.compile(rf"^(se)(hari|minggu|pekan|bulan|tahun)\s*{_AGO}$")
_LAST_UNIT = re.compile(rf"^(minggu|mgg|pekan|bulan|bln|bl|tahun|thn|th)\s*{_AGO}$")
_THIS_UNIT = re.compile(r"^(minggu|pekan|bulan|bln|tahun|thn)\s+ini$")
_DAY_ONLY = re.compile(
    rf"^(?:tgl\.?|tanggal|tg)\s*(\d{{1,2}})(?:\s+(bulan\s+ini|bln\s+ini|bulan\s+{_AGO}|"
    rf"bln\s+{_AGO}|{_AGO}))?$"
)
_MONTH_YEAR = re.compile(
    r"^(?:(awal|permulaan|pertengahan|tengah|medio|akhir|ujung)\s+)?(?:bulan\s+|bln\s+)?"
    r"([a-z]+)\.?(?:\s*[-/ ,]?\s*(\d{4}|'?\d{2}))?(?:\s+(?:yang|yg)?\s*(?:lalu|kemarin|kmrn))?$"
)
_PART_OF_RELATIVE_MONTH = re.compile(rf"^([a-z]+)\s+(?:bulan|bln)\s+(ini|{_AGO})$")
_NUMERIC_MONTH_YEAR = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{4})$")
_DAY_MONTH = re.compile(
    r"^(?:tgl\.?\s*|tanggal\s+)?(\d{1,2})\s*[-/. ]?\s*([a-z]+)\.?(?:\s+(?:yang|yg)?\s*"
    r"(?:lalu|kemarin|kmrn))?$"
)
_SPAN = re.compile(r"^(.+?)\s+(?:sampai|sampai dengan|s/d|sd|hingga)\s+(.+)$")
_ABOUT = re.compile(r"^(?:sekitar|sktr|kira-kira|kira2|kira kira|kurang lebih|kurleb|kisaran)\s+")
_NUMERIC_DAY_MONTH = re.compile(r"^(?:tgl\.?\s*|tanggal\s+)?(\d{1,2})\s*[-/]\s*(\d{1,2})$")


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _shift_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _reading(
    value: date,
    today: date,
    *,
    precision: Precision = "day",
    earliest: date | None = None,
    latest: date | None = None,
    inferred: bool = False,
) -> DateReading:
    low = earliest or value
    return DateReading(value, low, latest or value, precision, inferred, max(0, (low - today).days))


def _count(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "se":
        return 1
    return _words_to_int(text)


def _month_of(
    year: int, month: int, today: date, *, part: str | None, inferred: bool
) -> DateReading:
    last = _month_end(year, month)
    if part:
        low_day, high_day = _PARTS_OF_MONTH[part]
        low, high = date(year, month, low_day), date(year, month, min(high_day, last.day))
        middle = date(year, month, (low.day + high.day) // 2)
        return _reading(middle, today, precision="range", earliest=low, latest=high,
                        inferred=inferred)  # fmt: skip
    first = date(year, month, 1)
    return _reading(first, today, precision="month", earliest=first, latest=last,
                    inferred=inferred)  # fmt: skip


def _nearest_year(month: int, day: int, today: date, prefer_past: bool) -> int:
    """The year that puts (month, day) nearest today on the preferred side."""
    year = today.year
    candidate = (month, min(day, calendar.monthrange(year, month)[1]))
    if prefer_past and candidate > (today.month, today.day):
        return year - 1
    if not prefer_past and candidate < (today.month, today.day):
        return year + 1
    return year


def read_date(text: str, today: date, *, prefer_past: bool = True) -> DateReading | ParseError:
    """Read a date as people type it, relative to ``today``.

    Everything :func:`parse_date` reads ("15-03-2025", "15 Maret 2025"), and also
    "kemarin", "3 hari lalu", "minggu lalu", "2 minggu lalu", "3 bulan lalu", "bulan lalu",
    "Oktober 2026" / "10/2026" (no day), "awal / pertengahan / akhir Oktober", "15 Maret"
    (no year), "tgl 3 kemarin" / "tgl 3" (no month). A missing year or month is taken on
    the side of today that ``prefer_past`` says (a PHK date lies in the past). Reasons:
    ``format`` (not a date), ``impossible`` (31 Februari).
    """
    cleaned = _clean(text).replace("'", "")
    cleaned = re.sub(r"^(?:pada|pd|sejak|sjk|dari|mulai|tanggal(?=\s+\D))\s+", "", cleaned)
    cleaned = cleaned.rstrip(".,!? ")
    if m := _ABOUT.match(cleaned):  # "sekitar 15 Maret 2025": that day, roughly
        reading = read_date(cleaned[m.end() :], today, prefer_past=prefer_past)
        if isinstance(reading, DateReading) and reading.precision == "day":
            return replace(reading, precision="approximate")
        return reading
    if not cleaned:
        return ParseError("format")
    exact = parse_date(cleaned, earliest=date.min, latest=date.max, today=today)
    if isinstance(exact, date):
        return _reading(exact, today)
    if exact.reason == "impossible":
        return exact
    if m := _SPAN.match(cleaned):  # "1 sampai 10 Oktober 2026" (format_span's own words)
        return _span(m.group(1), m.group(2), today)
    if cleaned in _RELATIVE_DAYS:
        return _reading(today + timedelta(days=_RELATIVE_DAYS[cleaned]), today, inferred=True)
    m = _N_AGO.match(cleaned) or _ONE_AGO.match(cleaned)
    if m and (count := _count(m.group(1))) is not None and count <= 600:
        return _ago(count, _UNITS[m.group(2)], today)
    if m := _LAST_UNIT.match(cleaned):
        return _last(_UNITS[m.group(1)], today)
    if m := _THIS_UNIT.match(cleaned):
        unit = _UNITS[m.group(1)]
        if unit == "month":
            return _month_of(today.year, today.month, today, part=None, inferred=True)
        if unit == "year":
            return _reading(today, today, precision="range", earliest=date(today.year, 1, 1),
                            latest=date(today.year, 12, 31), inferred=True)  # fmt: skip
        monday = today - timedelta(days=today.weekday())
        return _reading(today, today, precision="range", earliest=monday,
                        latest=monday + timedelta(days=6), inferred=True)  # fmt: skip
    if (m := _PART_OF_RELATIVE_MONTH.match(cleaned)) and m.group(1) in _PARTS_OF_MONTH:
        start = today.replace(day=1)
        if m.group(2) != "ini":
            start = _shift_months(start, -1)
        return _month_of(start.year, start.month, today, part=m.group(1), inferred=True)
    if m := _DAY_ONLY.match(cleaned):
        return _day_only(int(m.group(1)), m.group(2) or "", today, prefer_past)
    if (m := _NUMERIC_MONTH_YEAR.match(cleaned)) and 1 <= int(m.group(1)) <= 12:
        return _month_of(int(m.group(2)), int(m.group(1)), today, part=None, inferred=False)
    if (m := _MONTH_YEAR.match(cleaned)) and m.group(2) in MONTHS:
        month, part = MONTHS[m.group(2)], m.group(1)
        if m.group(3):
            return _month_of(_year(m.group(3), today), month, today, part=part, inferred=False)
        year = _nearest_year(month, 1, today, prefer_past)
        return _month_of(year, month, today, part=part, inferred=True)
    if (m := _DAY_MONTH.match(cleaned)) and m.group(2) in MONTHS:
        return _day_month(int(m.group(1)), MONTHS[m.group(2)], today, prefer_past)
    if (m := _NUMERIC_DAY_MONTH.match(cleaned)) and 1 <= int(m.group(2)) <= 12:
        return _day_month(int(m.group(1)), int(m.group(2)), today, prefer_past)
    return ParseError("format")


def _span(left: str, right: str, today: date) -> DateReading | ParseError:
    """ "1 sampai 10 Oktober 2026", "28 Oktober sampai 3 November 2026": the right end is a
    whole date; the left takes the month and year it leaves out from it."""
    end = parse_date(right, earliest=date.min, latest=date.max)
    if isinstance(end, ParseError):
        return end
    for text in (left, f"{left} {end.year}", f"{left} {MONTH_NAMES[end.month - 1]} {end.year}"):
        start = parse_date(text, earliest=date.min, latest=date.max)
        if isinstance(start, date):
            break
        if start.reason == "impossible":
            return start
    else:
        return ParseError("format")
    if start > end:
        return ParseError("format")
    middle = start + (end - start) // 2
    return _reading(middle, today, precision="range", earliest=start, latest=end)


def _ago(count: int, unit: str, today: date) -> DateReading:
    if unit == "day":
        return _reading(today - timedelta(days=count), today, inferred=True)
    if unit == "week":
        return _reading(today - timedelta(weeks=count), today, precision="approximate",
                        inferred=True)  # fmt: skip
    months = count * (12 if unit == "year" else 1)
    return _reading(_shift_months(today, -months), today, precision="approximate",
                    inferred=True)  # fmt: skip


def _last(unit: str, today: date) -> DateReading:
    """ "minggu lalu" (last Monday–Sunday), "bulan lalu" (last calendar month), "tahun
    lalu"."""
    if unit == "week":
        monday = today - timedelta(days=today.weekday() + 7)
        return _reading(today - timedelta(days=7), today, precision="range", earliest=monday,
                        latest=monday + timedelta(days=6), inferred=True)  # fmt: skip
    if unit == "month":
        previous = _shift_months(today.replace(day=1), -1)
        return _month_of(previous.year, previous.month, today, part=None, inferred=True)
    if unit == "year":
        year = today.year - 1
        return _reading(date(year, today.month, min(today.day, 28)), today, precision="range",
                        earliest=date(year, 1, 1), latest=date(year, 12, 31),
                        inferred=True)  # fmt: skip
    return _reading(today - timedelta(days=1), today, inferred=True)


def _day_only(day: int, tail: str, today: date, prefer_past: bool) -> DateReading | ParseError:
    """ "tgl 3" / "tgl 3 kemarin" (the nearest 3rd on the preferred side), "tgl 3 bulan
    lalu", "tgl 3 bulan ini"."""
    if not 1 <= day <= 31:
        return ParseError("impossible")
    if "ini" in tail:
        month_start = today.replace(day=1)
    elif tail.startswith(("bulan", "bln")):
        month_start = _shift_months(today.replace(day=1), -1)
    else:
        step = -1 if prefer_past or tail else 1
        month_start = today.replace(day=1)
        if (day > today.day) if step < 0 else (day < today.day):
            month_start = _shift_months(month_start, step)
        for _ in range(2):  # "tgl 31" in a 30-day month: the month before (or after)
            if day <= calendar.monthrange(month_start.year, month_start.month)[1]:
                break
            month_start = _shift_months(month_start, step)
    try:
        value = month_start.replace(day=day)
    except ValueError:
        return ParseError("impossible")
    return _reading(value, today, inferred=True)


def _day_month(day: int, month: int, today: date, prefer_past: bool) -> DateReading | ParseError:
    year = _nearest_year(month, day, today, prefer_past)
    try:
        value = date(year, month, day)
    except ValueError:
        return ParseError("impossible")
    return _reading(value, today, inferred=True)
