"""What the takeover flag costs each turn: the engine's snapshot read with and without the
outer join to ``counselees`` (issue 11), over N persons of whom a tenth are counselees and a
hundredth in session, on SQLite and PostgreSQL. A script, not a test: it prints.

    python benchmarks/bench_counseling.py                 # 10,000 persons, both DBs
    python benchmarks/bench_counseling.py --persons 100000 --db sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from cryptography.fernet import Fernet
from sqlalchemy import insert, select

from bot.app import build_app
from bot.counseling.tables import Counselee
from bot.settings import Settings
from bot.storage import people
from bot.storage.crypto import address_hash
from bot.storage.models import Conversation, Identity, Person, table
from bot.testing.clock import FrozenClock

PG = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
P, I, C, CL = table(Person), table(Identity), table(Conversation), table(Counselee)  # noqa: E741
WITHOUT = select(
    I.c.id, I.c.blocked, P.c.id.label("person_id"), P.c.consent, P.c.opted_out, P.c.tz,
    P.c.benefit_start, P.c.version, C.c.state,
).select_from(
    I.join(P, P.c.id == I.c.person_id).outerjoin(C, C.c.identity_id == I.c.id)
)  # fmt: skip


async def run(url: str, persons: int, repeats: int) -> dict[str, float]:
    settings = replace(Settings(), database_url=url, encryption_keys=Fernet.generate_key().decode())
    app = await build_app(settings, clock=FrozenClock(NOW))
    try:
        async with app.db.write() as conn:
            for start in range(0, persons, 5000):
                batch = range(start, min(persons, start + 5000))
                await conn.execute(insert(P), [
                    {"id": i + 1, "created_at": NOW, "last_seen_at": NOW, "consent": "granted",
                     "opted_out": False, "version": 0} for i in batch])  # fmt: skip
                await conn.execute(insert(I), [
                    {"id": i + 1, "person_id": i + 1, "channel": "telegram",
                     "address_hash": address_hash("telegram", str(i)), "address": str(i),
                     "blocked": False, "created_at": NOW} for i in batch])  # fmt: skip
                await conn.execute(insert(C), [
                    {"identity_id": i + 1, "person_id": i + 1, "state": {"v": 2},
                     "updated_at": NOW} for i in batch])  # fmt: skip
                rows = [{"person_id": i + 1, "registered_at": NOW, "topic_id": i,
                         "in_session": i if i % 100 == 0 else None}
                        for i in batch if i % 10 == 0]  # fmt: skip
                if rows:
                    await conn.execute(insert(CL), rows)
        keys = [str(i) for i in range(0, persons, max(1, persons // repeats))][:repeats]
        timings: dict[str, list[float]] = {"with join": [], "without": []}
        for _ in range(3):
            for key in keys:
                async with app.db.read() as conn:
                    t = time.perf_counter()
                    snap = await people.snapshot(conn, "telegram", key)
                    timings["with join"].append(time.perf_counter() - t)
                    assert snap is not None
                    h = address_hash("telegram", key)
                    t = time.perf_counter()
                    (await conn.execute(WITHOUT.where(I.c.channel == "telegram",
                                                      I.c.address_hash == h))).first()  # fmt: skip
                    timings["without"].append(time.perf_counter() - t)
        return {k: statistics.median(v) * 1000 for k, v in timings.items()}
    finally:
        await app.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            result = await run(url, args.persons, args.repeats)
            print(f"sqlite   {args.persons:>7} persons: " + ", ".join(
                f"{k} {v:.3f} ms" for k, v in result.items()))  # fmt: skip
    if args.db in ("postgres", "both"):
        name = f"bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(PG)
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = PG.rsplit("/", 1)[0] + f"/{name}"
            result = await run(url, args.persons, args.repeats)
            print(f"postgres {args.persons:>7} persons: " + ", ".join(
                f"{k} {v:.3f} ms" for k, v in result.items()))  # fmt: skip
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
