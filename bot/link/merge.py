"""Merging a phone number's own person into the person who linked it.

**The rule.** The person who typed the right code (the *survivor*) keeps their id, consent,
opt-out and conversation; the number's person (the *absorbed*: someone who so far wrote only
by SMS/WhatsApp from that number) disappears, and everything of theirs moves to the
survivor: identities (the number itself), conversations, consent history, records (profile,
assessments, registration, eligibility check, benefit months, applications, evidence and its
photos, counseling), queued messages and SMS spending. Nothing is copied: rows change owner,
so nothing is duplicated, and only the two persons' rows are touched.

Where a person can have one record only (the registration, the last eligibility check, a
benefit month, the counselee record, the profile's photo and personal data) and both have
one, the newer is kept (by its saved/checked/updated time; the survivor's on a tie), as a
new check or save would have replaced it anyway. An application to the same vacancy is kept
once (the survivor's). The survivor's time zone and benefit start are kept, or taken from
the absorbed person when the survivor has none. SMS segments spent in a month are added up.

Generic over the metadata: any table with a ``person_id`` column is moved, so a table added
later is merged too (a one-per-person key on it is resolved as above; give it a timestamp
in :data:`NEWER_BY` if "newer wins" should look at one).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Column, Table, UniqueConstraint, and_, delete, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import people
from bot.storage.models import Base, Person, table

log = logging.getLogger(__name__)

NEWER_BY = {
    "registrations": "saved_at",
    "eligibility_checks": "checked_at",
    "benefit_months": "updated_at",
    "counselees": "registered_at",
    "profile_entries": "updated_at",
}
SINGLE_SECTIONS = ("photo", "personal")  # profile sections with one entry (bot/records)
SUMMED = {"sms_usage": "segments"}


def _person_keys(t: Table, person: Column[Any]) -> list[list[Column[Any]]]:
    """The unique keys of ``t`` that include ``person_id``: other columns of each."""
    keys: list[list[Column[Any]]] = []
    pk = list(t.primary_key.columns)
    if any(c is person for c in pk):
        keys.append([c for c in pk if c is not person])
    for constraint in t.constraints:
        columns = list(constraint.columns) if isinstance(constraint, UniqueConstraint) else []
        if any(c is person for c in columns):
            keys.append([c for c in columns if c is not person])
    return keys


async def _resolve(
    conn: AsyncConnection, t: Table, others: list[Column[Any]], survivor: int, absorbed: int,
    where: Any = None,
) -> int:  # fmt: skip
    """Rows of both persons with the same key: keep one (newer, or summed), delete the
    other. Returns how many rows were dropped."""
    person = t.c.person_id
    stamp = t.c.get(NEWER_BY.get(t.name, ""))
    summed = t.c.get(SUMMED.get(t.name, ""))
    extra = [c for c in (stamp, summed) if c is not None]
    base = select(*others, *extra)
    if where is not None:
        base = base.where(where)
    mine = {tuple(r[: len(others)]): r for r in await conn.execute(base.where(person == survivor))}
    dropped = 0
    for row in await conn.execute(base.where(person == absorbed)):
        key = tuple(row[: len(others)])
        if key not in mine:
            continue
        same = and_(true(), *(c == v for c, v in zip(others, key, strict=True)))
        if where is not None:
            same = and_(same, where)
        if summed is not None:
            at = len(others) + extra.index(summed)
            total = mine[key][at] + row[at]
            await conn.execute(
                update(t).where(person == survivor, same).values({summed.name: total})
            )
            loser = absorbed
        elif (
            stamp is not None
            and row[len(others)] is not None
            and (mine[key][len(others)] is None or row[len(others)] > mine[key][len(others)])
        ):
            loser = survivor
        else:
            loser = absorbed
        await conn.execute(delete(t).where(person == loser, same))
        dropped += 1
    return dropped


async def merge_persons(conn: AsyncConnection, survivor: int, absorbed: int) -> dict[str, int]:
    """Move everything of ``absorbed`` to ``survivor`` and delete ``absorbed`` (see the
    module's rule). Returns rows moved per table (for the log and tests)."""
    if survivor == absorbed:
        raise ValueError("a person cannot be merged into themselves")
    P = table(Person)
    rows = {r.id: r for r in await conn.execute(select(P).where(P.c.id.in_((survivor, absorbed))))}
    keep, gone = rows[survivor], rows[absorbed]
    await conn.execute(
        update(P).where(P.c.id == survivor).values(
            tz=keep.tz if keep.tz is not None else gone.tz,
            benefit_start=keep.benefit_start if keep.benefit_start is not None
            else gone.benefit_start,
            created_at=min(keep.created_at, gone.created_at),
            last_seen_at=max(keep.last_seen_at, gone.last_seen_at),
            version=P.c.version + 1,
        )
    )  # fmt: skip
    moved: dict[str, int] = {}
    for t in Base.metadata.sorted_tables:
        person = t.c.get("person_id")
        if t.name == "persons" or person is None:
            continue
        for others in _person_keys(t, person):
            await _resolve(conn, t, others, survivor, absorbed)
        if t.name == "profile_entries":
            for section in SINGLE_SECTIONS:
                await _resolve(conn, t, [], survivor, absorbed, t.c.section == section)
        result = await conn.execute(update(t).where(person == absorbed).values(person_id=survivor))
        if result.rowcount:
            moved[t.name] = int(result.rowcount)
    await people.delete_person(conn, absorbed)
    log.info("merged person %s into %s: %s", absorbed, survivor, moved)
    return moved
