"""kill -9 halfway through `jkp-bot purge` on a database with thousands of inactive persons:
each person is either wholly there or wholly gone (no identity, conversation, record or
message left without its person, none of a remaining person missing), active persons are
untouched, and the next run finishes the job."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.app import App, build_app
from bot.settings import Settings
from bot.storage.crypto import address_hash
from bot.storage.models import (
    ConsentEvent,
    Conversation,
    Identity,
    OutboxMessage,
    Person,
    ProfileEntry,
    table,
)
from bot.testing.process import TEST_KEY, BotProcess, process_env

INACTIVE, ACTIVE = 3000, 20
OWNED = (Identity, Conversation, ConsentEvent, ProfileEntry, OutboxMessage)  # one each


async def populate(app: App) -> None:
    """``INACTIVE`` persons silent for two years and ``ACTIVE`` seen today, each with one row
    in every table that hangs off a person."""
    now = datetime.now(UTC)
    old = now - timedelta(days=2 * app.settings.retention_days)
    P = table(Person)
    async with app.db.write() as conn:
        seen = [old] * INACTIVE + [now] * ACTIVE
        ids = list(
            await conn.scalars(
                insert(P).returning(P.c.id, sort_by_parameter_order=True),
                [{"created_at": t, "last_seen_at": t, "consent": "granted", "opted_out": False,
                  "version": 1} for t in seen],
            )
        )  # fmt: skip
        addresses = [str(10_000_000 + i) for i in range(len(ids))]
        identity_ids = list(
            await conn.scalars(
                insert(table(Identity)).returning(table(Identity).c.id,
                                                  sort_by_parameter_order=True),
                [{"person_id": p, "channel": "telegram", "address": a,
                  "address_hash": address_hash("telegram", a), "blocked": False,
                  "created_at": t, "last_inbound_at": t}
                 for p, a, t in zip(ids, addresses, seen, strict=True)],
            )
        )  # fmt: skip
        rows = list(zip(ids, identity_ids, addresses, seen, strict=True))
        await conn.execute(insert(table(Conversation)), [
            {"identity_id": i, "person_id": p, "state": {"v": 2, "dialogs": {}}, "updated_at": t}
            for p, i, _, t in rows])  # fmt: skip
        await conn.execute(insert(table(ConsentEvent)), [
            {"person_id": p, "action": "granted", "notice_version": "v", "at": t}
            for p, _, _, t in rows])  # fmt: skip
        await conn.execute(insert(table(ProfileEntry)), [
            {"person_id": p, "section": "skills", "position": 0, "data": {"skill": "las"},
             "updated_at": t} for p, _, _, t in rows])  # fmt: skip
        await conn.execute(insert(table(OutboxMessage)), [
            {"channel": "telegram", "chat_key": address_hash("telegram", a), "address": a,
             "person_id": p, "body": {"parts": []}, "status": "sent", "attempts": 1,
             "not_before": t, "created_at": now, "essential": False}
            for p, _, a, t in rows])  # fmt: skip


async def census(app: App) -> dict[str, int]:
    """Persons, and rows of every owned table: all, and those whose person is gone."""
    P = table(Person)
    out: dict[str, int] = {}
    async with app.db.read() as conn:
        out["persons"] = int(await conn.scalar(select(func.count()).select_from(P)) or 0)
        cutoff = datetime.now(UTC) - timedelta(days=app.settings.retention_days)
        out["active"] = int(
            await conn.scalar(select(func.count()).where(P.c.last_seen_at >= cutoff)) or 0
        )
        for model in OWNED:
            t = table(model)
            out[t.name] = int(await conn.scalar(select(func.count()).select_from(t)) or 0)
            orphans = select(func.count()).select_from(t).where(~t.c.person_id.in_(select(P.c.id)))
            out[f"{t.name} orphaned"] = int(await conn.scalar(orphans) or 0)
    return out


def whole(counts: dict[str, int], persons: int) -> None:
    """Every remaining person has all of its rows; no row is left without its person."""
    for model in OWNED:
        name = table(model).name
        assert counts[name] == persons, (name, counts)
        assert counts[f"{name} orphaned"] == 0, (name, counts)


async def test_kill_9_during_a_purge_leaves_nothing_half_deleted(
    settings: Settings, tmp_path: Path
) -> None:
    settings = replace(settings, retention_days=365)
    app = await build_app(settings)
    try:
        await populate(app)
        assert (await census(app))["persons"] == INACTIVE + ACTIVE
        env = process_env(settings.database_url, DATA_ENCRYPTION_KEY=TEST_KEY,
                          DATA_RETENTION_DAYS="365")  # fmt: skip
        purge = BotProcess(env, tmp_path / "purge.log", "purge")
        await purge.start()
        async with asyncio.timeout(60):
            while (await census(app))["persons"] > INACTIVE * 2 // 3 + ACTIVE:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        await purge.kill()

        halfway = await census(app)
        assert ACTIVE < halfway["persons"] < INACTIVE + ACTIVE, halfway  # killed mid-way
        whole(halfway, halfway["persons"])
        assert halfway["active"] == ACTIVE

        again = BotProcess(env, tmp_path / "purge.log", "purge")
        await again.start()
        assert await again.wait(60) == 0
        deleted = re.search(r"deleted (\d+) inactive", again.output(this_run=True))
        assert deleted and int(deleted.group(1)) == halfway["persons"] - ACTIVE
        done = await census(app)
        assert done["persons"] == done["active"] == ACTIVE
        whole(done, ACTIVE)
    finally:
        await app.close()
