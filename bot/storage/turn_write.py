"""PostgreSQL: a turn's whole write as one statement, in autocommit (issue 15).

Most turns write the same things: the event id recorded as handled, the person's version
claimed (and the time they wrote), the conversation state, the replies queued (claimed for
this process's sender when nothing of the chat waits elsewhere), and once a minute the
identity's inbound time. :func:`write_turn` does all of it as one statement of
data-modifying CTEs, with no ``BEGIN`` and no ``COMMIT``: one round trip to the server
instead of four. A statement is atomic by itself, and each write is gated on the one before
it through its ``RETURNING`` rows, so nothing is written unless the version was claimed and
the event is new:

- ``claimed``: the version bump, only if the version is still the snapshot's;
- ``fresh``: the event id, only if claimed (a stale turn records nothing; computed again, it
  still finds the event new);
- ``saved``, ``queued``, ``touched``: only if fresh (or claimed, with no event id).

A redelivered event that raced past the snapshot's check bumps the version and writes
nothing else (the turn is dropped as a duplicate; another turn of the person in flight then
computes again). Turns with effects, with questions answered on the connection, or without a
running sender take the transaction (``Database.begin_writes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import (
    Integer,
    bindparam,
    case,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.types import OutboundMessage
from bot.storage import outbox
from bot.storage.models import Conversation, Identity, OutboxMessage, Person, ProcessedEvent, table
from bot.storage.prebuilt import prebuilt

P, I, C = table(Person), table(Identity), table(Conversation)  # noqa: E741
E, O = table(ProcessedEvent), table(OutboxMessage)  # noqa: E741


@dataclass(frozen=True)
class Written:
    """What :func:`write_turn` did: ``claimed`` False (another turn wrote since the
    snapshot: compute again) or ``fresh`` False (the event was handled already) mean nothing
    but the version bump was written; ``ids`` are the queued replies, in order, and
    ``handed`` whether they were claimed for the sender."""

    claimed: bool
    fresh: bool
    ids: list[int]
    handed: bool


async def write_turn(
    conn: AsyncConnection,
    *,
    person_id: int,
    expected: int,
    now: datetime,
    event: tuple[str, str] | None,
    identity_id: int,
    state: dict[str, Any],
    touch: bool,
    channel: str,
    chat_key: str,
    address: str,
    messages: list[OutboundMessage],
    expires_at: datetime,
    owner: str,
    claim_until: datetime,
) -> Written:
    """The turn's writes in one statement (see the module); ``conn`` in autocommit."""
    params: dict[str, Any] = {
        "t_person": person_id, "t_version": expected, "t_at": now, "t_identity": identity_id,
        "t_state": state, "t_channel": channel, "t_chat": chat_key, "t_address": address,
        "t_expires": expires_at, "t_owner": owner, "t_until": claim_until,
    }  # fmt: skip
    if event is not None:
        params["t_event_channel"], params["t_event"] = event
    for i, message in enumerate(messages):
        params[f"t_body_{i}"] = message.to_body()
    shape = (event is not None, touch, len(messages))
    stmt = prebuilt(("postgresql", "write_turn", *shape), partial(_build, *shape))
    row = (await conn.execute(stmt, params)).one()
    ids = sorted(row.ids or [])
    handed = bool(ids) and bool(row.handed)
    if ids and not handed:
        outbox.note_unclaimed(channel)
    return Written(bool(row.claimed), bool(row.fresh), ids, handed)


def _build(event: bool, touch: bool, count: int) -> Any:
    at = bindparam("t_at", type_=P.c.last_seen_at.type)
    person = bindparam("t_person", type_=P.c.id.type)
    claimed = (
        update(P)
        .where(P.c.id == person, P.c.version == bindparam("t_version", type_=P.c.version.type))
        .values(version=P.c.version + 1, last_seen_at=at)
        .returning(P.c.id)
        .cte("claimed")
    )
    gate = claimed
    columns = [_count(claimed).label("claimed")]
    if event:
        fresh = (
            pg_insert(E)
            .from_select(
                ["channel", "event_id", "at"],
                select(
                    bindparam("t_event_channel", type_=E.c.channel.type),
                    bindparam("t_event", type_=E.c.event_id.type),
                    bindparam("t_at", type_=E.c.at.type),
                ).where(exists().select_from(claimed)),
            )
            .on_conflict_do_nothing()
            .returning(E.c.event_id)
            .cte("fresh")
        )
        gate = fresh
        columns.append(_count(fresh).label("fresh"))
    else:
        columns.append(literal(1).label("fresh"))
    passed = exists().select_from(gate)
    saving = pg_insert(C).from_select(
        ["identity_id", "person_id", "state", "updated_at"],
        select(
            bindparam("t_identity", type_=C.c.identity_id.type),
            bindparam("t_person", type_=C.c.person_id.type),
            bindparam("t_state", type_=C.c.state.type),
            bindparam("t_at", type_=C.c.updated_at.type),
        ).where(passed),
    )
    saved = (
        saving.on_conflict_do_update(
            index_elements=[C.c.identity_id],
            set_={"state": saving.excluded.state, "updated_at": saving.excluded.updated_at},
        )
        .returning(C.c.identity_id)
        .cte("saved")
    )
    columns.append(_count(saved).label("saved"))
    if touch:
        touched = (
            update(I)
            .where(I.c.id == bindparam("t_identity", type_=I.c.id.type), passed)
            .values(
                blocked=False, last_inbound_at=bindparam("t_at", type_=I.c.last_inbound_at.type)
            )
            .returning(I.c.id)
            .cte("touched")
        )
        columns.append(_count(touched).label("touched"))
    if count:
        queued = _queue(count, passed).cte("queued")
        columns.append(select(func.array_agg(queued.c.id)).scalar_subquery().label("ids"))
        handed = exists().where(queued.c.claimed_by != None)  # noqa: E711
        columns.append(select(handed).scalar_subquery().label("handed"))
    else:
        columns += [null().label("ids"), literal(False).label("handed")]
    return select(*columns)


def _queue(count: int, passed: Any) -> Any:
    """The replies, in order (ids follow ``n``), claimed for the sender unless something of
    the chat waits that it does not hold (:func:`bot.storage.outbox.waiting_clause`)."""
    chat = bindparam("t_chat", type_=O.c.chat_key.type)
    owner = bindparam("t_owner", type_=O.c.claimed_by.type)
    now = bindparam("t_at", type_=O.c.created_at.type)
    each = [
        select(literal(i, type_=Integer).label("n"),
               bindparam(f"t_body_{i}", type_=O.c.body.type).label("body"))
        for i in range(count)
    ]  # fmt: skip
    bodies = (union_all(*each) if count > 1 else each[0]).subquery("bodies")
    waiting = outbox.waiting_clause(chat, owner, now)
    rows = (
        select(
            bindparam("t_channel", type_=O.c.channel.type),
            chat,
            bindparam("t_address", type_=O.c.address.type),
            bindparam("t_person", type_=O.c.person_id.type),
            bodies.c.body,
            literal(False, type_=O.c.essential.type),
            now,
            bindparam("t_expires", type_=O.c.expires_at.type),
            now,
            literal(outbox.PENDING, type_=O.c.status.type),
            literal(0, type_=O.c.attempts.type),
            case((waiting, null()), else_=owner),
            case((waiting, null()), else_=bindparam("t_until", type_=O.c.claim_until.type)),
        )
        .where(passed)
        .order_by(bodies.c.n)
    )
    columns = [
        "channel", "chat_key", "address", "person_id", "body", "essential", "not_before",
        "expires_at", "created_at", "status", "attempts", "claimed_by", "claim_until",
    ]  # fmt: skip
    return pg_insert(O).from_select(columns, rows).returning(O.c.id, O.c.claimed_by)


def _count(cte: Any) -> Any:
    return select(func.count()).select_from(cte).scalar_subquery()
