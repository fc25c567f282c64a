"""The outbox: every message to a person is a row here first; senders claim rows and deliver.

Claiming makes any number of senders (threads of one process, or processes against one
database) deliver each message once, in order per chat:

- a sender claims due rows with a lease (``claimed_by``, ``claim_until``); a row whose lease
  expired (its sender died) can be claimed again;
- a row is claimable only if no earlier pending row of the same chat is postponed or claimed
  by a live lease, so a chat's messages never overtake each other and a chat that waits
  (429, an outage) waits whole while other chats go on;
- on PostgreSQL the claim runs under a per-channel advisory lock with ``FOR UPDATE SKIP
  LOCKED``; on SQLite the claim is one short ``BEGIN IMMEDIATE`` transaction (one writer).

Rows are decrypted one at a time, so one unreadable row (a lost key, a corrupt body) is set
aside as ``failed`` while the rest of the queue flows.
"""

from __future__ import annotations

import json
import logging
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Integer,
    Text,
    bindparam,
    delete,
    exists,
    func,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.types import OutboundMessage
from bot.storage import crypto
from bot.storage.models import OutboxMessage, table
from bot.storage.people import upsert

O = table(OutboxMessage)  # noqa: E741
log = logging.getLogger(__name__)

PENDING, SENT, DROPPED, FAILED, EXPIRED = "pending", "sent", "dropped", "failed", "expired"


@dataclass(frozen=True)
class OutboxItem:
    id: int
    channel: str
    chat_key: str
    address: str
    person_id: int | None
    message: OutboundMessage
    attempts: int
    created_at: datetime
    expires_at: datetime | None
    essential: bool


async def enqueue(
    conn: AsyncConnection,
    *,
    channel: str,
    chat_key: str,
    address: str,
    person_id: int | None,
    message: OutboundMessage,
    now: datetime,
    idempotency_key: str | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    essential: bool = False,
) -> bool:
    """Queue one message; with an idempotency key already queued, nothing happens (False)."""
    stmt = upsert(conn, O).values(
        channel=channel, chat_key=chat_key, address=address, person_id=person_id,
        body=message.to_body(), idempotency_key=idempotency_key, essential=essential,
        status=PENDING, attempts=0, not_before=not_before or now, expires_at=expires_at,
        created_at=now,
    )  # fmt: skip
    result = await conn.execute(stmt.on_conflict_do_nothing())
    return bool(result.rowcount)


_CLAIMS: dict[str, Any] = {}


def _claim_statement(dialect: str) -> Any:
    """The claim, built once per dialect with bound parameters (``b_channel``, ``b_now``,
    ``b_owner``, ``b_until``, ``b_limit``): building it was most of a claim's CPU, and the
    sender claims after every turn."""
    if (cached := _CLAIMS.get(dialect)) is not None:
        return cached
    stamp = O.c.not_before.type
    now, until = bindparam("b_now", type_=stamp), bindparam("b_until", type_=stamp)
    earlier = O.alias("earlier")
    blocked = exists().where(
        earlier.c.chat_key == O.c.chat_key,
        earlier.c.status == PENDING,
        earlier.c.id < O.c.id,
        (earlier.c.not_before > now)
        | ((earlier.c.claim_until != None) & (earlier.c.claim_until >= now)),  # noqa: E711
    )
    candidates = (
        select(O.c.id)
        .where(
            O.c.channel == bindparam("b_channel", type_=O.c.channel.type),
            O.c.status == PENDING,
            O.c.not_before <= now,
            (O.c.claim_until == None) | (O.c.claim_until < now),  # noqa: E711
            ~blocked,
        )
        .order_by(O.c.id)
        .limit(bindparam("b_limit", type_=Integer))
    )
    if dialect == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    stmt = (
        update(O)
        .where(O.c.id.in_(candidates.scalar_subquery()))
        .values(claimed_by=bindparam("b_owner", type_=O.c.claimed_by.type), claim_until=until)
        .returning(
            O.c.id, O.c.channel, O.c.chat_key, type_coerce(O.c.address, Text).label("address"),
            O.c.person_id, type_coerce(O.c.body, JSON).label("body"), O.c.attempts,
            O.c.created_at, O.c.expires_at, O.c.essential,
        )
    )  # fmt: skip
    _CLAIMS[dialect] = stmt
    return stmt


async def claim(
    conn: AsyncConnection,
    channel: str,
    now: datetime,
    *,
    owner: str,
    until: datetime,
    limit: int = 100,
) -> list[OutboxItem]:
    """Claim up to ``limit`` due messages of ``channel`` for ``owner`` until ``until``,
    oldest first. Unreadable rows are marked ``failed`` (logged once) and not returned."""
    if conn.dialect.name == "postgresql":
        lock = zlib.crc32(f"outbox:{channel}".encode())
        await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock})
    params = {"b_channel": channel, "b_now": now, "b_owner": owner, "b_until": until,
              "b_limit": limit}  # fmt: skip
    rows = (await conn.execute(_claim_statement(conn.dialect.name), params)).all()
    items: list[OutboxItem] = []
    cipher = crypto.current()
    for row in sorted(rows, key=lambda r: r.id):
        try:
            body = row.body if isinstance(row.body, dict) else json.loads(row.body)
            message = OutboundMessage.from_body(cipher.open(body))
            address = cipher.open_text(row.address)
        except Exception as e:  # a lost key, a corrupt row: set it aside, keep the queue going
            log.error("outbox row %s cannot be read (%s); set aside as failed", row.id, e)
            await _finish(conn, [row.id], FAILED, f"unreadable: {e!r}", now)
            continue
        items.append(
            OutboxItem(
                row.id, row.channel, row.chat_key, address, row.person_id, message,
                row.attempts, row.created_at, row.expires_at, row.essential,
            )
        )  # fmt: skip
    return items


async def _finish(
    conn: AsyncConnection, ids: list[int], status: str, error: str | None, now: datetime
) -> None:
    """A row leaves the queue: its text is not kept (the wage in an estimate, for one), and a
    row of nobody (the goodbye after HAPUS) is not kept at all."""
    if not ids:
        return
    await conn.execute(delete(O).where(O.c.id.in_(ids), O.c.person_id == None))  # noqa: E711
    values: dict[str, Any] = {
        "status": status, "body": {}, "claimed_by": None, "claim_until": None,
    }  # fmt: skip
    if status == SENT:
        values["sent_at"] = now
        values["attempts"] = O.c.attempts + 1
    if error is not None:
        values["last_error"] = error[:200]
    await conn.execute(update(O).where(O.c.id.in_(ids)).values(**values))


async def mark_sent(conn: AsyncConnection, ids: list[int], now: datetime) -> None:
    await _finish(conn, ids, SENT, None, now)


async def give_up(
    conn: AsyncConnection, ids: list[int], status: str, error: str, now: datetime
) -> None:
    """``dropped`` (a permanent error) or ``expired`` (no longer useful)."""
    await _finish(conn, ids, status, error, now)


async def postpone(
    conn: AsyncConnection, item_id: int, until: datetime, error: str, *, count: bool = True
) -> None:
    """Try again later; the chat's later messages wait behind this one. ``count``: a failed
    attempt (a rate limit is not one)."""
    await conn.execute(
        update(O)
        .where(O.c.id == item_id)
        .values(
            not_before=until, attempts=O.c.attempts + (1 if count else 0),
            last_error=error[:200], claimed_by=None, claim_until=None,
        )
    )  # fmt: skip


async def release(conn: AsyncConnection, ids: list[int]) -> None:
    """Give claims back unsent (the sender stops, or a chat must wait its turn)."""
    if ids:
        await conn.execute(
            update(O).where(O.c.id.in_(ids)).values(claimed_by=None, claim_until=None)
        )


async def drop_chat(conn: AsyncConnection, chat_key: str, error: str, now: datetime) -> None:
    """The chat is unreachable (blocked, deleted): drop everything queued for it."""
    ids = list(
        await conn.scalars(select(O.c.id).where(O.c.chat_key == chat_key, O.c.status == PENDING))
    )
    await _finish(conn, ids, DROPPED, error, now)


async def pending_count(conn: AsyncConnection, channel: str | None = None) -> int:
    stmt = select(func.count()).select_from(O).where(O.c.status == PENDING)
    if channel is not None:
        stmt = stmt.where(O.c.channel == channel)
    return int(await conn.scalar(stmt) or 0)


async def forget_finished(conn: AsyncConnection, before: datetime, limit: int) -> int:
    """Delete finished rows created before ``before`` (their idempotency keys with them)."""
    old = select(O.c.id).where(O.c.status != PENDING, O.c.created_at < before).limit(limit)
    result = await conn.execute(delete(O).where(O.c.id.in_(old.scalar_subquery())))
    return int(result.rowcount or 0)
