"""Merging a number's person into the person who linked it (bot/link/merge.py), on SQLite and
PostgreSQL: every row changes owner once, one-per-person records keep the newer, SMS
spending adds up, and nobody else's rows move."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from bot.app import App
from bot.link.merge import merge_persons
from bot.link.tables import SmsUsage
from bot.storage import people
from bot.storage.crypto import address_hash
from bot.storage.models import (
    Application,
    EligibilityCheck,
    Identity,
    Person,
    ProfileEntry,
    Registration,
    table,
)

T0 = datetime(2025, 6, 1, 3, 0, tzinfo=UTC)
PHONE = "+6281234567890"


async def person(app: App, channel: str, address: str, at: datetime) -> int:
    async with app.db.write() as conn:
        snap = await people.create_identity(conn, channel, address, at)
        assert snap is not None
        return snap.person.id


async def add(app: App, model: type, **values: Any) -> None:
    async with app.db.write() as conn:
        await conn.execute(insert(table(model)).values(**values))


async def rows(app: App, model: type, person_id: int, *columns: str) -> list[tuple[Any, ...]]:
    t = table(model)
    async with app.db.read() as conn:
        result = await conn.execute(
            select(*(t.c[c] for c in columns)).where(t.c.person_id == person_id)
        )
        return sorted((tuple(r) for r in result), key=repr)


async def test_merge_moves_everything_once_and_keeps_the_newer_single_records(app: App) -> None:
    survivor = await person(app, "telegram", "111", T0 + timedelta(days=3))
    absorbed = await person(app, "sms", PHONE, T0)
    async with app.db.write() as conn:  # the same number on WhatsApp: same absorbed person
        await conn.execute(insert(table(Identity)).values(
            person_id=absorbed, channel="whatsapp", address_hash=address_hash("whatsapp", PHONE),
            address=PHONE, blocked=False, created_at=T0, last_inbound_at=T0,
        ))  # fmt: skip
    bystander = await person(app, "telegram", "999", T0)
    # The absorbed person's check and personal data are newer, the survivor's registration.
    for p, newer in ((survivor, False), (absorbed, True), (bystander, False)):
        stamp = T0 + timedelta(days=2 if newer else 1)
        other = T0 + timedelta(days=1 if newer else 2)
        await add(app, ProfileEntry, person_id=p, section="personal", position=0,
                  data={"name": f"personal {p}"}, updated_at=stamp)  # fmt: skip
        await add(app, ProfileEntry, person_id=p, section="skill", position=0,
                  data={"name": f"skill {p}"}, updated_at=stamp)  # fmt: skip
        await add(app, EligibilityCheck, person_id=p, verdict=f"v{p}", claim_deadline=None,
                  data={}, checked_at=stamp)  # fmt: skip
        await add(app, Registration, person_id=p, status="ter_phk", province_code=None,
                  occupation_code=None, country=None, data={"p": p}, saved_at=other)  # fmt: skip
        for source_id in ("same", f"own-{p}"):
            await add(app, Application, person_id=p, vacancy_id=None, source="feed",
                      source_id=source_id, via="catalogue", applied_at=stamp,
                      applied_on=date(2025, 6, 2), status="sent", status_at=stamp,
                      data={"by": p})  # fmt: skip
        await add(app, SmsUsage, person_id=p, month="2025-06", segments=3 + p)
    before_bystander = {
        m: await rows(app, m, bystander, *cols)
        for m, cols in ((ProfileEntry, ("section", "updated_at")), (Application, ("source_id",)),
                        (SmsUsage, ("month", "segments")))
    }  # fmt: skip

    async with app.db.write() as conn:
        moved = await merge_persons(conn, survivor, absorbed)
    assert moved["identities"] == 2

    async with app.db.read() as conn:
        persons = list(await conn.scalars(select(table(Person).c.id).order_by(table(Person).c.id)))
        left = await conn.scalar(
            select(func.count()).select_from(table(Identity))
            .where(table(Identity).c.person_id == absorbed)
        )  # fmt: skip
        snap = await people.snapshot(conn, "sms", PHONE)
        created = await conn.scalar(select(table(Person).c.created_at)
                                    .where(table(Person).c.id == survivor))  # fmt: skip
    assert persons == sorted([survivor, bystander]) and left == 0
    assert snap is not None and snap.person.id == survivor
    assert created is not None and created.replace(tzinfo=UTC) == T0  # the older start kept
    profile = await rows(app, ProfileEntry, survivor, "section", "updated_at")
    assert [s for s, _ in profile] == ["personal", "skill", "skill"]  # one personal, two skills
    personal = [r for r in await rows(app, ProfileEntry, survivor, "section", "data")
                if r[0] == "personal"]  # fmt: skip
    assert personal == [("personal", {"name": f"personal {absorbed}"})]  # the newer
    assert await rows(app, EligibilityCheck, survivor, "verdict") == [(f"v{absorbed}",)]
    assert await rows(app, Registration, survivor, "data") == [({"p": survivor},)]
    assert await rows(app, Application, survivor, "source_id") == sorted(
        [("same",), (f"own-{survivor}",), (f"own-{absorbed}",)]
    )
    assert await rows(app, SmsUsage, survivor, "month", "segments") == [
        ("2025-06", 3 + survivor + 3 + absorbed)
    ]
    for model, cols in ((ProfileEntry, ("section", "updated_at")), (Application, ("source_id",)),
                        (SmsUsage, ("month", "segments"))):  # fmt: skip
        assert await rows(app, model, bystander, *cols) == before_bystander[model]
