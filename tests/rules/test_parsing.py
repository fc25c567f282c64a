"""Reading dates, month counts and rupiah as Indonesians type them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.rules.benefit import estimate_benefit
from bot.rules.config import RuleSettings
from bot.rules.parsing import (
    DateReading,
    ParseError,
    WageReading,
    format_date,
    format_rupiah,
    format_span,
    parse_date,
    parse_month_count,
    parse_rupiah,
    probable_wage,
    read_date,
    read_rupiah,
    read_wage,
)

EARLIEST, LATEST = date(2000, 1, 1), date(2026, 12, 31)


@pytest.mark.parametrize(
    "text",
    [
        "15-03-2025", "15/3/2025", "15 Maret 2025", "2025-03-15", "15.03.2025", "15-3-25",
        "15 maret 2025", "15 MAR 2025", "tgl 15 maret 2025", "15 Mar. 2025", " 15 / 03 / 2025 ",
        "15-Maret-2025", "15maret2025",
    ],
)  # fmt: skip
def test_dates_as_typed(text: str) -> None:
    assert parse_date(text, earliest=EARLIEST, latest=LATEST) == date(2025, 3, 15)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31-02-2025", "impossible"),
        ("29 Februari 2025", "impossible"),
        ("00-01-2025", "impossible"),
        ("15-13-2025", "impossible"),
        ("kemarin", "format"),
        ("15 Maretan 2025", "format"),
        ("", "format"),
        ("🙂", "format"),
        ("1" * 5000, "format"),
        ("15-03-1999", "range"),
        ("15-03-2030", "range"),
    ],
)
def test_bad_dates(text: str, reason: str) -> None:
    assert parse_date(text, earliest=EARLIEST, latest=LATEST) == ParseError(reason)


def test_leap_day() -> None:
    assert parse_date("29-02-2024", earliest=EARLIEST, latest=LATEST) == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("12", 12), ("12 bulan", 12), ("0", 0), ("24", 24), ("dua belas", 12), ("enam", 6),
        ("dua puluh empat", 24), ("1 tahun", 12), ("setahun", 12), ("2 tahun", 24),
        ("sebelas bulan", 11), ("18 bln", 18),
    ],
)  # fmt: skip
def test_month_counts(text: str, months: int) -> None:
    assert parse_month_count(text, maximum=24) == months


@pytest.mark.parametrize(
    ("text", "reason"),
    [("25", "range"), ("3 tahun", "range"), ("-1", "format"), ("banyak", "format"), ("", "format")],
)
def test_bad_month_counts(text: str, reason: str) -> None:
    assert parse_month_count(text, maximum=24) == ParseError(reason)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("4500000", 4_500_000), ("4.500.000", 4_500_000), ("Rp 4.500.000", 4_500_000),
        ("Rp4.500.000,-", 4_500_000), ("4,5 juta", 4_500_000), ("4.5jt", 4_500_000),
        ("4500rb", 4_500_000), ("4500 ribu", 4_500_000), ("5 juta", 5_000_000),
        ("4,500,000", 4_500_000), ("Rp 4.500.000,00", 4_500_000), ("3.000.000/bulan", 3_000_000),
    ],
)  # fmt: skip
def test_rupiah(text: str, amount: int) -> None:
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize(
    ("text", "reason"), [("lima juta", "format"), ("0", "range"), ("abc", "format"), ("", "format")]
)
def test_bad_rupiah(text: str, reason: str) -> None:
    assert parse_rupiah(text) == ParseError(reason)


def test_formatting() -> None:
    assert format_rupiah(3_000_000) == "Rp3.000.000"
    assert format_date(date(2025, 9, 15)) == "15 September 2025"


@pytest.mark.parametrize(
    ("wage", "monthly", "total", "capped"),
    [
        (4_500_000, 2_700_000, 16_200_000, False),
        (5_000_000, 3_000_000, 18_000_000, False),  # exactly the cap
        (5_000_001, 3_000_000, 18_000_000, True),
        (12_000_000, 3_000_000, 18_000_000, True),
        (1_000_001, 600_001, 3_600_006, False),  # rounding half up
    ],
)
def test_benefit_estimate(wage: int, monthly: int, total: int, capped: bool) -> None:
    est = estimate_benefit(wage, RuleSettings())
    assert (est.monthly, est.total, est.capped) == (monthly, total, capped)


# -- rich readings: wages (issue 13 item 6) -----------------------------------------------
@pytest.mark.parametrize(
    ("text", "amount"),
    [
        # everything parse_rupiah reads, read the same way
        ("4500000", 4_500_000), ("4.500.000", 4_500_000), ("Rp 4.500.000", 4_500_000),
        ("Rp4.500.000,-", 4_500_000), ("4,5 juta", 4_500_000), ("4.5jt", 4_500_000),
        ("4500rb", 4_500_000), ("4500 ribu", 4_500_000), ("5 juta", 5_000_000),
        ("4,500,000", 4_500_000), ("Rp 4.500.000,00", 4_500_000), ("3.000.000/bulan", 3_000_000),
        # and what people also type
        ("4jt 500rb", 4_500_000), ("4 juta 500 ribu", 4_500_000), ("4.500K", 4_500_000),
        ("4500k", 4_500_000), ("empat juta", 4_000_000), ("lima juta", 5_000_000),
        ("empat setengah juta", 4_500_000), ("empat juta lima ratus ribu", 4_500_000),
        ("dua ratus lima puluh ribu", 250_000), ("dua belas juta", 12_000_000),
        ("sejuta", 1_000_000), ("seratus ribu", 100_000), ("3,2jt", 3_200_000),
        ("4.500.000 per bulan", 4_500_000), ("Rp. 2.750.000", 2_750_000), ("4500", 4_500),
    ],
)  # fmt: skip
def test_read_rupiah(text: str, amount: int) -> None:
    assert read_rupiah(text) == amount


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("4,5", "format"),  # no unit: a wage question reads it as juta (read_wage)
        ("abc", "format"), ("", "format"), ("juta", "format"), ("4 juta abc", "format"),
        ("0", "range"), ("2000000000", "range"), ("🙂", "format"), ("1" * 5000, "format"),
        ("-3000000", "format"), ("- 3.000.000", "format"), ("Rp -3jt", "format"),
        ("minus 3 juta", "format"),  # a negative amount is not read as a positive one
    ],
)  # fmt: skip
def test_read_rupiah_refuses(text: str, reason: str) -> None:
    assert read_rupiah(text) == ParseError(reason)


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("4.500.000", WageReading(4_500_000)),
        ("4jt 500rb", WageReading(4_500_000)),
        ("empat juta", WageReading(4_000_000)),
        ("4.500K", WageReading(4_500_000)),
        # below a plausible monthly wage and with no unit: rescaled, to be confirmed
        ("4500", WageReading(4_500_000, "ribu", Decimal(4500))),
        ("4.500", WageReading(4_500_000, "ribu", Decimal(4500))),
        ("Rp4.500", WageReading(4_500_000, "ribu", Decimal(4500))),
        ("4,5", WageReading(4_500_000, "juta", Decimal("4.5"))),
        ("5", WageReading(5_000_000, "juta", Decimal(5))),
        ("750", WageReading(750_000, "ribu", Decimal(750))),
        # a unit was written: not rescaled, but flagged
        ("50rb", WageReading(50_000, implausible=True)),
        ("100000", WageReading(100_000)),
    ],
)
def test_read_wage(text: str, reading: WageReading) -> None:
    assert read_wage(text) == reading
    assert read_wage(text) != ParseError("format")


def test_read_wage_confirmation_flag() -> None:
    first, second = read_wage("4500"), read_wage("4.500.000")
    assert isinstance(first, WageReading) and isinstance(second, WageReading)
    assert first.needs_confirmation and format_rupiah(first.amount) == "Rp4.500.000"
    assert not second.needs_confirmation


@pytest.mark.parametrize(
    ("amount", "probable"),
    [(4500, 4_500_000), (4, 4_000_000), (Decimal("4.5"), 4_500_000), (99_999, 99_999_000),
     (100_000, None), (4_500_000, None), (0, None)],
)  # fmt: skip
def test_probable_wage(amount: int | Decimal, probable: int | None) -> None:
    assert probable_wage(amount) == probable


def test_read_wage_range() -> None:
    assert read_wage("45", maximum=10_000_000) == ParseError("range")
    assert read_wage("20 juta", maximum=10_000_000) == ParseError("range")


# -- rich readings: dates (issue 13 item 7) -----------------------------------------------
TODAY = date(2026, 11, 20)  # a Friday
D = date


@pytest.mark.parametrize(
    ("text", "value", "earliest", "latest", "precision", "inferred"),
    [
        # exact days
        ("15 Maret 2025", D(2025, 3, 15), None, None, "day", False),
        ("15-03-2025", D(2025, 3, 15), None, None, "day", False),
        ("kemarin", D(2026, 11, 19), None, None, "day", True),
        ("kmrn", D(2026, 11, 19), None, None, "day", True),
        ("hari ini", TODAY, None, None, "day", True),
        ("kemarin lusa", D(2026, 11, 18), None, None, "day", True),
        ("3 hari lalu", D(2026, 11, 17), None, None, "day", True),
        ("dua puluh hari yang lalu", D(2026, 10, 31), None, None, "day", True),
        ("tgl 3 kemarin", D(2026, 11, 3), None, None, "day", True),
        ("tgl 25 kemarin", D(2026, 10, 25), None, None, "day", True),  # the 25th has not come
        ("tanggal 3 bulan lalu", D(2026, 10, 3), None, None, "day", True),
        ("tgl 31", D(2026, 10, 31), None, None, "day", True),  # November has 30 days
        ("15 Maret", D(2026, 3, 15), None, None, "day", True),
        ("20 Des", D(2025, 12, 20), None, None, "day", True),  # the last 20 December
        ("pada 3/11", D(2026, 11, 3), None, None, "day", True),
        # a month without its day
        # two-digit years: 20YY, unless that is decades ahead (a birth year)
        ("17-08-26", D(2026, 8, 17), None, None, "day", False),
        ("05-05-93", D(1993, 5, 5), None, None, "day", False),
        ("5 mei 93", D(1993, 5, 5), None, None, "day", False),
        ("mei 93", D(1993, 5, 1), D(1993, 5, 1), D(1993, 5, 31), "month", False),
        ("Oktober 2026", D(2026, 10, 1), D(2026, 10, 1), D(2026, 10, 31), "month", False),
        ("okt 2026", D(2026, 10, 1), D(2026, 10, 1), D(2026, 10, 31), "month", False),
        ("10/2026", D(2026, 10, 1), D(2026, 10, 1), D(2026, 10, 31), "month", False),
        ("bulan lalu", D(2026, 10, 1), D(2026, 10, 1), D(2026, 10, 31), "month", True),
        ("bln kemarin", D(2026, 10, 1), D(2026, 10, 1), D(2026, 10, 31), "month", True),
        ("Desember", D(2025, 12, 1), D(2025, 12, 1), D(2025, 12, 31), "month", True),
        # spans
        ("awal Oktober", D(2026, 10, 5), D(2026, 10, 1), D(2026, 10, 10), "range", True),
        ("pertengahan Oktober 2026", D(2026, 10, 15), D(2026, 10, 11), D(2026, 10, 20),
         "range", False),
        ("akhir Februari 2026", D(2026, 2, 24), D(2026, 2, 21), D(2026, 2, 28), "range", False),
        ("awal bulan lalu", D(2026, 10, 5), D(2026, 10, 1), D(2026, 10, 10), "range", True),
        ("minggu lalu", D(2026, 11, 13), D(2026, 11, 9), D(2026, 11, 15), "range", True),
        ("tahun lalu", D(2025, 11, 20), D(2025, 1, 1), D(2025, 12, 31), "range", True),
        # about
        ("3 bulan lalu", D(2026, 8, 20), None, None, "approximate", True),
        ("tiga bulan yang lalu", D(2026, 8, 20), None, None, "approximate", True),
        ("sebulan lalu", D(2026, 10, 20), None, None, "approximate", True),
        ("2 minggu yg lalu", D(2026, 11, 6), None, None, "approximate", True),
        ("setahun lalu", D(2025, 11, 20), None, None, "approximate", True),
    ],
)  # fmt: skip
def test_read_date(
    text: str,
    value: date,
    earliest: date | None,
    latest: date | None,
    precision: str,
    inferred: bool,
) -> None:
    reading = read_date(text, TODAY)
    assert isinstance(reading, DateReading), reading
    assert (reading.value, reading.earliest, reading.latest) == (
        value,
        earliest or value,
        latest or value,
    )
    assert (reading.precision, reading.inferred) == (precision, inferred)
    assert reading.day_missing == (precision != "day")
    assert not reading.in_future


@pytest.mark.parametrize(
    ("text", "days_ahead"),
    [("besok", 1), ("lusa", 2), ("25 Desember 2026", 35), ("Januari 2027", 42),
     ("akhir bulan ini", 1), ("hari ini", 0), ("bulan ini", 0),
     ("17-01-27", 58)],  # (a two-digit year a little ahead stays in this century)
)  # fmt: skip
def test_read_date_says_when_it_is_in_the_future(text: str, days_ahead: int) -> None:
    reading = read_date(text, TODAY)
    assert isinstance(reading, DateReading)
    assert reading.days_in_future == days_ahead
    assert reading.in_future == (days_ahead > 0)


def test_read_date_prefers_the_side_asked_for() -> None:
    ahead = read_date("15 Maret", TODAY, prefer_past=False)
    assert isinstance(ahead, DateReading) and ahead.value == D(2027, 3, 15)
    assert ahead.days_in_future == 115
    past = read_date("tgl 25", TODAY)
    future = read_date("tgl 25", TODAY, prefer_past=False)
    assert isinstance(past, DateReading) and past.value == D(2026, 10, 25)
    assert isinstance(future, DateReading) and future.value == D(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31 Februari 2026", "impossible"), ("31-02-2025", "impossible"),
        ("tgl 40", "impossible"), ("30 Februari", "impossible"),
        ("", "format"), ("🙂", "format"), ("entahlah", "format"), ("1" * 5000, "format"),
        ("kemarin " * 1000, "format"), ("700 bulan lalu", "format"), ("15 Maretan", "format"),
    ],
)  # fmt: skip
def test_read_date_refuses(text: str, reason: str) -> None:
    assert read_date(text, TODAY) == ParseError(reason)


def test_read_date_leaves_parse_date_unchanged() -> None:
    """The dialogs still call parse_date; the new readings are an addition."""
    assert parse_date("kemarin", earliest=EARLIEST, latest=LATEST) == ParseError("format")
    assert parse_rupiah("lima juta") == ParseError("format")


@pytest.mark.parametrize(
    ("earliest", "latest", "words"),
    [
        (D(2026, 10, 1), D(2026, 10, 31), "Oktober 2026"),
        (D(2026, 2, 1), D(2026, 2, 28), "Februari 2026"),
        (D(2026, 10, 1), D(2026, 10, 10), "1 sampai 10 Oktober 2026"),
        (D(2026, 10, 28), D(2026, 11, 3), "28 Oktober sampai 3 November 2026"),
        (D(2025, 12, 29), D(2026, 1, 4), "29 Desember 2025 sampai 4 Januari 2026"),
        (D(2026, 10, 3), D(2026, 10, 3), "3 Oktober 2026"),
    ],
)
def test_format_span_says_a_span_as_people_do_and_read_date_reads_it_back(
    earliest: date, latest: date, words: str
) -> None:
    assert format_span(earliest, latest) == words
    reading = read_date(words, TODAY)
    assert isinstance(reading, DateReading)
    assert (reading.earliest, reading.latest) == (earliest, latest)
    assert not reading.inferred


@pytest.mark.parametrize("text", ["10 sampai 1 Mei 2025", "besok sampai lusa", "1 sampai x"])
def test_a_span_backwards_or_without_an_end_is_not_a_date(text: str) -> None:
    assert read_date(text, TODAY) == ParseError("format")


def test_sekitar_makes_a_day_approximate() -> None:
    reading = read_date("sekitar 15 Maret 2025", TODAY)
    assert isinstance(reading, DateReading)
    assert (reading.value, reading.precision) == (D(2025, 3, 15), "approximate")
    month = read_date("kira-kira Oktober 2026", TODAY)  # a month stays a month
    assert isinstance(month, DateReading) and month.precision == "month"
    assert read_date("sekitar entah", TODAY) == ParseError("format")
