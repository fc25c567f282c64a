"""Benchmark the evidence journey as the bot runs it: what a photo and a status cost per turn.

    python benchmarks/bench_evidence_turns.py [--repeat N] [--photos 10000,100000]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--json out.json]

On SQLite (a file) and, when reachable, PostgreSQL (a throw-away database):
1. near-duplicate scan: ``nearest_other`` over N stored photos of other persons (two BIGINT
   hashes each, their Hamming distances computed in the database), the query the
   ``StageUpload`` effect runs in its transaction;
2. a photo turn: the console's typed path through ``Intake.console`` (copy, check, clean,
   encrypt, store: before the turn) then ``Engine.handle`` (the dialog, the duplicate query,
   staging with the scan above, the outbox and its delivery to a collecting output), for a
   1280x960 photo, with the largest N photos of other persons stored;
3. "Selesai": recording the piece and counting the month again (``refresh_progress``);
4. the status turn ("Status bulan ini"): applications and evidence read, ``month_progress``,
   rendered, with 60 applications and 20 pieces in the month.

A script, not a test: it checks each reply, never time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bot.app import App, build_app  # noqa: E402
from bot.evidence.config import EvidenceSettings  # noqa: E402
from bot.records.evidence import nearest_other  # noqa: E402
from bot.records.evidence_model import RecordEvidence  # noqa: E402
from bot.records.model import RecordApplication, SetBenefitStart  # noqa: E402
from bot.rules.ledger import EvidenceKind  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage.models import EvidenceFile, Person, table  # noqa: E402
from bot.testing.client import ChatClient, consented  # noqa: E402
from bot.testing.clock import FrozenClock  # noqa: E402
from bot.testing.db import apply_effects, snapshot  # noqa: E402
from bot.testing.images import photo  # noqa: E402


def ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


async def others(app: App, count: int, start: int = 0) -> None:
    """``count`` stored photos of another person (rows only: the scan reads rows)."""
    now = datetime.now(UTC)
    async with app.db.write() as conn:
        person = (
            await conn.execute(
                insert(table(Person))
                .values(created_at=now, last_seen_at=now, consent="granted", opted_out=False,
                        version=0)
                .returning(table(Person).c.id)
            )
        ).scalar_one()  # fmt: skip
        rows = [
            {"person_id": person, "evidence_id": None, "ref": f"{i:064x}", "sha_key": f"{i:064x}",
             "phash": (i * 0x9E3779B97F4A7C15) % (1 << 63),
             "dhash": (i * 0xC2B2AE3D27D4EB4F) % (1 << 63), "mime": "image/jpeg", "width": 900,
             "height": 1200, "size": 100_000, "created_at": now}
            for i in range(start, start + count)
        ]  # fmt: skip
        for chunk in range(0, len(rows), 5000):
            await conn.execute(insert(table(EvidenceFile)), rows[chunk : chunk + 5000])


async def bench(url: str, repeat: int, sizes: list[int], folder: Path) -> dict[str, Any]:
    settings = replace(
        Settings(), database_url=url, encryption_keys=Fernet.generate_key().decode(),
        evidence=EvidenceSettings(directory=str(folder / "files")),
    )  # fmt: skip
    clock = FrozenClock()
    app = await build_app(settings, clock=clock)
    out: dict[str, Any] = {}
    try:
        stored = 0
        for n in sizes:
            await others(app, n - stored, stored)
            stored = n
            samples = []
            for _ in range(repeat):
                begin = time.perf_counter()
                async with app.db.read() as conn:
                    await nearest_other(conn, 0, 0x1234_5678_9ABC_DEF0, 0x0FED_CBA9_8765_4321, 6)
                samples.append(time.perf_counter() - begin)
            out[f"near-duplicate scan, {n:,} photos (ms)"] = ms(samples)

        client = await consented(ChatClient(app.engine, user="bench", intake=app.intake))
        snap = await snapshot(app, "console", "bench")
        assert snap is not None
        person = snap.person.id
        await apply_effects(app, person, SetBenefitStart(date(2025, 4, 15)))
        day = date(2025, 5, 20)
        await apply_effects(app, person, *(
            RecordApplication("bench", f"v{i}", "Operator", f"PT Nomor {i % 12}", on=day)
            for i in range(60)))  # fmt: skip
        await apply_effects(app, person, *(
            RecordEvidence(EvidenceKind.APPLICATION, f"CV Bukti {i}", day, ())
            for i in range(20)))  # fmt: skip
        await client.click("menu:evidence")
        photo_turns, done_turns, status_turns = [], [], []
        for r in range(repeat):
            await client.click("ev:upload")
            await client.click("ev_kind:application")
            await client.send(f"PT Bench {r}")
            await client.send("28 Mei 2025")
            path = folder / f"photo{r}.jpg"
            path.write_bytes(photo(100 + r, size=(1280, 960)))
            begin = time.perf_counter()
            await client.send(str(path))
            photo_turns.append(time.perf_counter() - begin)
            assert client.said() == ["utter_ev_photo_received"], client.said()
            begin = time.perf_counter()
            await client.click("ev:done")
            done_turns.append(time.perf_counter() - begin)
            assert client.said()[0] == "utter_ev_recorded_application"
            begin = time.perf_counter()
            await client.click("ev:status")
            status_turns.append(time.perf_counter() - begin)
            assert client.said()[0] == "utter_ev_month"
        out[f"photo turn (intake + engine), {stored:,} photos stored (ms)"] = ms(photo_turns)
        out["Selesai turn (record + month counted again) (ms)"] = ms(done_turns)
        out["status turn, 60 applications + 20 pieces (ms)"] = ms(status_turns)
    finally:
        await app.close()
    return out


async def postgres(admin: str) -> tuple[str, str] | None:
    import asyncpg  # type: ignore[import-untyped]

    dsn = admin.replace("postgresql+asyncpg://", "postgresql://")
    name = f"jkp_bench_{uuid.uuid4().hex[:8]}"
    try:
        conn = await asyncpg.connect(dsn, timeout=5)
    except Exception as e:
        print(f"PostgreSQL unreachable ({e!r}): skipped", file=sys.stderr)
        return None
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return dsn.rsplit("/", 1)[0] + f"/{name}", name


async def drop(admin: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin.replace("postgresql+asyncpg://", "postgresql://"))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--photos", default="10000,100000")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("s", "p"):
            (Path(tmp) / name).mkdir()
        results = asyncio.run(run(args, Path(tmp)))
    for db, figures in results.items():
        print(db)
        for what, value in figures.items():
            print(f"  {what}: {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


async def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    sizes = sorted(int(n) for n in args.photos.split(","))
    results: dict[str, Any] = {}
    results["SQLite"] = await bench(f"sqlite:///{folder / 'b.sqlite3'}", args.repeat, sizes,
                                    folder / "s")  # fmt: skip
    made = await postgres(args.postgres)
    if made:
        url, name = made
        try:
            results["PostgreSQL"] = await bench(url, args.repeat, sizes, folder / "p")
        finally:
            await drop(args.postgres, name)
    return results


if __name__ == "__main__":
    main()
