"""Many beneficiaries at once, for scheduler tests and the broadcast benchmark: persons who
agreed, each with one Telegram identity (chat ids from ``first_chat``) and six benefit
months, inserted in bulk (no turns)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bot.app import App
from bot.records.benefit import month_rows
from bot.rules.eligibility import add_months
from bot.storage.crypto import address_hash
from bot.storage.models import BenefitMonthRow, Identity, Person, table

CHUNK = 2000


def month_two_start(zone: str = "Asia/Jakarta", now: datetime | None = None) -> date:
    """A benefit start that puts today (in ``zone``) at the start of benefit month 2."""
    today = (now or datetime.now(UTC)).astimezone(ZoneInfo(zone)).date()
    return add_months(today, -1)


async def populate(
    app: App, n: int, *, start: date, first_chat: int = 100_000, tz: str | None = None
) -> list[int]:
    """``n`` beneficiaries; returns their chat ids."""
    now = datetime.now(UTC)
    P, ID, BM = table(Person), table(Identity), table(BenefitMonthRow)
    chats = [first_chat + i for i in range(n)]
    for lo in range(0, n, CHUNK):
        part = chats[lo : lo + CHUNK]
        async with app.db.write() as conn:
            ids = list(
                await conn.scalars(
                    insert(P).returning(P.c.id, sort_by_parameter_order=True),
                    [{"created_at": now, "last_seen_at": now, "consent": "granted",
                      "consent_version": "test", "opted_out": False, "version": 1, "tz": tz,
                      "benefit_start": start} for _ in part],
                )
            )  # fmt: skip
            await conn.execute(insert(ID), [
                {"person_id": p, "channel": "telegram", "address": str(c),
                 "address_hash": address_hash("telegram", str(c)), "blocked": False,
                 "created_at": now, "last_inbound_at": now}
                for p, c in zip(ids, part, strict=True)])  # fmt: skip
            rows = [row for p in ids for row in month_rows(p, start, now, app.settings.rules)]
            await conn.execute(insert(BM), rows)
    return chats
