"""The ranking contract, by hand (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.vacancies.model import Profile, Reason, VacancyHit
from bot.vacancies.ranking import SearchPlan, rank_recommendations, rank_search, search_score
from bot.vacancies.terms import WordAlternatives

TODAY = date(2025, 6, 2)


def hit(id: int, title: str, code: str | None = None, days: int = 0, **kw: object) -> VacancyHit:
    values: dict[str, object] = {
        "id": id, "source": "t", "source_id": f"T{id}", "title": title, "company": "PT Contoh",
        "place": "Kota Bekasi", "regency_code": "3275", "province_code": "32", "country": "ID",
        "wage_min": None, "wage_max": None, "employment_type": "pkwt",
        "posted_at": TODAY - timedelta(days=days), "closes_at": None, "occupation_code": code,
        "disability_friendly": False, "featured": False, "score": 0.0,
    }  # fmt: skip
    values.update(kw)
    return VacancyHit(**values)  # type: ignore[arg-type]


SATPAM = SearchPlan(words=(WordAlternatives("satpam", (("satpam", 1.0),)),), jobs=(("5414", 1.0),))


def test_search_scores_by_hand() -> None:
    exact = hit(1, "Satpam", "5414")
    by_job = hit(2, "Security Guard", "5414", days=14, featured=True)
    partial = hit(3, "Satpam Gudang", None, days=28)
    company = hit(4, "Kasir", None, company="PT Satpam Jaya")
    # match = (max(words, 0.7 job) + 0.15 job words) / 1.15; 0.85 match + 0.1 new + 0.05 feat
    assert search_score(exact, SATPAM, TODAY) == pytest.approx(0.95)
    assert search_score(by_job, SATPAM, TODAY) == pytest.approx(
        0.85 * 0.7 / 1.15 + 0.05 + 0.05, abs=1e-4
    )
    assert search_score(partial, SATPAM, TODAY) == pytest.approx(
        0.85 * 0.875 / 1.15 + 0.025, abs=1e-4
    )
    assert search_score(company, SATPAM, TODAY) == pytest.approx(
        0.85 * 0.525 / 1.15 + 0.1, abs=1e-4
    )
    ranked = rank_search([company, by_job, partial, exact], SATPAM, TODAY)
    assert [h.id for h in ranked] == [1, 3, 2, 4]


def test_ties_go_to_the_newer_then_the_higher_id() -> None:
    plan = SearchPlan()
    a, b, c = hit(1, "A", days=3), hit(2, "B", days=3), hit(3, "C", days=1)
    same = [replace(h, posted_at=TODAY) for h in (a, b)]
    assert [h.id for h in rank_search([a, b, c], plan, TODAY)] == [3, 2, 1]
    assert [h.id for h in rank_search(same, plan, TODAY)] == [2, 1]


def test_a_typo_and_a_longer_word_count_less_than_the_word_typed() -> None:
    plan = SearchPlan(
        words=(WordAlternatives("admn", (("admin", 0.75), ("administrasi", 0.85 * 0.75))),)
    )
    typed = SearchPlan(words=(WordAlternatives("admin", (("admin", 1.0),)),))
    admin = hit(1, "Admin")
    assert search_score(admin, plan, TODAY) < search_score(admin, typed, TODAY)


PROFILE = Profile(
    groups=(("52", 80),),
    desired_titles=("Kasir",),
    province_code="32",
    regency_code="3275",
    disability=True,
)


def test_recommendations_by_hand() -> None:
    kasir = hit(1, "Kasir", "5230", disability_friendly=True)
    spg = hit(2, "SPG", "5242", days=14, regency_code="3216", place="Kabupaten Bekasi")
    far = hit(3, "Operator", "8189", regency_code="3578", province_code="35")
    ranked = rank_recommendations([far, spg, kasir, kasir], PROFILE, TODAY)
    assert [r.hit.id for r in ranked] == [1, 2, 3]  # and the duplicate is gone
    assert [r.hit.score for r in ranked] == pytest.approx([0.95, 0.4 + 0.18 + 0.05, 0.1])
    assert ranked[0].reasons == (
        Reason("desired_job", "5230", "Kasir"),
        Reason("regency", "3275", "Kota Bekasi"),
        Reason("disability_friendly"),
        Reason("new"),
    )
    assert ranked[1].reasons == (
        Reason("interest", "52", "Tenaga Penjualan"),
        Reason("province", "32", "Jawa Barat"),
    )
    assert ranked[2].reasons == (Reason("new"),)


def test_a_group_is_called_an_interest_only_when_the_assessment_ranked_it() -> None:
    """Kasir is wanted (group 52), the assessment ranked 83: an SPG vacancy is "sejenis
    pekerjaan yang Anda inginkan", a driver's is "minat Anda"."""
    profile = Profile(groups=(("83", 70),), desired_titles=("Kasir",))
    spg = hit(1, "SPG", "5242")
    sopir = hit(2, "Sopir", "8322")
    reasons = {r.hit.id: r.reasons[0] for r in rank_recommendations([spg, sopir], profile, TODAY)}
    assert reasons[1] == Reason("desired_group", "52", "Tenaga Penjualan")
    assert reasons[2].kind == "interest" and reasons[2].code == "83"


def test_disability_friendly_counts_only_for_a_person_who_said_so() -> None:
    kasir = hit(1, "Kasir", "5230", disability_friendly=True)
    without = replace(PROFILE, disability=False)
    [ranked] = rank_recommendations([kasir], without, TODAY)
    assert Reason("disability_friendly") not in ranked.reasons
    assert ranked.hit.score == pytest.approx(0.9)


def test_abroad_the_country_is_the_place() -> None:
    profile = Profile(desired_titles=("Caregiver Lansia",), country="JP")
    osaka = hit(1, "Caregiver", "5322", days=30, country="JP", regency_code=None,
                province_code=None, place="Osaka, Jepang")  # fmt: skip
    bekasi = hit(2, "Caregiver", "5322", days=30)
    ranked = rank_recommendations([bekasi, osaka], profile, TODAY)
    assert [r.hit.id for r in ranked] == [1, 2]
    assert Reason("country", "JP", "Jepang") in ranked[0].reasons
