"""The vacancy feed over real HTTP: conditional GET, changes, failures."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings, SettingsError
from bot.storage.db import read_only
from bot.vacancies import store
from bot.vacancies.feed import F, catalogue_upkeep, refresh_feed
from bot.vacancies.model import VacancyQuery


@dataclass
class Feed:
    """A vacancy feed that honours If-None-Match and If-Modified-Since."""

    body: str = ""
    etag: str = '"v1"'
    modified: str = "Sun, 01 Jun 2025 00:00:00 GMT"
    status: int = 200
    requests: list[dict[str, str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.headers))
        if self.status != 200:
            return web.Response(status=self.status)
        if request.headers.get("If-None-Match") == self.etag:
            return web.Response(status=304)
        headers = {"ETag": self.etag, "Last-Modified": self.modified}
        return web.Response(text=self.body, headers=headers, content_type="application/x-ndjson")


def rows(*titles: str, posted: str = "2025-06-01") -> str:
    return "\n".join(
        json.dumps({"source": "feed", "source_id": str(i), "title": t, "company": "PT Maju",
                    "regency_code": "3175", "posted_at": posted, "closes_at": "2025-06-30"})
        for i, t in enumerate(titles)
    )  # fmt: skip


@pytest.fixture
async def feed() -> AsyncIterator[tuple[Feed, str]]:
    state = Feed()
    app = web.Application()
    app.router.add_get("/lowongan", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield state, f"http://127.0.0.1:{port}/lowongan"
    finally:
        await runner.cleanup()


async def titles(db: AsyncEngine, today: date) -> list[str]:
    async with read_only(db) as conn:
        page = await store.search(conn, VacancyQuery(), today=today)
    return sorted(h.title for h in page.hits)


async def test_conditional_get(
    db: AsyncEngine, feed: tuple[Feed, str], now: datetime, today: date
) -> None:
    server, url = feed
    server.body = rows("Satpam", "Kasir", "Barista") + "\n{broken"
    first = await refresh_feed(db, url, now=now, today=today)
    assert first.status == "loaded" and first.report is not None
    assert (first.report.inserted, len(first.report.errors)) == (3, 1)
    assert "If-None-Match" not in server.requests[0]
    assert await titles(db, today) == ["Barista", "Kasir", "Satpam"]

    second = await refresh_feed(db, url, now=now + timedelta(hours=1), today=today)
    assert second.status == "not_modified"
    assert server.requests[1]["If-None-Match"] == '"v1"'
    assert server.requests[1]["If-Modified-Since"] == server.modified

    server.body, server.etag = rows("Satpam", "Kasir Toko"), '"v2"'
    third = await refresh_feed(db, url, now=now + timedelta(hours=2), today=today)
    assert third.status == "loaded" and third.report is not None
    assert (third.report.updated, third.report.unchanged) == (1, 1)
    assert await titles(db, today) == ["Barista", "Kasir Toko", "Satpam"]

    async with read_only(db) as conn:
        state = (await conn.execute(sa.select(F))).one()
    assert (state.url, state.etag, state.status) == (url, '"v2"', "loaded")


async def test_a_failure_is_recorded_and_the_next_fetch_is_still_conditional(
    db: AsyncEngine, feed: tuple[Feed, str], now: datetime, today: date
) -> None:
    server, url = feed
    server.body = rows("Satpam")
    assert (await refresh_feed(db, url, now=now, today=today)).status == "loaded"
    server.status = 500
    failed = await refresh_feed(db, url, now=now, today=today)
    assert (failed.status, failed.detail) == ("failed", "HTTP 500")
    async with read_only(db) as conn:
        state = (await conn.execute(sa.select(F))).one()
    assert (state.status, state.detail, state.etag) == ("failed", "HTTP 500", '"v1"')
    server.status = 200
    assert (await refresh_feed(db, url, now=now, today=today)).status == "not_modified"
    assert server.requests[-1]["If-None-Match"] == '"v1"'


async def test_an_unchanged_feed_still_closes_what_has_expired(
    db: AsyncEngine, feed: tuple[Feed, str], now: datetime, today: date
) -> None:
    server, url = feed
    server.body = rows("Satpam", "Kasir")
    await refresh_feed(db, url, now=now, today=today)
    later = date(2025, 7, 1)
    result = await refresh_feed(db, url, now=now, today=later)
    assert result.status == "not_modified" and result.report is not None
    assert result.report.closed == 2
    assert await titles(db, later) == []


async def test_an_unreachable_feed(db: AsyncEngine, now: datetime, today: date) -> None:
    result = await refresh_feed(db, "http://127.0.0.1:9/none", now=now, today=today)
    assert result.status == "failed" and "fetch failed" in result.detail


def test_the_feed_setting() -> None:
    settings = Settings.from_env({"VACANCY_FEED_URL": "https://example.org/lowongan.csv"})
    assert (settings.vacancy_feed_url, settings.vacancy_feed_minutes) == (
        "https://example.org/lowongan.csv", 60
    )  # fmt: skip
    for bad in ("ftp://example.org/x", "example.org/x", "https://"):
        with pytest.raises(SettingsError, match="VACANCY_FEED_URL"):
            Settings.from_env({"VACANCY_FEED_URL": bad})
    with pytest.raises(SettingsError, match="VACANCY_FEED_INTERVAL_MINUTES"):
        Settings.from_env({"VACANCY_FEED_INTERVAL_MINUTES": "1"})


async def test_the_scheduled_upkeep(
    db: AsyncEngine, feed: tuple[Feed, str], now: datetime, today: date
) -> None:
    server, url = feed
    without = await catalogue_upkeep(db, "", now=now, today=today)
    assert without.status == "no_feed" and await titles(db, today)  # the sample, loaded
    server.body = rows("Satpam")
    with_feed = await catalogue_upkeep(db, url, now=now, today=today)
    assert with_feed.status == "loaded"
    assert await titles(db, today) == ["Satpam"]  # real vacancies retire the sample
    later = date(2025, 7, 1)
    closed = await catalogue_upkeep(db, "", now=now, today=later)
    assert closed.report is not None and closed.report.closed == 1
    assert await titles(db, later) == []  # real vacancies were here: no fictional ones again
