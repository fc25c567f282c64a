"""Search, browse, cards and recommendations in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.knowledge.catalog import catalog
from bot.storage.db import make_engine, migrate, read_only
from bot.vacancies import store
from bot.vacancies.importer import import_text, parse_rows, read_rows
from bot.vacancies.model import (
    CANDIDATES,
    PlaceOption,
    Profile,
    Reason,
    VacancyHit,
    VacancyQuery,
    VacancyRecord,
)
from bot.vacancies.query import place_label
from bot.vacancies.ranking import rank_search
from bot.vacancies.terms import alternatives, search_tags, search_text

DATA = Path(__file__).with_name("data")


async def find(engine: AsyncEngine, today: date, text: str = "", **kw: Any) -> Any:
    async with read_only(engine) as conn:
        return await store.search(conn, VacancyQuery(text=text, **kw), today=today)


def ids(page: Any) -> list[str]:
    return [h.source_id for h in page.hits]


async def test_the_issue_examples(catalogue: AsyncEngine, today: date) -> None:
    page = await find(catalogue, today, "operator produksi bekasi")
    assert ids(page)[0] == "R001" and set(ids(page)[1:3]) == {"R002", "R118"}
    assert {h.place for h in page.hits} <= {"Kota Bekasi", "Kabupaten Bekasi"}
    assert page.understood.ambiguous_place
    sopir = await find(catalogue, today, "loker sopir surabaya")
    assert set(ids(sopir)) == {"R030", "R031", "R033"}  # Driver ... found as Sopir (8322)
    assert all(h.place == "Kota Surabaya" for h in sopir.hits)
    typo = await find(catalogue, today, "opertor")
    assert typo.hits and all(h.title.startswith("Operator") for h in typo.hits)


async def test_a_hit_has_what_a_result_line_shows(catalogue: AsyncEngine, today: date) -> None:
    [first, *_] = (await find(catalogue, today, "operator forklift")).hits
    assert (first.source_id, first.title, first.company) == (
        "R006", "Operator Forklift", "PT Lintas Cargo Nusantara"
    )  # fmt: skip
    assert (first.place, first.posted_at, first.featured) == (
        "Kabupaten Bekasi", today - timedelta(days=4), True
    )  # fmt: skip
    assert first.wage_min is None or first.wage_min < (first.wage_max or 0)
    assert not first.sample and 0 < first.score <= 1


async def test_pages_of_five(catalogue: AsyncEngine, today: date) -> None:
    first = await find(catalogue, today, "operator")
    second = await find(catalogue, today, "operator", page=1)
    assert (first.total, first.pages, first.more) == (
        len(set(ids(first) + ids(second))) + max(0, first.total - 10),
        -(-first.total // 5),
        False,
    )
    assert len(first.hits) == 5 and not set(ids(first)) & set(ids(second))
    assert (first.has_previous, first.has_next, second.has_previous) == (False, True, True)
    scores = [h.score for h in first.hits + second.hits]
    assert scores == sorted(scores, reverse=True)
    beyond = await find(catalogue, today, "operator", page=99)
    assert beyond.hits == () and beyond.total == first.total


async def test_a_closed_vacancy_is_never_found(catalogue: AsyncEngine, today: date) -> None:
    everything = await find(catalogue, today, "operator produksi", page=0)
    found: list[str] = []
    for number in range(everything.pages):
        found += ids(await find(catalogue, today, "operator produksi", page=number))
    assert "R120" not in found and "R001" in found
    async with read_only(catalogue) as conn:
        r120 = await store.get_by_source(conn, "uji", "R120")
        assert r120 is not None
        card = await store.get_vacancy(conn, r120)
    assert card is not None and card.status == "closed"


async def test_filters(catalogue: AsyncEngine, today: date) -> None:
    friendly = await find(catalogue, today, "admin", disability_friendly=True)
    assert friendly.hits and all(h.disability_friendly for h in friendly.hits)
    abroad = await find(catalogue, today, "operator", abroad=True)
    assert ids(abroad) == ["R112"]
    home = await find(catalogue, today, "operator", abroad=False)
    assert "R112" not in ids(home) and all(h.country == "ID" for h in home.hits)
    interns = await find(catalogue, today, "operator", employment_types=("magang",))
    assert ids(interns) == ["R118"]
    daily = await find(catalogue, today, "", employment_types=("harian",))
    assert daily.total == 8 and all(h.employment_type == "harian" for h in daily.hits)


async def test_browsing(catalogue: AsyncEngine, today: date) -> None:
    latest = await find(catalogue, today)
    assert latest.total == 83  # every open vacancy
    dates = [h.posted_at for h in latest.hits]
    assert dates == sorted(dates, reverse=True) and dates[0] == today - timedelta(days=1)
    group = await find(catalogue, today, group="54")
    assert {h.source_id for h in group.hits} == {"R040", "R041", "R042", "R043", "R044"}
    featured = await find(catalogue, today, featured=True)
    assert featured.total == 8 and all(h.featured for h in featured.hits)
    async with read_only(catalogue) as conn:
        companies = await store.featured_companies(conn)
        groups = dict((code, n) for code, _, n in await store.categories(conn))
        assert await store.open_count(conn) == 83
    assert companies == (("PT Lintas Cargo Nusantara", 5), ("PT Solusi Digital Nusantara", 3))
    assert groups["54"] == 5 and groups["81"] == 9 and sum(groups.values()) == 83


async def test_the_place_chosen_by_the_dialog_wins(catalogue: AsyncEngine, today: date) -> None:
    kota = PlaceOption("regency", "3275", "Kota Bekasi")
    page = await find(catalogue, today, "operator produksi bekasi", places=(kota,))
    assert ids(page) == ["R118", "R002", "R010"]  # the supervisor has all words but one
    broader = await find(catalogue, today, "operator produksi bekasi", ignore_place=True)
    assert broader.total > page.total and "R004" in ids(broader) + ids(
        await find(catalogue, today, "operator produksi bekasi", ignore_place=True, page=1)
    )


async def test_nothing_found_offers_broader_searches(catalogue: AsyncEngine, today: date) -> None:
    page = await find(catalogue, today, "barista bekasi")
    assert page.hits == () and page.total == 0
    kinds = [s.kind for s in page.suggestions]
    assert kinds[0] == "without_place" and kinds[-1] == "latest"
    broader = page.suggestions[0]
    assert broader.count == 1 and ids(await find(catalogue, today, **vars_of(broader.query)))
    unknown = await find(catalogue, today, "xyzzy")
    assert unknown.unknown_words == ("xyzzy",)
    assert [s.kind for s in unknown.suggestions] == ["latest"]
    assert unknown.suggestions[0].count == 83
    typo = await find(catalogue, today, "penjait garmen", abroad=True)
    assert typo.hits == ()
    assert "without_filters" in [s.kind for s in typo.suggestions]


def vars_of(query: VacancyQuery) -> dict[str, Any]:
    return {k: getattr(query, k) for k in query.__dataclass_fields__}


async def test_a_card(catalogue: AsyncEngine) -> None:
    async with read_only(catalogue) as conn:
        vacancy_id = await store.get_by_source(conn, "uji", "R061")
        assert vacancy_id is not None
        card = await store.get_vacancy(conn, vacancy_id)
        assert await store.get_vacancy(conn, 10**9) is None
    assert card is not None
    assert (card.hit.title, card.hit.place, card.status) == ("Cook", "Kabupaten Badung", "open")
    assert card.description == "Hotel Bintang Samudra membuka lowongan Cook."
    assert card.requirements == "- Pendidikan minimal SMA"
    assert (card.education_min, card.sex, card.url) == ("SMA", "semua", None)


async def test_recommendations(catalogue: AsyncEngine, today: date) -> None:
    profile = Profile(
        groups=(("54", 82), ("91", 70)),
        desired_titles=("Satpam",),
        province_code="31",
        regency_code="3175",
    )
    async with read_only(catalogue) as conn:
        first = await store.recommend(conn, profile, today=today)
        second = await store.recommend(conn, profile, today=today, offset=5)
    assert [r.hit.source_id for r in first[:2]] == ["R041", "R040"]  # Satpam, Jakarta Timur
    assert first[0].reasons[:2] == (
        Reason("desired_job", "5414", "Satpam"),
        Reason("regency", "3175", "Kota Jakarta Timur"),
    )
    assert "R045" in [r.hit.source_id for r in first]  # cleaning (91) in Jakarta Timur
    assert not {r.hit.id for r in first} & {r.hit.id for r in second}
    nobody = Profile()
    async with read_only(catalogue) as conn:
        latest = await store.recommend(conn, nobody, today=today)
    assert len(latest) == 5 and all(r.hit.country == "ID" for r in latest)


async def test_vocabulary_counts_follow_every_write(
    catalogue: AsyncEngine, now: datetime, today: date
) -> None:
    async def exact() -> None:
        async with read_only(catalogue) as conn:
            rows = (
                await conn.execute(
                    sa.select(store.V.c.search_text, store.V.c.search_tags).where(
                        store.V.c.status == "open"
                    )
                )
            ).all()
            counted: Counter[str] = Counter()
            for text, tags in rows:
                counted.update(set(text.split()) | set(tags.split()))
            stored = dict((await conn.execute(sa.select(store.T.c.term, store.T.c.df))).all())
        assert {t: n for t, n in stored.items() if n} == dict(counted)
        assert min(stored.values()) >= 0

    await exact()
    rows = list(parse_rows(read_rows((DATA / "relevance_catalogue.csv").read_text(), "csv")))
    records = [r for _, r in rows if isinstance(r, VacancyRecord)]
    changed = [replace(r, title=r.title + " Baru", featured=not r.featured) for r in records[:10]]
    async with catalogue.begin() as conn:
        counts = await store.upsert(conn, changed + records[10:], now=now, today=today)
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 10, 74)
    await exact()
    later = today + timedelta(days=41)
    expiring = sum(1 for r in records if r.closes_at and today <= r.closes_at < later)
    async with catalogue.begin() as conn:
        assert await store.close_expired(conn, today=later, now=now) == expiring == 15
    await exact()
    async with catalogue.begin() as conn:
        assert await store.close_source(conn, "uji", now=now) == 83 - expiring
    await exact()
    assert (await find(catalogue, today, "operator")).total == 0


async def test_same_results_as_the_contract_computed_in_python(
    catalogue: AsyncEngine, today: date
) -> None:
    """The database selects exactly what the contract (store.select, store.matches) says,
    so ranking gives the same pages on SQLite and PostgreSQL."""
    rows = list(parse_rows(read_rows((DATA / "relevance_catalogue.csv").read_text(), "csv")))
    records = sorted(
        (r for _, r in rows if isinstance(r, VacancyRecord)),
        key=lambda r: (r.posted_at, r.source, r.source_id),
    )  # the order of the ids
    open_ = [r for r in records if not (r.closes_at and r.closes_at < today)]
    indexed = [set(search_text(r.title, r.company).split()) | set(search_tags(r).split())
               for r in open_]  # fmt: skip
    df = Counter(t for terms in indexed for t in terms)
    for text in ("operator produksi bekasi", "admn", "sekuriti", "admin di jaksel", "kasir",
                 "PT Lintas Cargo", "tukang las batam", "operator jahit", "guru"):  # fmt: skip
        query = VacancyQuery(text=text)
        und, places, abroad = store.understood(query)
        resolved = [
            alternatives(w, df[w], [(t, n) for t, n in df.items() if t.startswith(w)], df.items())
            for w in und.words
        ]
        selection = store.select(und, resolved)
        assert selection.core is not None
        where = store.filters(query, places, abroad)
        chosen = [
            (i, r)
            for i, (r, terms) in enumerate(zip(open_, indexed, strict=True))
            if store.matches(store.All((selection.core, *where)), terms)
        ]
        if len(chosen) < 5 and selection.relaxed is not None:
            node = store.All((selection.relaxed, *where))
            chosen += [(i, r) for i, (r, terms) in enumerate(zip(open_, indexed, strict=True))
                       if store.matches(node, terms) and (i, r) not in chosen]  # fmt: skip
        hits = [as_hit(i, r) for i, r in sorted(chosen, key=lambda c: -c[0])[:CANDIDATES]]
        expected = [h.source_id for h in rank_search(hits, selection.plan, today)][:5]
        page = await find(catalogue, today, text)
        assert ids(page) == expected, text
        assert page.total == len(chosen), text


def as_hit(i: int, r: VacancyRecord) -> VacancyHit:
    return VacancyHit(
        id=i, source=r.source, source_id=r.source_id, title=r.title, company=r.company,
        place=place_label(r.regency_code, r.province_code, r.city, r.country),
        regency_code=r.regency_code, province_code=r.province_code, country=r.country,
        wage_min=r.wage_min, wage_max=r.wage_max, employment_type=r.employment_type,
        posted_at=r.posted_at, closes_at=r.closes_at, occupation_code=r.occupation_code,
        disability_friendly=r.disability_friendly, featured=r.featured, score=0.0,
    )  # fmt: skip


async def test_a_search_never_takes_the_sqlite_write_lock(
    tmp_path: Path, now: datetime, today: date
) -> None:
    path = tmp_path / "lock.sqlite3"
    engine = make_engine(f"sqlite:///{path}", busy_timeout_ms=0)  # fail at once, not wait
    try:
        await migrate(engine)
        text = (DATA / "relevance_catalogue.csv").read_text(encoding="utf-8")
        await import_text(engine, text, "csv", now=now, today=today)
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # another process is writing
        try:
            page = await find(engine, today, "satpam")
            assert page.total == 5
            async with read_only(engine) as conn:
                assert await store.recommend(conn, Profile(), today=today)
            with pytest.raises(OperationalError, match="locked"):
                async with engine.begin() as conn:  # a writer would have waited
                    await conn.execute(sa.text("SELECT 1"))
        finally:
            writer.execute("ROLLBACK")
            writer.close()
    finally:
        await engine.dispose()


async def test_a_read_only_transaction_refuses_writes_on_postgres(db: AsyncEngine) -> None:
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite's reader is a deferred transaction (see the lock test)")
    with pytest.raises(DBAPIError, match="read-only"):
        async with read_only(db) as conn:
            await conn.execute(sa.delete(store.V))


async def test_stats(catalogue: AsyncEngine) -> None:
    async with read_only(catalogue) as conn:
        stats = await store.stats(conn)
    assert (stats.open, stats.closed) == (83, 1)
    assert stats.by_source == (("uji", "", 83, 1),)
    provinces = {code: (name, o, c) for code, name, o, c in stats.by_province}
    assert provinces["32"] == ("Jawa Barat", 22, 1) and provinces[""] == ("-", 4, 0)
    assert sum(o for _, _, o, _ in stats.by_group) == 83
    assert {g for g, *_ in stats.by_group} <= set(catalog().groups)


def test_the_match_estimate() -> None:
    counts = {"operator": 100, "produksi": 60, "mesin": 50, "zzp32": 200, "zzo8189": 30}
    words = store.All((store.Terms("text", ("operator",)), store.Terms("text", ("produksi",))))
    assert store.estimate(words, counts, 1000) == 60  # words of a title go together
    placed = store.All((words, store.Terms("tags", ("zzp32",))))
    assert store.estimate(placed, counts, 1000) == pytest.approx(12)  # a filter multiplies
    either = store.Either((placed, store.Terms("tags", ("zzo8189",))))
    assert store.estimate(either, counts, 1000) == pytest.approx(42)
    assert store.estimate(store.Terms("text", ("mesin", "operator")), counts, 120) == 120


async def test_both_postgres_ways_find_the_same_vacancies(catalogue: AsyncEngine) -> None:
    if catalogue.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's two ways to the newest matches")
    nodes = [
        store.Terms("tags", ("zzall",)),
        store.All((store.Terms("text", ("operator",)), store.Terms("tags", ("zzp32",)))),
        store.Either((store.Terms("text", ("satpam",)), store.Terms("tags", ("zzo5414",)))),
        store.Terms("text", ("nothing",)),
    ]
    async with read_only(catalogue) as conn:
        await store.prepare_search(conn)
        for node in nodes:
            for limit in (3, 100):
                bitmap = [r.id for r in await store._pg_bitmap(conn, node, limit)]
                recent = [r.id for r in await store._pg_recent(conn, node, limit, 10**6)]
                chosen = [r.id for r in await store._candidates(conn, node, limit)]
                assert bitmap == recent == chosen == sorted(bitmap, reverse=True)
        # a window of the newest 10 gives those 10 at most
        few = [r.id for r in await store._pg_recent(conn, nodes[0], 100, 10)]
        assert len(few) == 10


async def test_recommendations_select_what_the_profile_says(
    catalogue: AsyncEngine, today: date
) -> None:
    profile = Profile(
        groups=(("83", 75),), desired_titles=("Kasir",), province_code="35", regency_code="3578"
    )
    async with read_only(catalogue) as conn:
        found = await store.recommend(conn, profile, today=today, limit=50)
    rows = list(parse_rows(read_rows((DATA / "relevance_catalogue.csv").read_text(), "csv")))
    records = [r for _, r in rows if isinstance(r, VacancyRecord)]
    fitting = {
        r.source_id for r in records
        if (r.occupation_code == "5230" or (r.occupation_code or "")[:2] == "83")
        and r.country == "ID" and not (r.closes_at and r.closes_at < today)
    }  # fmt: skip
    assert {r.hit.source_id for r in found} >= fitting  # all of them, the rest after
    surabaya = [r.hit.source_id for r in found if r.hit.regency_code == "3578"]
    assert surabaya[:3] == [r.hit.source_id for r in found[:3]]
    scores = [r.hit.score for r in found]
    assert scores == sorted(scores, reverse=True)


async def test_recommendations_take_the_newest_fitting_ones_per_place(
    catalogue: AsyncEngine, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "RECOMMEND_CANDIDATES", 2)
    profile = Profile(groups=(("83", 75),), province_code="35", regency_code="3578")
    async with read_only(catalogue) as conn:
        found = await store.recommend(conn, profile, today=today, limit=2)
    assert [r.hit.source_id for r in found] == ["R030", "R031"]  # drivers in Surabaya
    assert found[0].reasons[:2] == (
        Reason("interest", "83", "Pengemudi dan Operator Alat Berat Bergerak"),
        Reason("regency", "3578", "Kota Surabaya"),
    )
