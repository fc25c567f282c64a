"""Entities found in a message: the lookups of bot/knowledge and the readings of
bot/rules/parsing, located in free text."""

from __future__ import annotations

from datetime import date

import pytest

from bot.rules.parsing import DateReading, WageReading
from nlu.entities import Entity, EntityExtractor

TODAY = date(2026, 11, 20)
EXTRACTOR = EntityExtractor()


def found(text: str) -> list[tuple[str, str, str | int]]:
    entities = EXTRACTOR.extract(text, TODAY)
    for e in entities:
        assert text[e.start : e.end] == e.text  # offsets point at what was read
    return [(e.entity, e.text, e.value) for e in entities]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # jobs: titles and the names people use
        ("cari loker sopir", [("job", "sopir", "Sopir")]),
        ("lowongan operator produksi dong",
         [("job", "operator produksi", "Operator Mesin Produksi")]),
        ("dulu sy satpam", [("job", "satpam", "Satpam")]),
        ("mau jadi ART", [("job", "ART", "Asisten Rumah Tangga")]),
        # everyday words and people to talk to are not jobs
        ("ga tau kak", []),
        ("mau ngobrol sama admin", []),
        ("hubungi cs dong", []),
        ("tolong panggilin satpam", []),
        ("loker admin di jaksel", [("job", "admin", "Staf Administrasi"),
                                   ("place", "jaksel", "Kota Jakarta Selatan, DKI Jakarta")]),
        # places: regencies, cities, provinces, areas
        ("kerja di jabar", [("place", "jabar", "Jawa Barat")]),
        ("tinggal di kota bandung", [("place", "kota bandung", "Kota Bandung, Jawa Barat")]),
        ("pabrik di cikarang", [("place", "cikarang", "Kabupaten Bekasi, Jawa Barat")]),
        ("nasib sy malang bgt", []),
        ("loker di malang", [("place", "malang", "Malang")]),
        # companies
        ("sy kerja di PT Astra Honda Motor sejak 2019",
         [("company", "PT Astra Honda Motor", "PT Astra Honda Motor"), ("number", "2019", 2019)]),
        ("lamaran ke pt indofood gimana", [("company", "pt indofood", "PT Indofood")]),
        ("edit cv aku dong", []),
        # dates, amounts, numbers
        ("di phk 15 maret 2025", [("date", "15 maret 2025", "2025-03-15")]),
        ("phk nya akhir oktober kemarin", [("date", "akhir oktober kemarin", "2026-10-26")]),
        ("kena phk oktober 2026", [("date", "oktober 2026", "2026-10")]),
        ("gaji sy 4,5 juta", [("amount", "4,5 juta", 4_500_000)]),
        ("gaji sy 4jt 500rb sebulan", [("amount", "4jt 500rb", 4_500_000)]),
        ("upah empat juta", [("amount", "empat juta", 4_000_000)]),
        ("gajinya 4500", [("amount", "4500", 4_500_000)]),
        ("udah 4500 langkah", [("number", "4500", 4500)]),  # no wage word: a number
        ("iuran 12 bulan", [("number", "12", 12)]),
        ("gaji sy dipotong 12 bulan", [("number", "12", 12)]),  # months, not rupiah
    ],
)  # fmt: skip
def test_found(text: str, expected: list[tuple[str, str, str | int]]) -> None:
    assert found(text) == expected


def _one(text: str, kind: str) -> Entity:
    (entity,) = [e for e in EXTRACTOR.extract(text, TODAY) if e.entity == kind]
    return entity


def test_a_typo_after_a_cue_is_offered_not_assumed() -> None:
    job = _one("ada loker opertor produksi?", "job")
    assert job.candidates[0].key == "Operator Mesin Produksi"
    assert job.candidates[0].score < 100 and job.ambiguous
    place = _one("kerja di bekasih", "place")
    assert {c.key for c in place.candidates} >= {"3216", "3275"} and place.ambiguous


def test_a_short_name_typed_in_capitals_is_a_job() -> None:
    assert _one("sy OB di kantor", "job").value == "Office Boy"
    assert [e for e in EXTRACTOR.extract("sy ob di kantor", TODAY) if e.entity == "job"] == []


def test_a_province_and_a_city_of_the_same_name_are_both_offered() -> None:
    place = _one("loker di gorontalo", "place")
    keys = {c.key for c in place.candidates}
    assert "75" in keys and {"7501", "7571"} & keys  # the province and a regency or city


def test_wage_readings_say_when_to_confirm() -> None:
    amount = _one("gaji terakhir 4500", "amount")
    assert isinstance(amount.reading, WageReading)
    assert amount.reading.needs_confirmation and amount.to_json()["needs_confirmation"] is True


def test_date_readings_travel_with_the_entity() -> None:
    entity = _one("sy di phk besok", "date")
    assert isinstance(entity.reading, DateReading) and entity.reading.in_future
    data = entity.to_json()
    assert (data["precision"], data["days_in_future"]) == ("day", 1)
    month = _one("phk nya bulan lalu", "date").to_json()
    assert (month["value"], month["precision"]) == ("2026-10", "month")
    assert (month["earliest"], month["latest"]) == ("2026-10-01", "2026-10-31")
