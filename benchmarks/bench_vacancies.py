"""Benchmark the vacancy catalogue at scale: load N synthetic vacancies, then time the
searches and recommendations a chat makes, through the functions the dialogs call.

    python benchmarks/bench_vacancies.py [--db sqlite|postgres|both] [--n 1000000]
                                         [--queries 1000] [--reuse] [--json out.json]

1. load: N vacancies from bot/vacancies/synthetic.py (seeded; realistic titles, companies,
   places, wages and texts) written through ``store.upsert`` in batches of 5,000, one
   transaction each, as an import does; then ANALYZE (and, on SQLite, the FTS5 'optimize'
   merge). Timed as a whole and per part.
2. queries: 1,000 mixed, seeded: job titles and informal names ("satpam", "supir", "admin"),
   company names, title + place ("kasir di bekasi", "operator produksi jawa barat"),
   misspelt titles (one deleted, swapped or replaced letter), and "Lowongan untukku"
   recommendations for random profiles. Each is ``read_only(engine)`` + ``store.search`` (or
   ``store.recommend``), timed from the connection checkout to the page. Before them, 1,000
   other queries of the same mix (another seed) warm the caches, as in a running bot; they
   are not counted.

A script, not a test: it checks that every query returns a well-formed page (a FAIL line and
a non-zero exit), never asserts on time. ``--reuse`` keeps the database between runs
(benchmarks/.vacancies.sqlite3, PostgreSQL database jkp_bench_vacancies) and skips the load
when it already holds N vacancies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bot.knowledge.catalog import catalog  # noqa: E402
from bot.knowledge.search import CITY_ALIASES, PROVINCE_ALIASES  # noqa: E402
from bot.storage.db import make_engine, migrate, read_only  # noqa: E402
from bot.vacancies import store  # noqa: E402
from bot.vacancies.model import Profile, VacancyQuery, VacancyRecord  # noqa: E402
from bot.vacancies.synthetic import COMMON, TITLES, Generator  # noqa: E402

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
BATCH = 5_000
WARMUP = 1000
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SQLITE_PATH = ROOT / "benchmarks" / ".vacancies.sqlite3"
PG_DB = "jkp_bench_vacancies"
KINDS = ("title", "company", "title+place", "misspelt", "recommend")
MIX = (0.30, 0.15, 0.25, 0.15, 0.15)


class Failure(Exception):
    pass


# -- queries ---------------------------------------------------------------------------------


def typo(word: str, rnd: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rnd.randrange(1, len(word) - 1)  # not the first letter
    kind = rnd.choice(("delete", "swap", "replace"))
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rnd.choice("aiueokrtsnm") + word[i + 1 :]


def queries(n: int, seed: int, companies: list[str]) -> Iterator[tuple[str, Any]]:
    """(kind, VacancyQuery or Profile), seeded."""
    rnd = random.Random(seed)
    data = catalog()
    titles = [t for t in COMMON if data.occupation(t)]
    weights = [COMMON[t] for t in titles]
    informal = [s for t in titles for s in (data.occupation(t).synonyms or ())[:2]]  # type: ignore[union-attr]
    regencies = [r.name for r in data.regencies]
    short = [a for names in CITY_ALIASES.values() for a in names]
    provinces = [p.name for p in data.provinces] + [a for v in PROVINCE_ALIASES.values() for a in v]
    groups = list(data.groups)
    for _ in range(n):
        kind = rnd.choices(KINDS, MIX)[0]
        title = rnd.choices(titles, weights)[0]
        if rnd.random() < 0.3 and TITLES.get(title):
            title = rnd.choice(TITLES[title])
        if kind == "title":
            text = rnd.choice(informal) if rnd.random() < 0.3 else title
            yield kind, VacancyQuery(text=text.lower(), page=rnd.choice((0, 0, 0, 1)))
        elif kind == "company":
            name = rnd.choice(companies)
            words = name.split()
            text = name if rnd.random() < 0.5 else " ".join(words[1:3])
            yield kind, VacancyQuery(text=text)
        elif kind == "title+place":
            r = rnd.random()
            place = (
                rnd.choice(regencies).removeprefix("Kota ").removeprefix("Kabupaten ")
                if r < 0.6
                else rnd.choice(short)
                if r < 0.8
                else rnd.choice(provinces)
            )
            joiner = rnd.choice((" ", " di ", " ", " daerah "))
            prefix = rnd.choice(("", "", "loker ", "lowongan "))
            yield kind, VacancyQuery(text=f"{prefix}{title.lower()}{joiner}{place.lower()}")
        elif kind == "misspelt":
            words = title.lower().split()
            j = max(range(len(words)), key=lambda k: len(words[k]))
            words[j] = typo(words[j], rnd)
            yield kind, VacancyQuery(text=" ".join(words))
        else:
            region = rnd.choice(data.regencies)
            top = rnd.sample(groups, 3)
            yield (
                kind,
                Profile(
                    groups=tuple((g, rnd.randint(55, 90)) for g in top),
                    desired_titles=tuple(rnd.sample(titles, rnd.randint(1, 3))),
                    province_code=region.code[:2],
                    regency_code=region.code,
                    disability=rnd.random() < 0.1,
                ),
            )


# -- databases -----------------------------------------------------------------------------


def remove_sqlite() -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)


async def prepare(kind: str, reuse: bool) -> str:
    if kind == "sqlite":
        if not reuse:
            remove_sqlite()
        return f"sqlite:///{SQLITE_PATH}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", PG_DB)
        if exists and not reuse:
            await admin.execute(f'DROP DATABASE "{PG_DB}" WITH (FORCE)')
            exists = None
        if not exists:
            await admin.execute(f'CREATE DATABASE "{PG_DB}"')
    finally:
        await admin.close()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB


async def load(engine: Any, n: int, seed: int) -> tuple[dict[str, float], list[str]]:
    generator = Generator(seed, TODAY, source="bench")
    timings: dict[str, float] = defaultdict(float)
    batch: list[VacancyRecord] = []
    started = time.perf_counter()

    async def flush() -> None:
        t = time.perf_counter()
        async with engine.begin() as conn:
            await store.upsert(conn, batch, now=NOW, today=TODAY)
        timings["write"] += time.perf_counter() - t
        batch.clear()

    t = time.perf_counter()
    for i, record in enumerate(generator.records(n)):
        batch.append(record)
        if len(batch) >= BATCH:
            timings["generate"] += time.perf_counter() - t
            await flush()
            t = time.perf_counter()
            if (i + 1) % 100_000 == 0:
                rate = (i + 1) / (time.perf_counter() - started)
                print(f"  {i + 1:,} loaded ({rate:,.0f}/s)", file=sys.stderr)
    timings["generate"] += time.perf_counter() - t
    if batch:
        await flush()
    t = time.perf_counter()
    async with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            await conn.exec_driver_sql("INSERT INTO vacancy_fts(vacancy_fts) VALUES('optimize')")
            await conn.exec_driver_sql("ANALYZE")
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE vacancies")
            await conn.exec_driver_sql("VACUUM ANALYZE vacancy_terms")
    timings["analyze"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    companies = sorted({name for pool in generator.companies.values() for name, _ in pool})
    return dict(timings), companies


async def count(engine: Any) -> int:
    async with read_only(engine) as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(store.V))).scalar())


async def companies_in(engine: Any, limit: int = 5000) -> list[str]:
    async with read_only(engine) as conn:
        rows = await conn.execute(sa.select(store.V.c.company).distinct().limit(limit))
        return sorted(r[0] for r in rows)


def check(kind: str, item: Any, result: Any) -> None:
    if kind == "recommend":
        if not isinstance(result, list) or len(result) > 5:
            raise Failure(f"recommend {item}: {result!r}")
        return
    if len(result.hits) > 5 or (not result.hits and not result.suggestions):
        raise Failure(f"{item.text!r}: no results and no suggestions (a dead end)")
    scores = [h.score for h in result.hits]
    if scores != sorted(scores, reverse=True):
        raise Failure(f"{item.text!r}: not in score order")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run_queries(engine: Any, items: list[tuple[str, Any]], warmup: int) -> dict[str, Any]:
    times: dict[str, list[float]] = defaultdict(list)
    found = {"empty": 0, "more": 0}
    for i, (kind, item) in enumerate(items):
        t = time.perf_counter()
        async with read_only(engine) as conn:
            if kind == "recommend":
                result: Any = await store.recommend(conn, item, today=TODAY)
            else:
                result = await store.search(conn, item, today=TODAY)
        elapsed = (time.perf_counter() - t) * 1000
        check(kind, item, result)
        if i < warmup:
            continue
        times[kind].append(elapsed)
        times["all"].append(elapsed)
        if kind != "recommend":
            found["empty"] += not result.hits
            found["more"] += result.more
    summary: dict[str, Any] = {}
    for kind in ("all", *KINDS):
        values = times[kind]
        summary[kind] = {
            "n": len(values),
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "p99": percentile(values, 99),
            "mean": statistics.fmean(values),
        }
    summary["found"] = found
    return summary


async def bench(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    url = await prepare(kind, args.reuse)
    engine = make_engine(url)
    try:
        await migrate(engine)
        held = await count(engine)
        timings: dict[str, float] = {}
        if held != args.n:
            if held:
                raise Failure(f"{kind}: holds {held} vacancies, not {args.n}; drop --reuse")
            print(f"{kind}: loading {args.n:,} vacancies", file=sys.stderr)
            timings, companies = await load(engine, args.n, args.seed)
        else:
            companies = await companies_in(engine)
        warm = list(queries(args.warmup, args.seed + 2, companies))
        items = warm + list(queries(args.queries, args.seed + 1, companies))
        print(f"{kind}: {len(items)} queries", file=sys.stderr)
        summary = await run_queries(engine, items, len(warm))
        size = SQLITE_PATH.stat().st_size if kind == "sqlite" else await pg_size(engine)
        return {"db": kind, "n": args.n, "load": timings, "queries": summary, "bytes": size}
    finally:
        await engine.dispose()


async def pg_size(engine: Any) -> int:
    async with read_only(engine) as conn:
        return int(
            (await conn.execute(sa.text("SELECT pg_database_size(current_database())"))).scalar()
        )


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": str(os.cpu_count()),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def report(results: list[dict[str, Any]]) -> None:
    print("\n| DB | N | load | write | ANALYZE | size | all p50 | p95 | p99 | "
          + " | ".join(f"{k} p95" for k in KINDS) + " |")  # fmt: skip
    print("|" + "---|" * (9 + len(KINDS)))
    for r in results:
        q, load_ = r["queries"], r["load"]
        cells = [
            r["db"], f"{r['n']:,}",
            f"{load_.get('total', 0):.0f} s", f"{load_.get('write', 0):.0f} s",
            f"{load_.get('analyze', 0):.0f} s", f"{r['bytes'] / 2**20:,.0f} MB",
            f"{q['all']['p50']:.1f} ms", f"{q['all']['p95']:.1f} ms", f"{q['all']['p99']:.1f} ms",
            *(f"{q[k]['p95']:.1f} ms" for k in KINDS),
        ]  # fmt: skip
        print("| " + " | ".join(cells) + " |")
    for r in results:
        print(f"{r['db']}: p50 by kind: "
              + ", ".join(f"{k} {r['queries'][k]['p50']:.1f} ms" for k in KINDS)
              + f"; searches with nothing found {r['queries']['found']['empty']}, "
              f"more than 100 found {r['queries']['found']['more']}")  # fmt: skip


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=WARMUP, help="other queries first")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    print(f"conditions: {versions()}", file=sys.stderr)
    results = []
    try:
        for kind in kinds:
            results.append(await bench(kind, args))
            report(results[-1:])  # each database as soon as it is done
            if args.json:
                output = {"conditions": versions(), "results": results}
                args.json.write_text(json.dumps(output, indent=1))
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    if len(results) > 1:
        report(results)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
