"""What the vacancy dialog (bot/dialogs/vacancies.py) asks of the catalogue, and the handlers
that answer it (registered on the engine's services; reads only, on the turn's read-only
connection, so a search never takes SQLite's write lock).

The queries are frozen dataclasses of frozen values: the same search asked twice in a turn
is answered once. ``today`` is the person's local date (``ctx.today``): "posted 2 days ago"
and the recency ranking use it, never the server's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.services import Scope, Services
from bot.core.types import Query
from bot.vacancies import store
from bot.vacancies.model import (
    PAGE_SIZE,
    Profile,
    Recommendation,
    SearchPage,
    VacancyDetail,
    VacancyQuery,
)


@dataclass(frozen=True)
class SearchVacancies(Query[SearchPage]):
    """One page of a search or a browse (store.search), of ``page_size`` vacancies."""

    query: VacancyQuery
    today: date
    page_size: int = PAGE_SIZE


@dataclass(frozen=True)
class RecommendVacancies(Query[tuple[Recommendation, ...]]):
    """Page ``page`` of "Lowongan untukku": up to ``page_size`` + 1 recommendations (one
    more than a page says whether there is a next page)."""

    profile: Profile
    today: date
    page: int = 0
    page_size: int = PAGE_SIZE


@dataclass(frozen=True)
class VacancyDetailQuery(Query[VacancyDetail | None]):
    """The card of one vacancy, open or closed; None when unknown."""

    vacancy_id: int


@dataclass(frozen=True)
class CategoriesQuery(Query[tuple[tuple[str, str, int], ...]]):
    """Job groups with open vacancies: (code, name, count), most first."""


@dataclass(frozen=True)
class FeaturedCompaniesQuery(Query[tuple[tuple[str, int], ...]]):
    """Companies of the featured vacancies, with how many each has."""


def register(services: Services) -> None:
    @services.on_query(SearchVacancies)
    async def _search(conn: AsyncConnection, scope: Scope, q: SearchVacancies) -> SearchPage:
        await store.prepare_search(conn)
        return await store.search(conn, q.query, today=q.today, page_size=q.page_size)

    @services.on_query(RecommendVacancies)
    async def _recommend(
        conn: AsyncConnection, scope: Scope, q: RecommendVacancies
    ) -> tuple[Recommendation, ...]:
        found = await store.recommend(
            conn, q.profile, today=q.today, limit=q.page_size + 1, offset=q.page * q.page_size
        )
        return tuple(found)

    @services.on_query(VacancyDetailQuery)
    async def _detail(
        conn: AsyncConnection, scope: Scope, q: VacancyDetailQuery
    ) -> VacancyDetail | None:
        return await store.get_vacancy(conn, q.vacancy_id)

    @services.on_query(CategoriesQuery)
    async def _categories(
        conn: AsyncConnection, scope: Scope, q: CategoriesQuery
    ) -> tuple[tuple[str, str, int], ...]:
        return await store.categories(conn)

    @services.on_query(FeaturedCompaniesQuery)
    async def _featured(
        conn: AsyncConnection, scope: Scope, q: FeaturedCompaniesQuery
    ) -> tuple[tuple[str, int], ...]:
        return await store.featured_companies(conn)
