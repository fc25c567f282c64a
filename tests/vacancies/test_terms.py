"""Indexed words and tags, and how a typed word finds indexed words."""

from __future__ import annotations

from datetime import date

from bot.vacancies.model import VacancyRecord
from bot.vacancies.terms import alternatives, near, search_tags, search_text, trigrams


def test_search_strings() -> None:
    record = VacancyRecord(
        source="s", source_id="1", title="Operator Produksi (Shift Malam)",
        company="PT. Maju Jaya Tbk", posted_at=date(2025, 6, 1), occupation_code="8189",
        province_code="32", regency_code="3216", employment_type="pkwt",
        disability_friendly=True, featured=True,
    )  # fmt: skip
    assert search_text(record.title, record.company) == "operator produksi shift malam maju jaya"
    assert search_tags(record).split() == [
        "zzall", "zzcid", "zztpkwt", "zzo8189", "zzg81", "zzp32", "zzr3216", "zzdis", "zzfeat",
    ]  # fmt: skip
    abroad = VacancyRecord("s", "2", "Caregiver", "PT X", date(2025, 6, 1), country="JP")
    assert search_tags(abroad).split() == ["zzall", "zzcjp", "zztlainnya", "zzabroad"]


def test_trigrams_are_padded_like_pg_trgm() -> None:
    assert trigrams("guru") == ["  g", " gu", "gur", "uru", "ru "]


def test_near_words_for_typos() -> None:
    vocabulary = [("operator", 90), ("operasi", 5), ("security", 20), ("sekolah", 3)]
    assert near("opertor", vocabulary) == [("operator", 0.75)]
    assert near("sekuriti", vocabulary) == [("security", 0.6)]  # two typos in 8 letters
    assert near("oprtr", vocabulary) == []  # three typos
    assert near("xperator", vocabulary) == []  # the first letter is rarely mistyped
    assert near("ope", vocabulary) == []  # too short to guess
    assert near("opertor", [("operator", 0)]) == []  # in no open vacancy


def test_alternatives() -> None:
    longer = [("administrasi", 40), ("administrator", 2), ("adminstrasi", 1)]
    found = alternatives("admin", 12, longer, fuzzy=[("admit", 3)])
    assert found.terms == (
        ("admin", 1.0), ("administrasi", 0.85), ("administrator", 0.85), ("adminstrasi", 0.85)
    )  # fmt: skip
    typo = alternatives("admn", 0, [], fuzzy=[("adman", 1), ("adam", 5), ("admin", 12)])
    assert typo.terms == (("admin", 0.75), ("adman", 0.75))  # "adam" is two typos away
    assert alternatives("zzqx", 0, [], []).terms == ()
    assert alternatives("hr", 0, [("hrd", 9)], []).terms == ()  # no prefix below 3 letters
