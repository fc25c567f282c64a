"""How long a sweep's selection takes: "month 3, WITA, opted in, requirement not met" over N
persons with six benefit months each, by SQL on plain indexed columns (bot/records/benefit.py),
on SQLite and PostgreSQL. A script, not a test: it prints, it does not assert on time.

    python benchmarks/bench_sweep.py                 # 10,000 and 100,000 persons, both DBs
    python benchmarks/bench_sweep.py --persons 10000 --db sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from cryptography.fernet import Fernet
from sqlalchemy import insert

from bot.app import build_app
from bot.records.benefit import due, month_rows
from bot.settings import Settings
from bot.storage.models import BenefitMonthRow, Person, table
from bot.testing.clock import FrozenClock

PG = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", None)


async def run(url: str, persons: int, repeats: int) -> dict[str, float]:
    settings = replace(Settings(), database_url=url, encryption_keys=Fernet.generate_key().decode())
    files = tempfile.mkdtemp(prefix="jkp-bench-files-")  # evidence photos: none here
    settings = replace(settings, evidence=replace(settings.evidence, directory=files))
    app = await build_app(settings, clock=FrozenClock(NOW))
    try:
        rng = random.Random(1)
        started = time.perf_counter()
        async with app.db.write() as conn:
            rows = []
            people = []
            for i in range(1, persons + 1):
                start = TODAY - timedelta(days=rng.randrange(0, 200))
                people.append({
                    "id": i, "created_at": NOW, "last_seen_at": NOW,
                    "consent": "granted" if rng.random() < 0.9 else "none",
                    "opted_out": rng.random() < 0.1, "version": 0, "tz": rng.choice(ZONES),
                    "benefit_start": start,
                })  # fmt: skip
                for row in month_rows(i, start, NOW):
                    row["met"] = rng.random() < 0.5
                    rows.append(row)
            for chunk in range(0, persons, 5000):
                await conn.execute(insert(table(Person)), people[chunk : chunk + 5000])
            for chunk in range(0, len(rows), 5000):
                await conn.execute(insert(table(BenefitMonthRow)), rows[chunk : chunk + 5000])
        async with app.db.engine.connect() as conn:  # as autovacuum / a periodic ANALYZE would
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()
        load = time.perf_counter() - started
        timings = []
        found = 0
        for _ in range(repeats):
            t0 = time.perf_counter()
            async with app.db.read() as conn:
                found = len(await due(conn, "last_days", TODAY, zones={"Asia/Makassar"},
                                      default_zone=False, month=3))  # fmt: skip
            timings.append((time.perf_counter() - t0) * 1000)
        timings.sort()
        return {
            "load_s": load, "p50_ms": statistics.median(timings),
            "p95_ms": timings[int(len(timings) * 0.95) - 1], "found": found,
        }  # fmt: skip
    finally:
        await app.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    print("| DB | persons | load | selection p50 | p95 | selected |")
    print("|---|---|---|---|---|---|")
    for n in args.persons:
        if args.db in ("sqlite", "both"):
            with tempfile.TemporaryDirectory() as tmp:
                r = await run(f"sqlite:///{Path(tmp) / 'sweep.sqlite3'}", n, args.repeats)
            print(f"| SQLite | {n:,} | {r['load_s']:.1f} s | {r['p50_ms']:.1f} ms | "
                  f"{r['p95_ms']:.1f} ms | {r['found']:,} |")  # fmt: skip
        if args.db in ("postgres", "both"):
            name = f"jkp_bench_{uuid.uuid4().hex[:10]}"
            admin = await asyncpg.connect(PG)
            await admin.execute(f'CREATE DATABASE "{name}"')
            try:
                r = await run(PG.rsplit("/", 1)[0] + f"/{name}", n, args.repeats)
            finally:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.close()
            print(f"| PostgreSQL | {n:,} | {r['load_s']:.1f} s | {r['p50_ms']:.1f} ms | "
                  f"{r['p95_ms']:.1f} ms | {r['found']:,} |")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
