"""The vacancy feed (``VACANCY_FEED_URL``): fetched on a schedule with a conditional GET.

The ETag and Last-Modified of the last good fetch are kept in ``vacancy_feeds``; the next
fetch sends them (If-None-Match / If-Modified-Since) and a 304 costs nothing. A changed feed
is imported like a file (importer.py). Every run also closes the vacancies past their
closes_at, so a feed that does not change still keeps the catalogue current. A failure is
recorded and returned, never raised: the scheduler tries again next time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

import aiohttp
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.db import read_only
from bot.vacancies import store
from bot.vacancies.importer import ImportFailed, detect_format, fetch_text, import_text
from bot.vacancies.model import ImportReport
from bot.vacancies.sample import ensure_sample_catalogue
from bot.vacancies.tables import VacancyFeed

log = logging.getLogger(__name__)
F = cast(sa.Table, VacancyFeed.__table__)
TIMEOUT = aiohttp.ClientTimeout(total=300)


@dataclass(frozen=True)
class FeedResult:
    status: str  # loaded | not_modified | failed | no_feed
    report: ImportReport | None = None
    detail: str = ""


async def refresh_feed(
    engine: AsyncEngine,
    url: str,
    *,
    now: datetime,
    today: date,
    session: aiohttp.ClientSession | None = None,
) -> FeedResult:
    """Fetch ``url`` if it changed since the last good fetch, import it, record the state."""
    async with read_only(engine) as conn:
        state = (await conn.execute(sa.select(F).where(F.c.url == url))).first()
    headers: dict[str, str] = {}
    if state is not None and state.etag:
        headers["If-None-Match"] = state.etag
    if state is not None and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    own = session is None
    client = session or aiohttp.ClientSession(timeout=TIMEOUT)
    try:
        status, text, response = await fetch_text(url, client, headers)
    except (aiohttp.ClientError, TimeoutError) as e:
        return await _failed(engine, url, now, today, f"fetch failed: {e!r}"[:200])
    finally:
        if own:
            await client.close()
    if status == 304:
        async with engine.begin() as conn:
            closed = await store.close_expired(conn, today=today, now=now)
            await _save(conn, url, now, status="not_modified", detail=f"closed {closed}")
        return FeedResult("not_modified", ImportReport(closed=closed))
    if status != 200:
        return await _failed(engine, url, now, today, f"HTTP {status}")
    try:
        report = await import_text(
            engine,
            text,
            detect_format(url, text, response.get("content-type", "")),
            now=now,
            today=today,
        )
    except ImportFailed as e:
        return await _failed(engine, url, now, today, str(e)[:200])
    detail = (
        f"read {report.read}, new {report.inserted}, changed {report.updated}, "
        f"bad {len(report.errors)}, closed {report.closed}"
    )
    async with engine.begin() as conn:
        await _save(
            conn,
            url,
            now,
            status="loaded",
            detail=detail,
            etag=response.get("etag"),
            last_modified=response.get("last-modified"),
            changed=True,
        )
    log.info("vacancy feed %s: %s", url, detail)
    for error in report.errors[:20]:
        log.warning("vacancy feed %s line %d: %s", url, error.line, error.message)
    return FeedResult("loaded", report, detail)


async def _failed(
    engine: AsyncEngine, url: str, now: datetime, today: date, detail: str
) -> FeedResult:
    log.warning("vacancy feed %s: %s", url, detail)
    async with engine.begin() as conn:
        closed = await store.close_expired(conn, today=today, now=now)
        await _save(conn, url, now, status="failed", detail=detail)
    return FeedResult("failed", ImportReport(closed=closed), detail)


async def _save(
    conn: AsyncConnection,
    url: str,
    now: datetime,
    *,
    status: str,
    detail: str,
    etag: str | None = None,
    last_modified: str | None = None,
    changed: bool = False,
) -> None:
    values: dict[str, object] = {"checked_at": now, "status": status, "detail": detail[:200]}
    if changed:
        values |= {
            "etag": (etag or None) and etag[:200],
            "last_modified": (last_modified or None) and last_modified[:64],
            "changed_at": now,
        }
    done = await conn.execute(sa.update(F).where(F.c.url == url).values(values))
    if done.rowcount == 0:
        await conn.execute(sa.insert(F).values(url=url, **values))


async def catalogue_upkeep(
    engine: AsyncEngine,
    feed_url: str,
    *,
    now: datetime,
    today: date,
    session: aiohttp.ClientSession | None = None,
) -> FeedResult:
    """The scheduled job: refresh the feed when there is one, else close what has expired;
    then load the sample if the catalogue needs it (sample.py: never once real vacancies
    have been imported)."""
    if feed_url:
        result = await refresh_feed(engine, feed_url, now=now, today=today, session=session)
    else:
        async with engine.begin() as conn:
            closed = await store.close_expired(conn, today=today, now=now)
        result = FeedResult("no_feed", ImportReport(closed=closed))
    await ensure_sample_catalogue(engine, now=now, today=today)
    return result
