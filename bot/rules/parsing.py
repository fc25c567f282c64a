"""Reading what Indonesians type: dates, month counts and rupiah amounts.

Pure functions; each returns a value or a :class:`ParseError` with a reason code
that the dialog turns into a friendly re-prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

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


def _year(text: str) -> int:
    value = int(text)
    return value + 2000 if len(text) == 2 else value


def parse_date(text: str, *, earliest: date, latest: date) -> date | ParseError:
    """Read a date typed as 15-03-2025, 15/3/2025, 15 Maret 2025 or 2025-03-15.

    Two-digit years are read as 20YY. A date outside [earliest, latest] is ``range``;
    a date that does not exist (31-02-2025) is ``impossible``.
    """
    cleaned = " ".join(text.strip().lower().split())
    parts: tuple[int, int, int] | None = None
    if m := _NUMERIC_DMY.match(cleaned):
        parts = (_year(m.group(3)), int(m.group(2)), int(m.group(1)))
    elif m := _NUMERIC_YMD.match(cleaned):
        parts = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    elif (m := _WORDY.match(cleaned)) and m.group(2) in MONTHS:
        parts = (_year(m.group(3)), MONTHS[m.group(2)], int(m.group(1)))
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


def format_date(value: date) -> str:
    """15 Maret 2025."""
    names = [
        "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
        "Agustus", "September", "Oktober", "November", "Desember",
    ]  # fmt: skip
    return f"{value.day} {names[value.month - 1]} {value.year}"
