"""Typo-tolerant lookup of occupations, regions and countries."""

from __future__ import annotations

import pytest

from bot.knowledge.search import SURE, countries, occupations, provinces, regencies, regencies_in


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # informal names and synonyms: a sure match
        ("supir", "Sopir"), ("sopir", "Sopir"), ("ojol", "Pengemudi Ojek Online"),
        ("ART", "Asisten Rumah Tangga"), ("PRT", "Asisten Rumah Tangga"), ("satpam", "Satpam"),
        ("security", "Satpam"), ("SPG", "Sales Promotion (SPG/SPB)"),
        ("pramuniaga", "Pramuniaga"), ("admin", "Staf Administrasi"), ("OB", "Office Boy"),
        ("Kurir", "Kurir"), ("  TUKANG   LAS!! ", "Tukang Las"),
    ],
)  # fmt: skip
def test_informal_names(typed: str, expected: str) -> None:
    best = occupations().search(typed)[0]
    assert (best.name, best.score) == (expected, SURE)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("opertor produksi", "Operator Mesin Produksi"),  # the example
        ("admn", "Staf Administrasi"),
        ("programer", "Programmer"),
        ("operater forklif", "Operator Forklift"),
        ("penjahitt", "Penjahit"),
        ("kasir minimarket", "Kasir"),
        ("tukang listrk", "Tukang Listrik"),
    ],
)
def test_misspellings_offer_the_right_title_first(typed: str, expected: str) -> None:
    matches = occupations().search(typed)
    assert matches, typed
    assert matches[0].name == expected
    assert len(matches) <= 3


@pytest.mark.parametrize("typed", ["zzqx", "", "🙂🙂", "x" * 5000, "12345"])
def test_nonsense_finds_nothing(typed: str) -> None:
    assert occupations().search(typed) == []


def test_two_letter_synonyms_do_not_match_everything() -> None:
    names = [m.name for m in occupations().search("operator produksi pabrik")]
    assert "Humas" not in names


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Kota Bandung", "3273"), ("kab bandung", "3204"), ("jaksel", "3174"),
        ("tangsel", "3674"), ("jogja", "3471"), ("surabya", "3578"), ("Medan", "1271"),
    ],
)  # fmt: skip
def test_regencies(typed: str, code: str) -> None:
    assert regencies().search(typed)[0].key == code


def test_a_bare_name_shared_by_a_city_and_a_regency_offers_both() -> None:
    matches = regencies().search("bekasi")
    assert {m.key for m in matches} == {"3275", "3216"}
    assert all(m.score == SURE for m in matches)


def test_regencies_of_one_province_only() -> None:
    assert {m.key[:2] for m in regencies_in("32").search("bogor")} == {"32"}
    assert regencies_in("32").search("jaksel") == []


@pytest.mark.parametrize(
    ("typed", "code"), [("jabar", "32"), ("Jawa Timur", "35"), ("DKI", "31"), ("sulsel", "73")]
)
def test_provinces(typed: str, code: str) -> None:
    assert provinces().search(typed)[0].key == code


@pytest.mark.parametrize(
    ("typed", "code"),
    [("korsel", "KR"), ("Dubai", "AE"), ("hongkong", "HK"), ("jepan", "JP"), ("Saudi", "SA")],
)
def test_countries(typed: str, code: str) -> None:
    assert countries().search(typed)[0].key == code
