"""The reference data the assessment and registration stand on."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

from bot.knowledge.catalog import RIASEC, catalog

CAT = catalog()


def test_occupations_cover_every_major_group() -> None:
    assert len(CAT.occupations) >= 300
    assert {o.isco[0] for o in CAT.occupations} == set("0123456789")
    titles = [o.title.lower() for o in CAT.occupations]
    assert len(titles) == len(set(titles))
    assert all(len(o.isco) == 4 and o.isco.isdigit() for o in CAT.occupations)
    assert all(o.group in CAT.groups for o in CAT.occupations)


def test_synonyms_belong_to_one_title() -> None:
    owners = Counter(s.lower() for o in CAT.occupations for s in o.synonyms)
    assert [s for s, n in owners.items() if n > 1] == []


def test_job_groups_are_the_43_sub_major_groups() -> None:
    assert len(CAT.groups) == 43
    for group in CAT.groups.values():
        assert set(group.riasec) == set(RIASEC)
        assert all(1 <= v <= 7 for v in group.riasec.values())
        assert group.name and 0 < len(group.explanation) <= 120


def test_inventory_has_balanced_items() -> None:
    assert len(CAT.items) >= 30
    per_type = Counter(i.type for i in CAT.items)
    assert set(per_type) == set(RIASEC) and len(set(per_type.values())) == 1
    assert [v for v, _ in CAT.scale] == [1, 2, 3, 4, 5]


def test_regions_with_codes_and_time_zones() -> None:
    assert len(CAT.provinces) == 38
    assert 510 <= len(CAT.regencies) <= 520
    zones = {r.tz for r in (*CAT.provinces, *CAT.regencies)}
    assert zones == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}
    for zone in zones:
        ZoneInfo(zone)
    provinces = {p.code for p in CAT.provinces}
    assert all(r.code[:2] in provinces and len(r.code) == 4 for r in CAT.regencies)
    jaksel = CAT.regency("3174")
    assert jaksel is not None and jaksel.tz == "Asia/Jakarta"
    papua = CAT.regency("9171")  # Kota Jayapura
    assert papua is not None and papua.tz == "Asia/Jayapura"
    assert CAT.province("94") is not None  # Papua Tengah (2022)
