"""Persons, their identities and conversations: what the engine reads and writes each turn.

SQLAlchemy Core on an :class:`~sqlalchemy.ext.asyncio.AsyncConnection` (no ORM session on the
hot path); every function returns plain values or dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import (
    String,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.types import PersonFacts
from bot.counseling.tables import Counselee
from bot.storage.crypto import address_hash
from bot.storage.models import (
    ConsentEvent,
    Conversation,
    HandoffRequest,
    Identity,
    OutboxMessage,
    Person,
    ProcessedEvent,
    table,
)
from bot.storage.prebuilt import prebuilt

P, I, C = table(Person), table(Identity), table(Conversation)  # noqa: E741


def upsert(conn: AsyncConnection, table: Any) -> Any:
    """An INSERT that can take ``on_conflict_do_nothing`` / ``_do_update`` on both databases."""
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


@dataclass(frozen=True)
class Snapshot:
    """An identity as a turn starts: who, which version, the stored conversation state."""

    identity_id: int
    person: PersonFacts
    version: int
    state: dict[str, Any] | None
    blocked: bool
    in_session: int | None = None  # a counselor has the conversation: that session's id
    # Read with the person's own turn (:func:`turn_snapshot`):
    processed: bool = False  # the event was handled already (a redelivery)
    clear_for: str | None = None  # the sender (owner) that ``clear`` was read for
    clear: bool = False  # nothing of the chat waits that ``clear_for`` does not hold
    last_inbound_at: datetime | None = None


CL = table(Counselee)
_SNAPSHOT = (
    select(
        I.c.id, I.c.blocked, P.c.id.label("person_id"), P.c.consent, P.c.opted_out, P.c.tz,
        P.c.benefit_start, P.c.version, C.c.state, CL.c.in_session,
    )
    .select_from(
        I.join(P, P.c.id == I.c.person_id)
        .outerjoin(C, C.c.identity_id == I.c.id)
        .outerjoin(CL, CL.c.person_id == I.c.person_id)
    )
)  # fmt: skip


def _snapshot(row: Any) -> Snapshot:
    person = PersonFacts(row.person_id, row.consent, row.opted_out, row.tz, row.benefit_start)
    state = dict(row.state) if row.state is not None else None
    return Snapshot(row.id, person, row.version, state, row.blocked, row.in_session)


async def snapshot(conn: AsyncConnection, channel: str, address: str) -> Snapshot | None:
    """The identity of ``channel:address`` with its person and state; None before first
    contact."""
    key = address_hash(channel, address)
    stmt = _SNAPSHOT.where(I.c.channel == channel, I.c.address_hash == key)
    row = (await conn.execute(stmt)).first()
    return _snapshot(row) if row else None


async def turn_snapshot(
    conn: AsyncConnection,
    channel: str,
    address: str,
    event_id: str | None,
    owner: str,
    now: datetime,
) -> Snapshot | None:
    """:func:`snapshot` for the person's own turn, in one statement with what the turn
    checks: whether ``event_id`` was handled already, and (SQLite) whether the chat's
    messages may go straight to the sender ``owner`` (:func:`bot.storage.outbox.chat_is_clear`).
    On SQLite the turn's writes fail if another process committed since this read (it is
    computed again), so the answer holds until the commit; on PostgreSQL (read committed) a
    row another writer queues for the chat meanwhile would not be seen, so the reply's own
    insert asks instead (:func:`bot.storage.outbox.enqueue_if_clear`)."""
    key = address_hash(channel, address)
    params = {"b_channel": channel, "b_hash": key, "b_event": event_id, "b_owner": owner,
              "b_now": now}  # fmt: skip
    row = (await conn.execute(_built(conn, "turn_snapshot"), params)).first()
    if row is None:
        return None
    snap = replace(_snapshot(row), processed=bool(row.processed),
                   last_inbound_at=row.last_inbound_at)  # fmt: skip
    if "waiting" in row._fields:
        snap = replace(snap, clear_for=owner, clear=not row.waiting)
    return snap


def needs_touch(snap: Snapshot, now: datetime) -> bool:
    """Whether a turn of theirs records that they wrote (:func:`touch_identity`): not when
    they were not blocked and wrote less than :data:`TOUCH_EVERY` ago. The time kept is then
    at most that much early: WhatsApp's 24-hour window is counted from it, so it closes
    early, never late; the most recent channel (``addresses``) is right to the minute. (On
    PostgreSQL a block recorded by a sender while the turn runs stays until they next write:
    only system messages skip a blocked chat.)"""
    seen = snap.last_inbound_at
    return snap.blocked or seen is None or now - seen >= TOUCH_EVERY


TOUCH_EVERY = timedelta(minutes=1)


async def snapshot_of(conn: AsyncConnection, identity_id: int) -> Snapshot | None:
    row = (await conn.execute(_SNAPSHOT.where(I.c.id == identity_id))).first()
    return _snapshot(row) if row else None


async def is_processed(conn: AsyncConnection, channel: str, event_id: str) -> bool:
    params = {"b_channel": channel, "b_event": event_id}
    return (await conn.execute(_built(conn, "is_processed"), params)).first() is not None


def _built(conn: AsyncConnection, name: str) -> Any:
    """A statement of every turn, built once per dialect (:mod:`bot.storage.prebuilt`)."""
    return prebuilt((conn.dialect.name, name), partial(_BUILDERS[name], conn))


def _mark_processed(conn: AsyncConnection) -> Any:
    E = table(ProcessedEvent)
    return (
        upsert(conn, E)
        .values(channel=bindparam("b_channel", type_=E.c.channel.type),
                event_id=bindparam("b_event", type_=E.c.event_id.type),
                at=bindparam("b_at", type_=E.c.at.type))
        .on_conflict_do_nothing()
    )  # fmt: skip


def _is_processed(conn: AsyncConnection) -> Any:
    E = table(ProcessedEvent)
    return select(E.c.event_id).where(
        E.c.channel == bindparam("b_channel", type_=E.c.channel.type),
        E.c.event_id == bindparam("b_event", type_=E.c.event_id.type),
    )


def _save_state(conn: AsyncConnection) -> Any:
    stmt = upsert(conn, C).values(
        identity_id=bindparam("b_identity", type_=C.c.identity_id.type),
        person_id=bindparam("b_person", type_=C.c.person_id.type),
        state=bindparam("b_state", type_=C.c.state.type),
        updated_at=bindparam("b_at", type_=C.c.updated_at.type),
    )
    # (the new row's values: the state is encrypted once, not twice)
    return stmt.on_conflict_do_update(
        index_elements=[C.c.identity_id],
        set_={"state": stmt.excluded.state, "updated_at": stmt.excluded.updated_at},
    )


def _claim_version(conn: AsyncConnection) -> Any:
    return (
        update(P)
        .where(P.c.id == bindparam("b_person", type_=P.c.id.type),
               P.c.version == bindparam("b_version", type_=P.c.version.type))
        .values(version=P.c.version + 1)
    )  # fmt: skip


def _claim_version_seen(conn: AsyncConnection) -> Any:
    return _claim_version(conn).values(last_seen_at=bindparam("b_at", type_=P.c.last_seen_at.type))


def _touch_identity(conn: AsyncConnection) -> Any:
    return (
        update(I)
        .where(I.c.id == bindparam("b_identity", type_=I.c.id.type))
        .values(blocked=False, last_inbound_at=bindparam("b_at", type_=I.c.last_inbound_at.type))
    )


def _turn_snapshot(conn: AsyncConnection) -> Any:
    from bot.storage.outbox import waiting_clause  # (outbox builds on this module)

    E = table(ProcessedEvent)
    processed = exists().where(
        E.c.channel == bindparam("b_channel", type_=E.c.channel.type),
        E.c.event_id == bindparam("b_event", type_=E.c.event_id.type),
    )
    columns = [I.c.last_inbound_at, processed.label("processed")]
    if conn.dialect.name == "sqlite":
        columns.append(waiting_clause(
            bindparam("b_hash", type_=I.c.address_hash.type),  # (the chat key: the same hash)
            bindparam("b_owner", type_=String()),
            bindparam("b_now", type_=I.c.created_at.type),
        ).label("waiting"))  # fmt: skip
    return _SNAPSHOT.add_columns(*columns).where(
        I.c.channel == bindparam("b_channel", type_=I.c.channel.type),
        I.c.address_hash == bindparam("b_hash", type_=I.c.address_hash.type),
    )


_BUILDERS = {
    "turn_snapshot": _turn_snapshot,
    "is_processed": _is_processed,
    "mark_processed": _mark_processed,
    "save_state": _save_state,
    "claim_version": _claim_version,
    "claim_version_seen": _claim_version_seen,
    "touch_identity": _touch_identity,
}


async def mark_processed(conn: AsyncConnection, channel: str, event_id: str, now: datetime) -> bool:
    """Record an event as handled; False when it already was (a redelivery)."""
    params = {"b_channel": channel, "b_event": event_id, "b_at": now}
    result = await conn.execute(_built(conn, "mark_processed"), params)
    return bool(result.rowcount)


async def create_identity(
    conn: AsyncConnection, channel: str, address: str, now: datetime
) -> Snapshot | None:
    """First contact: a new person with this one identity. None if another process created
    the identity meanwhile (the caller starts the turn again)."""
    key = address_hash(channel, address)
    person_id = (
        await conn.execute(
            insert(P)
            .values(created_at=now, last_seen_at=now, consent="none", opted_out=False, version=0)
            .returning(P.c.id)
        )
    ).scalar_one()
    result = await conn.execute(
        upsert(conn, I)
        .values(
            person_id=person_id, channel=channel, address_hash=key, address=address,
            blocked=False, created_at=now, last_inbound_at=now,
        )
        .on_conflict_do_nothing()
        .returning(I.c.id)
    )  # fmt: skip
    identity_id = result.scalar_one_or_none()
    if identity_id is None:
        await conn.execute(delete(P).where(P.c.id == person_id))
        return None
    return Snapshot(identity_id, PersonFacts(person_id), 0, None, False)


async def claim_version(
    conn: AsyncConnection, person_id: int, expected: int, now: datetime, *, seen: bool
) -> bool:
    """Bump the person's version if it is still ``expected`` (nobody wrote since the
    snapshot); False means the turn must be computed again."""
    params: dict[str, Any] = {"b_person": person_id, "b_version": expected}
    if seen:
        params["b_at"] = now
    stmt = _built(conn, "claim_version_seen" if seen else "claim_version")
    result = await conn.execute(stmt, params)
    return bool(result.rowcount)


async def claim_turn(
    conn: AsyncConnection,
    person_id: int,
    expected: int,
    now: datetime,
    *,
    event: tuple[str, str] | None,
    seen: bool,
    state: tuple[int, dict[str, Any]] | None = None,
) -> tuple[bool, bool]:
    """What lets a turn write, and its state when nothing else is written first: the event
    recorded as handled (:func:`mark_processed`), the person's version claimed
    (:func:`claim_version`), the conversation state of identity ``state[0]`` saved. Returns
    (a new event: False for a redelivery, the version claimed: False when another turn
    wrote since the snapshot); on either False the caller rolls the whole transaction back.
    On PostgreSQL one statement (each statement is a round trip to the server); on SQLite
    (in the loop's thread, bot/storage/sqlite_driver.py) one after the other."""
    if conn.dialect.name != "postgresql":
        if event is not None and not await mark_processed(conn, *event, now):
            return False, False
        if not await claim_version(conn, person_id, expected, now, seen=seen):
            return True, False
        if state is not None:
            await save_state(conn, state[0], person_id, state[1], now)
        return True, True
    params: dict[str, Any] = {"b_person": person_id, "b_version": expected, "b_at": now}
    if event is not None:
        params["b_channel"], params["b_event"] = event
    if state is not None:
        params["b_identity"], params["b_state"] = state
    shape = (event is not None, seen, state is not None)
    stmt = prebuilt(("postgresql", "claim_turn", *shape), partial(_claim_turn, conn, *shape))
    row = (await conn.execute(stmt, params)).one()
    return bool(row.fresh), bool(row.claimed)


def _claim_turn(conn: AsyncConnection, event: bool, seen: bool, state: bool) -> Any:
    """PostgreSQL: :func:`claim_turn` as one statement of data-modifying CTEs (each runs
    once, to completion, whether or not it is read; the counts say what happened)."""

    def count(cte: Any) -> Any:
        return select(func.count()).select_from(cte).scalar_subquery()

    claim = (_claim_version_seen if seen else _claim_version)(conn)
    claimed = claim.returning(P.c.id).cte("claimed_version")
    columns = [count(claimed).label("claimed")]
    if event:
        E = table(ProcessedEvent)
        fresh = _mark_processed(conn).returning(E.c.event_id).cte("fresh_event")
        columns.append(count(fresh).label("fresh"))
    else:
        columns.append(literal(1).label("fresh"))
    if state:
        saved = _save_state(conn).returning(C.c.identity_id).cte("saved_state")
        columns.append(count(saved).label("saved"))
    return select(*columns)


async def bump_version(conn: AsyncConnection, person_id: int) -> None:
    """A write outside a turn (an import, an operator) invalidates snapshots in flight."""
    await conn.execute(update(P).where(P.c.id == person_id).values(version=P.c.version + 1))


async def touch_identity(conn: AsyncConnection, identity_id: int, now: datetime) -> None:
    """They wrote to us: they can receive again, and the inbound time is noted (WhatsApp's
    24-hour window)."""
    await conn.execute(_built(conn, "touch_identity"), {"b_identity": identity_id, "b_at": now})


async def save_state(
    conn: AsyncConnection, identity_id: int, person_id: int, state: dict[str, Any], now: datetime
) -> None:
    params = {"b_identity": identity_id, "b_person": person_id, "b_state": state, "b_at": now}
    await conn.execute(_built(conn, "save_state"), params)


async def record_consent(
    conn: AsyncConnection, person_id: int, action: str, version: str, now: datetime
) -> None:
    await conn.execute(
        update(P)
        .where(P.c.id == person_id)
        .values(consent=action, consent_version=version, consent_at=now)
    )
    await conn.execute(
        insert(table(ConsentEvent)).values(
            person_id=person_id, action=action, notice_version=version, at=now
        )
    )


async def set_opted_out(conn: AsyncConnection, person_id: int, opted_out: bool) -> None:
    await conn.execute(update(P).where(P.c.id == person_id).values(opted_out=opted_out))


async def mark_blocked(conn: AsyncConnection, channel: str, address: str) -> None:
    key = address_hash(channel, address)
    await conn.execute(
        update(I).where(I.c.channel == channel, I.c.address_hash == key).values(blocked=True)
    )


async def open_handoff(conn: AsyncConnection, person_id: int, context: str, now: datetime) -> bool:
    """Queue a request to talk to a person; False if one is already open."""
    H = table(HandoffRequest)
    existing = await conn.scalar(
        select(func.count()).select_from(H).where(H.c.person_id == person_id, H.c.status == "open")
    )
    if existing:
        return False
    await conn.execute(
        insert(H).values(person_id=person_id, context=context, created_at=now, status="open")
    )
    return True


async def open_handoffs(conn: AsyncConnection) -> list[tuple[int, str]]:
    H = table(HandoffRequest)
    rows = await conn.execute(
        select(H.c.person_id, H.c.context).where(H.c.status == "open").order_by(H.c.id)
    )
    return [(r[0], r[1]) for r in rows]


@dataclass(frozen=True)
class Address:
    identity_id: int
    channel: str
    address: str
    blocked: bool
    last_inbound_at: datetime | None


async def addresses(conn: AsyncConnection, person_id: int) -> list[Address]:
    """The person's identities, most recently active first."""
    rows = await conn.execute(
        select(I.c.id, I.c.channel, I.c.address, I.c.blocked, I.c.last_inbound_at)
        .where(I.c.person_id == person_id)
        .order_by(I.c.last_inbound_at.desc().nulls_last(), I.c.id.desc())
    )
    return [Address(*row) for row in rows]


async def delete_person(conn: AsyncConnection, person_id: int) -> None:
    """Erase the person and everything hanging off them: identities, conversations,
    records, pending and sent messages (the foreign keys cascade; the explicit deletes keep
    SQLite honest when a connection runs without ``foreign_keys``)."""
    await conn.execute(delete(table(OutboxMessage)).where(OutboxMessage.person_id == person_id))
    await conn.execute(delete(P).where(P.c.id == person_id))


async def inactive_persons(
    conn: AsyncConnection, now: datetime, retention_days: int, limit: int
) -> list[int]:
    cutoff = now - timedelta(days=retention_days)
    rows = await conn.execute(
        select(P.c.id).where(P.c.last_seen_at < cutoff).order_by(P.c.id).limit(limit)
    )
    return [r[0] for r in rows]


async def forget_old_events(
    conn: AsyncConnection, now: datetime, limit: int, *, system_channel: str = "system"
) -> int:
    """Processed-event ids older than a week (Telegram redelivers for at most 24 hours);
    system-event keys are kept 90 days, longer than any sweep looks back."""
    E = table(ProcessedEvent)
    old = (
        select(E.c.channel, E.c.event_id)
        .where(
            ((E.c.channel != system_channel) & (E.c.at < now - timedelta(days=7)))
            | (E.c.at < now - timedelta(days=90))
        )
        .limit(limit)
    )
    result = await conn.execute(delete(E).where(tuple_(E.c.channel, E.c.event_id).in_(old)))
    return int(result.rowcount or 0)
