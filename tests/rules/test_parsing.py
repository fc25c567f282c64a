"""Reading dates, month counts and rupiah as Indonesians type them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.rules.benefit import estimate_benefit
from bot.rules.config import RuleSettings
from bot.rules.parsing import (
    ParseError,
    format_date,
    format_rupiah,
    parse_date,
    parse_month_count,
    parse_rupiah,
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
