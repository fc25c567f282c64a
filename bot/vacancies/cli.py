"""`jkp-bot vacancies import|search|stats|feed`: the catalogue for operators."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, date, datetime
from typing import Any

from bot.settings import Settings


def add_parser(sub: Any) -> None:
    """The ``vacancies`` subcommand group of ``jkp-bot``."""
    parser = sub.add_parser("vacancies", help="the vacancy catalogue: import, search, stats")
    commands = parser.add_subparsers(dest="vacancies_command", required=True)
    imp = commands.add_parser(
        "import", help="load vacancies from a CSV or JSON Lines file or URL (upsert)"
    )
    imp.add_argument("source", metavar="FILE|URL")
    find = commands.add_parser("search", help="the ranked results the chat shows for a text")
    find.add_argument("query", metavar="QUERY")
    find.add_argument("--json", action="store_true", help="print JSON (one list)")
    find.add_argument("--page", type=int, default=1, help="page number, from 1")
    commands.add_parser("stats", help="counts by province, job group and source")
    commands.add_parser("feed", help="fetch VACANCY_FEED_URL now (conditional GET)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    command = args.vacancies_command
    if command == "import":
        return asyncio.run(_import(settings, args.source))
    if command == "search":
        return asyncio.run(_search(settings, args.query, args.json, max(1, args.page)))
    if command == "feed":
        return asyncio.run(_feed(settings))
    return asyncio.run(_stats(settings))


def _today(settings: Settings) -> tuple[datetime, date]:
    now = datetime.now(UTC)
    return now, now.astimezone(settings.zone).date()


async def _engine(settings: Settings) -> Any:
    from bot.storage.db import make_engine, migrate

    engine = make_engine(settings.database_url)
    await migrate(engine)
    return engine


async def _import(settings: Settings, source: str) -> int:
    from bot.vacancies.importer import ImportFailed, import_source

    engine = await _engine(settings)
    now, today = _today(settings)
    try:
        report = await import_source(engine, source, now=now, today=today)
    except ImportFailed as e:
        print(f"jkp-bot: import failed: {e}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    for error in report.errors:
        print(f"line {error.line}: {error.message}", file=sys.stderr)
    print(
        f"jkp-bot: read {report.read} row(s): {report.inserted} new, {report.updated} changed, "
        f"{report.unchanged} unchanged, {len(report.errors)} rejected; "
        f"{report.closed} vacancy(ies) closed"
    )
    return 1 if report.errors else 0


async def _search(settings: Settings, text: str, as_json: bool, page: int) -> int:
    from bot.storage.db import read_only
    from bot.vacancies import store
    from bot.vacancies.model import VacancyQuery
    from bot.vacancies.sample import ensure_sample_catalogue

    engine = await _engine(settings)
    now, today = _today(settings)
    try:
        await ensure_sample_catalogue(engine, now=now, today=today)
        async with read_only(engine) as conn:
            result = await store.search(conn, VacancyQuery(text=text, page=page - 1), today=today)
    finally:
        await engine.dispose()
    if as_json:
        rows = [
            {
                "source": h.source,
                "source_id": h.source_id,
                "title": h.title,
                "company": h.company,
                "place": h.place,
                "wage_min": h.wage_min,
                "wage_max": h.wage_max,
                "posted_at": h.posted_at.isoformat(),
                "score": h.score,
            }
            for h in result.hits
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    und = result.understood
    place = ", ".join(p.name for p in und.places) or "-"
    more = "+" if result.more else ""
    print(f"words: {' '.join(und.words) or '-'}; place: {place}; "
          f"found: {result.total}{more}; page {result.page + 1} of {result.pages}")  # fmt: skip
    if result.unknown_words:
        print(f"not in any vacancy: {', '.join(result.unknown_words)}")
    for i, h in enumerate(result.hits, start=result.page * 5 + 1):
        wage = ""
        if h.wage_min or h.wage_max:
            wage = f"; Rp{h.wage_min or 0:,}-{h.wage_max or 0:,}".replace(",", ".")
        print(f"{i}. {h.title} - {h.company} ({h.place}{wage}; {h.posted_at}; "
              f"{h.source}:{h.source_id}; score {h.score:.3f})")  # fmt: skip
    for s in result.suggestions:
        print(f"instead: {s.kind} {s.label} ({s.count})".replace("  ", " "))
    return 0


async def _stats(settings: Settings) -> int:
    from bot.storage.db import read_only
    from bot.vacancies import store
    from bot.vacancies.sample import ensure_sample_catalogue

    engine = await _engine(settings)
    now, today = _today(settings)
    try:
        await ensure_sample_catalogue(engine, now=now, today=today)
        async with read_only(engine) as conn:
            stats = await store.stats(conn)
    finally:
        await engine.dispose()
    print(f"open {stats.open}, closed {stats.closed}")
    for title, rows in (
        ("province", stats.by_province),
        ("job group", stats.by_group),
        ("source", stats.by_source),
    ):
        print(f"\nby {title}:  open  closed")
        for code, name, n_open, n_closed in rows:
            label = f"{code} {name}".strip()
            print(f"  {label[:60]:<60} {n_open:>6} {n_closed:>7}")
    return 0


async def _feed(settings: Settings) -> int:
    from bot.vacancies.feed import refresh_feed

    if not settings.vacancy_feed_url:
        print("jkp-bot: VACANCY_FEED_URL is not set", file=sys.stderr)
        return 2
    engine = await _engine(settings)
    now, today = _today(settings)
    try:
        result = await refresh_feed(engine, settings.vacancy_feed_url, now=now, today=today)
    finally:
        await engine.dispose()
    print(f"jkp-bot: feed {result.status}: {result.detail}")
    return 1 if result.status == "failed" else 0
