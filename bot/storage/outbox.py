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
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Integer,
    Text,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal,
    null,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.types import OutboundMessage
from bot.storage import crypto
from bot.storage.models import OutboxMessage, table
from bot.storage.people import upsert
from bot.storage.prebuilt import prebuilt

O = table(OutboxMessage)  # noqa: E741
log = logging.getLogger(__name__)

# The channels this task queued messages on that no sender was handed: the engine wakes
# their senders once its turn has committed (:func:`collect_unclaimed`).
_unclaimed: ContextVar[set[str] | None] = ContextVar("outbox_unclaimed", default=None)


def note_unclaimed(channel: str) -> None:
    """A message was queued on ``channel`` for no sender in particular (noted for
    :func:`collect_unclaimed`)."""
    if (channels := _unclaimed.get()) is not None:
        channels.add(channel)


@contextmanager
def collect_unclaimed() -> Iterator[set[str]]:
    """Within the block, :func:`enqueue` notes each channel it queued an unclaimed message
    on, in the set yielded."""
    channels: set[str] = set()
    token = _unclaimed.set(channels)
    try:
        yield channels
    finally:
        _unclaimed.reset(token)


PENDING, SENT, DROPPED, FAILED, EXPIRED = "pending", "sent", "dropped", "failed", "expired"
FALLBACK = "fallback"  # handed over to another channel of the person (scheduler/fallback.py)


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


_ENQUEUED = (
    "channel", "chat_key", "address", "person_id", "body", "idempotency_key", "essential",
    "not_before", "expires_at", "created_at", "claimed_by", "claim_until",
)  # fmt: skip


def _enqueue_statement(conn: AsyncConnection) -> Any:
    """The insert of :func:`enqueue`, built once per dialect (every turn queues)."""

    def build() -> Any:
        values = {name: bindparam(f"b_{name}", type_=O.c[name].type) for name in _ENQUEUED}
        return (
            upsert(conn, O)
            .values(status=PENDING, attempts=0, **values)
            .on_conflict_do_nothing()
            .returning(O.c.id)
        )

    return prebuilt((conn.dialect.name, "enqueue"), build)


def _enqueue_params(
    channel: str, chat_key: str, address: str, person_id: int | None,
    message: OutboundMessage, now: datetime, idempotency_key: str | None,
    not_before: datetime, expires_at: datetime | None, essential: bool,
    claimed_by: str | None, claim_until: datetime | None,
) -> dict[str, Any]:  # fmt: skip
    """The bound values of a queued message (``_ENQUEUED``), for both inserts."""
    return {
        "b_channel": channel, "b_chat_key": chat_key, "b_address": address,
        "b_person_id": person_id, "b_body": message.to_body(),
        "b_idempotency_key": idempotency_key, "b_essential": essential,
        "b_not_before": not_before, "b_expires_at": expires_at, "b_created_at": now,
        "b_claimed_by": claimed_by, "b_claim_until": claim_until,
    }  # fmt: skip


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
    claimed_by: str | None = None,
    claim_until: datetime | None = None,
) -> int | None:
    """Queue one message; its id, or None when its idempotency key was already queued
    (nothing happens). ``claimed_by``/``claim_until``: queued already claimed for a sender
    of this process (see :func:`chat_is_clear`)."""
    params = _enqueue_params(channel, chat_key, address, person_id, message, now,
                             idempotency_key, not_before or now, expires_at, essential,
                             claimed_by, claim_until)  # fmt: skip
    result = await conn.execute(_enqueue_statement(conn), params)
    row_id: int | None = result.scalar_one_or_none()
    if claimed_by is None:
        note_unclaimed(channel)
    return row_id


async def enqueue_if_clear(
    conn: AsyncConnection,
    *,
    channel: str,
    chat_key: str,
    address: str,
    person_id: int | None,
    message: OutboundMessage,
    now: datetime,
    expires_at: datetime | None,
    essential: bool,
    owner: str,
    claim_until: datetime,
    idempotency_key: str | None = None,
) -> tuple[int | None, bool]:
    """PostgreSQL: :func:`enqueue` and :func:`chat_is_clear` in one statement (one round
    trip to the server instead of two): the message is queued claimed for ``owner`` when
    nothing of the chat waits that ``owner`` does not hold, else unclaimed. Returns (its id,
    whether it was claimed); (None, False) when its idempotency key was already queued."""
    params = _enqueue_params(channel, chat_key, address, person_id, message, now,
                             idempotency_key, now, expires_at, essential, owner,
                             claim_until)  # fmt: skip
    row = (
        await conn.execute(prebuilt("enqueue_if_clear", _build_enqueue_if_clear), params)
    ).first()
    claimed = row is not None and row.claimed_by is not None
    if not claimed:
        note_unclaimed(channel)
    return (row.id if row is not None else None), claimed


def _build_enqueue_if_clear() -> Any:
    bound = {name: bindparam(f"b_{name}", type_=O.c[name].type) for name in _ENQUEUED}
    waiting = waiting_clause(bound["chat_key"], bound["claimed_by"], bound["created_at"])
    chat = select(waiting.label("waiting")).subquery("chat")
    plain = [name for name in _ENQUEUED if name not in ("claimed_by", "claim_until")]
    row = select(
        *(bound[name] for name in plain),
        literal(PENDING, type_=O.c.status.type),
        literal(0, type_=O.c.attempts.type),
        case((chat.c.waiting, null()), else_=bound["claimed_by"]),
        case((chat.c.waiting, null()), else_=bound["claim_until"]),
    ).select_from(chat)
    columns = [*plain, "status", "attempts", "claimed_by", "claim_until"]
    return (
        pg_insert(O)
        .from_select(columns, row)
        .on_conflict_do_nothing()
        .returning(O.c.id, O.c.claimed_by)
    )


class Taker(Protocol):
    """A sender of this process that takes messages a turn queued already claimed for it
    (scheduler/outbox.py ``OutboxSender``): no claim transaction, no wait for a poll."""

    channel: str
    owner: str
    lease: timedelta

    @property
    def accepting(self) -> bool: ...

    def take(self, items: list[OutboxItem]) -> None: ...


def waiting_clause(chat: Any, owner: Any, now: Any) -> Any:
    """Something of ``chat`` is pending that the sender ``owner`` does not hold now (queued
    unclaimed, claimed elsewhere, or postponed): messages queued for the chat must wait
    behind it."""
    return exists().where(
        O.c.chat_key == chat,
        O.c.status == PENDING,
        (O.c.claimed_by == None)  # noqa: E711
        | (O.c.claimed_by != owner)
        | (O.c.claim_until < now)
        | (O.c.not_before > now),
    )


def _clear_statement() -> Any:
    return prebuilt("chat_is_clear", lambda: select(waiting_clause(
        bindparam("b_chat", type_=O.c.chat_key.type),
        bindparam("b_owner", type_=O.c.claimed_by.type),
        bindparam("b_now", type_=O.c.not_before.type),
    )))  # fmt: skip


async def chat_is_clear(conn: AsyncConnection, chat_key: str, owner: str, now: datetime) -> bool:
    """Whether messages queued now for this chat may go to ``owner`` at once, claimed as they
    are queued: every message of the chat still pending is held by ``owner`` (in flight in
    its process, which sends them in order before these). Otherwise they wait for an
    ordinary claim, behind the chat's earlier messages."""
    params = {"b_chat": chat_key, "b_owner": owner, "b_now": now}
    return not (await conn.execute(_clear_statement(), params)).scalar()


def _claim_statement(dialect: str) -> Any:
    """The claim, built once per dialect with bound parameters (``b_channel``, ``b_now``,
    ``b_owner``, ``b_until``, ``b_limit``): building it was most of a claim's CPU, and the
    sender claims after every turn."""
    return prebuilt((dialect, "claim"), partial(_build_claim, dialect))


def _build_claim(dialect: str) -> Any:
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
    conn: AsyncConnection,
    ids: list[int],
    status: str,
    error: str | None,
    now: datetime,
    orphans: list[int] | None = None,
) -> None:
    """A row leaves the queue: its text is not kept (the wage in an estimate, for one), and a
    row of nobody (the goodbye after HAPUS) is not kept at all. ``orphans``: those of
    ``ids`` queued for nobody, when the caller knows (a row's person never changes: deleting
    the person deletes the row); None looks for them."""
    if not ids:
        return
    if orphans is None or orphans:
        await conn.execute(_built_finish("orphans"), {"b_ids": ids if orphans is None else orphans})
    if status == SENT:
        await conn.execute(_built_finish("sent"), {"b_ids": ids, "b_body": {}, "b_at": now})
        return
    values: dict[str, Any] = {
        "status": status, "body": {}, "claimed_by": None, "claim_until": None,
    }  # fmt: skip
    if error is not None:
        values["last_error"] = error[:200]
    await conn.execute(update(O).where(O.c.id.in_(ids)).values(**values))


def _built_finish(name: str) -> Any:
    """The statements of a sent mark (every turn's replies get one), built once with an
    expanding ``b_ids``: "sent" and "orphans" (the rows of nobody, deleted)."""

    def build() -> Any:
        ids = O.c.id.in_(bindparam("b_ids", expanding=True))
        if name == "sent":
            return update(O).where(ids).values(
                status=SENT, body=bindparam("b_body", type_=O.c.body.type), claimed_by=None,
                claim_until=None, sent_at=bindparam("b_at", type_=O.c.sent_at.type),
                attempts=O.c.attempts + 1,
            )  # fmt: skip
        return delete(O).where(ids, O.c.person_id == None)  # noqa: E711

    return prebuilt(("finish", name), build)


async def mark_sent(
    conn: AsyncConnection, ids: list[int], now: datetime, *, orphans: list[int] | None = None
) -> None:
    """These went out. ``orphans``: which of them were queued for nobody (they are deleted),
    when known; None looks for them."""
    await _finish(conn, ids, SENT, None, now, orphans)


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


# -- fallback to another channel (scheduler/fallback.py) ------------------------------------
async def essential_pending(
    conn: AsyncConnection,
    now: datetime,
    *,
    chat_key: str | None = None,
    channel: str | None = None,
    created_before: datetime | None = None,
    limit: int = 100,
) -> list[OutboxItem]:
    """Essential messages of a person still waiting: those of one chat (it just turned out
    unreachable: claimed rows included), or those of ``channel`` queued before
    ``created_before`` that no sender holds now (undelivered too long). Unreadable rows are
    skipped (the sender sets them aside)."""
    stmt = select(
        O.c.id, O.c.channel, O.c.chat_key, type_coerce(O.c.address, Text).label("address"),
        O.c.person_id, type_coerce(O.c.body, JSON).label("body"), O.c.attempts,
        O.c.created_at, O.c.expires_at, O.c.essential,
    ).where(O.c.status == PENDING, O.c.essential.is_(True), O.c.person_id != None)  # noqa: E711  # fmt: skip
    if chat_key is not None:
        stmt = stmt.where(O.c.chat_key == chat_key)
    if channel is not None:
        stmt = stmt.where(O.c.channel == channel)
    if created_before is not None:
        stmt = stmt.where(
            O.c.created_at <= created_before,
            (O.c.claim_until == None) | (O.c.claim_until < now),  # noqa: E711
        )
    items: list[OutboxItem] = []
    cipher = crypto.current()
    for row in await conn.execute(stmt.order_by(O.c.id).limit(limit)):
        try:
            body = row.body if isinstance(row.body, dict) else json.loads(row.body)
            message = OutboundMessage.from_body(cipher.open(body))
            address = cipher.open_text(row.address)
        except Exception:
            continue
        items.append(
            OutboxItem(row.id, row.channel, row.chat_key, address, row.person_id, message,
                       row.attempts, row.created_at, row.expires_at, row.essential)
        )  # fmt: skip
    return items


async def hand_over(
    conn: AsyncConnection, item_id: int, now: datetime, note: str, *, held: bool = False
) -> bool:
    """Take a pending row out of its channel's queue because another channel carries it
    (status ``fallback``): from then on its own channel never sends it, so it never arrives
    twice. Without ``held`` a row a sender holds now is left alone (False): that send may
    still succeed. ``held``: the caller is that sender."""
    stmt = update(O).where(O.c.id == item_id, O.c.status == PENDING)
    if not held:
        stmt = stmt.where((O.c.claim_until == None) | (O.c.claim_until < now))  # noqa: E711
    values: dict[str, Any] = {
        "status": FALLBACK, "body": {}, "claimed_by": None, "claim_until": None,
        "last_error": note[:200],
    }  # fmt: skip
    result = await conn.execute(stmt.values(**values))
    return bool(result.rowcount)
