"""The vacancy dialog's queries answered by the registered services, on SQLite and PostgreSQL
(the test catalogue), on a read-only transaction as the engine answers them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.services import Scope, Services
from bot.storage.db import read_only
from bot.vacancies.asks import (
    CategoriesQuery,
    FeaturedCompaniesQuery,
    RecommendVacancies,
    SearchVacancies,
    VacancyDetailQuery,
    register,
)
from bot.vacancies.model import PAGE_SIZE, Profile, VacancyQuery


def services() -> Services:
    s = Services()
    register(s)
    return s


async def test_search_recommend_card_and_browse_answer_on_a_read_only_connection(
    catalogue: AsyncEngine, now: datetime, today: date
) -> None:
    s = services()
    scope = Scope(None, None, "console", now)
    profile = Profile(desired_titles=("Staf Administrasi",), province_code="31",
                      regency_code="3174")  # fmt: skip
    async with read_only(catalogue) as conn:
        page = await s.answer(conn, scope, SearchVacancies(VacancyQuery(text="sopir surabaya"),
                                                           today))  # fmt: skip
        second = await s.answer(conn, scope, SearchVacancies(VacancyQuery(text="operator", page=1),
                                                             today))  # fmt: skip
        empty = await s.answer(conn, scope, SearchVacancies(VacancyQuery(text="xyzzy"), today))
        first = await s.answer(conn, scope, RecommendVacancies(profile, today, 0))
        later = await s.answer(conn, scope, RecommendVacancies(profile, today, 1))
        card = await s.answer(conn, scope, VacancyDetailQuery(page.hits[0].id))
        missing = await s.answer(conn, scope, VacancyDetailQuery(999_999))
        groups = await s.answer(conn, scope, CategoriesQuery())
        companies = await s.answer(conn, scope, FeaturedCompaniesQuery())
    assert {h.place for h in page.hits} == {"Kota Surabaya"} and page.total == 3
    assert second.page == 1 and len(second.hits) == PAGE_SIZE and second.has_previous
    assert not empty.hits and [x.kind for x in empty.suggestions][-1] == "latest"
    # one more than a page says there is a next page; page 1 follows page 0
    assert len(first) == PAGE_SIZE + 1
    assert {r.hit.id for r in first[:PAGE_SIZE]}.isdisjoint({r.hit.id for r in later})
    assert first[0].hit.title.endswith("Staf Administrasi")
    assert {x.kind for x in first[0].reasons} >= {"desired_job", "regency"}
    assert card is not None and card.status == "open" and card.requirements
    assert (card.hit.id, card.hit.source_id) == (page.hits[0].id, page.hits[0].source_id)
    assert missing is None
    assert ("81", "Operator Mesin dan Instalasi Stasioner", 9) in groups
    assert companies[0] == ("PT Lintas Cargo Nusantara", 5)


async def test_the_same_search_twice_in_a_turn_is_one_query() -> None:
    q = SearchVacancies(VacancyQuery(text="kasir"), date(2025, 6, 2))
    assert q == SearchVacancies(VacancyQuery(text="kasir"), date(2025, 6, 2))
    assert len({q, SearchVacancies(VacancyQuery(text="kasir"), date(2025, 6, 2))}) == 1
    assert RecommendVacancies(Profile(), date(2025, 6, 2)) != RecommendVacancies(
        Profile(), date(2025, 6, 2), 1
    )
    assert datetime(2025, 6, 2, tzinfo=UTC).date() == q.today


async def test_pages_of_three_follow_the_same_ranking(catalogue: AsyncEngine, today: date) -> None:
    """By SMS a page holds 3 (bot/dialogs/vacancies.py): the same ranking, cut in threes;
    page 1 starts at the 4th vacancy, and the page count is of threes."""
    s = services()
    scope = Scope(None, None, "sms", now=datetime(2025, 6, 2, tzinfo=UTC))
    q = VacancyQuery(text="operator")
    profile = Profile(desired_titles=("Staf Administrasi",), province_code="31",
                      regency_code="3174")  # fmt: skip
    async with read_only(catalogue) as conn:
        fives = [await s.answer(conn, scope, SearchVacancies(q.at_page(n), today)) for n in (0, 1)]
        threes = [await s.answer(conn, scope, SearchVacancies(q.at_page(n), today, 3))
                  for n in (0, 1)]  # fmt: skip
        ranked_five = await s.answer(conn, scope, RecommendVacancies(profile, today, 0))
        ranked_three = [await s.answer(conn, scope, RecommendVacancies(profile, today, n, 3))
                        for n in (0, 1)]  # fmt: skip
    in_order = [h.id for page in fives for h in page.hits]
    assert [h.id for page in threes for h in page.hits] == in_order[:6]
    assert [len(p.hits) for p in threes] == [3, 3]
    assert threes[0].total == fives[0].total == 13 and threes[0].pages == 5
    assert fives[0].pages == 3 and threes[1].has_previous and threes[1].has_next
    # Lowongan untukku: 3 + 1 (a next page), and page 1 goes on at the 4th
    assert len(ranked_three[0]) == 4
    assert [r.hit.id for r in ranked_three[0][:3]] == [r.hit.id for r in ranked_five[:3]]
    assert [r.hit.id for r in ranked_three[1][:2]] == [r.hit.id for r in ranked_five[3:5]]
