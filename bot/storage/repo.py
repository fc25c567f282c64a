"""Data access: one object per concern, on one session, returning plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import (
    ConsentEvent,
    Conversation,
    HandoffRequest,
    OutboxMessage,
    ProcessedEvent,
    User,
)

NO_SYNC = {"synchronize_session": False}  # bulk UPDATEs: no in-session objects to refresh


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


@dataclass(frozen=True)
class UserRecord:
    id: int
    channel: str
    address: str
    consent: str
    opted_out: bool
    blocked: bool


@dataclass(frozen=True)
class OutboxItem:
    id: int
    channel: str
    address: str
    user_id: int | None
    body: dict[str, Any]
    attempts: int


def _user(row: User) -> UserRecord:
    return UserRecord(row.id, row.channel, row.address, row.consent, row.opted_out, row.blocked)


class UserRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session
        self._conversation: Conversation | None = None  # loaded once, saved without a re-read

    async def mark_processed(self, channel: str, event_id: str, now: datetime) -> bool:
        """Record an inbound event; False when it was already recorded (a redelivery)."""
        stmt = _insert(self.s, ProcessedEvent).values(channel=channel, event_id=event_id, at=now)
        result = await self.s.execute(stmt.on_conflict_do_nothing())
        return bool(getattr(result, "rowcount", 0))

    async def lock_or_create(self, channel: str, address: str, now: datetime) -> UserRecord:
        """The user's row, created on first contact and locked for this transaction."""
        values = {
            "channel": channel, "address": address, "created_at": now, "last_seen_at": now,
            "consent": "none", "opted_out": False, "blocked": False,
        }  # fmt: skip
        await self.s.execute(_insert(self.s, User).values(**values).on_conflict_do_nothing())
        row = (
            await self.s.execute(
                select(User)
                .where(User.channel == channel, User.address == address)
                .with_for_update()
            )
        ).scalar_one()
        row.last_seen_at = now
        row.blocked = False  # they wrote to us, so they can receive again
        return _user(row)

    async def get(self, channel: str, address: str) -> UserRecord | None:
        row = (
            await self.s.execute(
                select(User).where(User.channel == channel, User.address == address)
            )
        ).scalar_one_or_none()
        return _user(row) if row else None

    async def load_state(self, user_id: int) -> dict[str, Any] | None:
        row = await self.s.get(Conversation, user_id)
        self._conversation = row
        return dict(row.state) if row else None

    async def save_state(self, user_id: int, state: dict[str, Any], now: datetime) -> None:
        row = self._conversation
        if row is None or row.user_id != user_id:
            row = await self.s.get(Conversation, user_id)
        if row is None:
            self.s.add(Conversation(user_id=user_id, state=state, updated_at=now))
        else:
            row.state = state
            row.updated_at = now

    async def record_consent(self, user_id: int, action: str, version: str, now: datetime) -> None:
        await self.s.execute(
            update(User)
            .where(User.id == user_id)
            .values(consent=action, consent_version=version, consent_at=now),
            execution_options=NO_SYNC,
        )
        self.s.add(ConsentEvent(user_id=user_id, action=action, notice_version=version, at=now))

    async def set_opted_out(self, user_id: int, opted_out: bool) -> None:
        await self.s.execute(
            update(User).where(User.id == user_id).values(opted_out=opted_out),
            execution_options=NO_SYNC,
        )

    async def mark_blocked(self, channel: str, address: str) -> None:
        await self.s.execute(
            update(User)
            .where(User.channel == channel, User.address == address)
            .values(blocked=True),
            execution_options=NO_SYNC,
        )

    async def open_handoff(self, user_id: int, context: str, now: datetime) -> bool:
        """Queue a request to talk to a person; False if one is already open."""
        existing = await self.s.scalar(
            select(func.count())
            .select_from(HandoffRequest)
            .where(HandoffRequest.user_id == user_id, HandoffRequest.status == "open")
        )
        if existing:
            return False
        self.s.add(HandoffRequest(user_id=user_id, context=context, created_at=now, status="open"))
        return True

    async def open_handoffs(self) -> list[tuple[int, str]]:
        rows = await self.s.execute(
            select(HandoffRequest.user_id, HandoffRequest.context)
            .where(HandoffRequest.status == "open")
            .order_by(HandoffRequest.id)
        )
        return [(r[0], r[1]) for r in rows]

    async def delete_user(self, user_id: int) -> None:
        """Erase the user and everything hanging off them (cascades), pending messages too."""
        await self.s.execute(delete(OutboxMessage).where(OutboxMessage.user_id == user_id))
        await self.s.execute(delete(Conversation).where(Conversation.user_id == user_id))
        await self.s.execute(delete(ConsentEvent).where(ConsentEvent.user_id == user_id))
        await self.s.execute(delete(HandoffRequest).where(HandoffRequest.user_id == user_id))
        await self.s.execute(delete(User).where(User.id == user_id))

    async def purge_inactive(self, now: datetime, retention_days: int) -> int:
        """Delete users silent for longer than the retention period (UU 27/2022 Pasal 43)."""
        cutoff = now - timedelta(days=retention_days)
        ids = list(await self.s.scalars(select(User.id).where(User.last_seen_at < cutoff)))
        for user_id in ids:
            await self.delete_user(user_id)
        await self.s.execute(
            delete(ProcessedEvent).where(ProcessedEvent.at < now - timedelta(days=7))
        )
        await self.s.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status != "pending",
                OutboxMessage.created_at < now - timedelta(days=7),
            )
        )
        return len(ids)


class OutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def enqueue(
        self,
        *,
        channel: str,
        address: str,
        user_id: int | None,
        body: dict[str, Any],
        now: datetime,
        idempotency_key: str | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue one message; with a key already queued, nothing happens (returns False)."""
        stmt = _insert(self.s, OutboxMessage).values(
            channel=channel, address=address, user_id=user_id, body=body,
            idempotency_key=idempotency_key, status="pending", attempts=0,
            not_before=not_before or now, created_at=now,
        )  # fmt: skip
        result = await self.s.execute(stmt.on_conflict_do_nothing())
        return bool(getattr(result, "rowcount", 0))

    async def due(self, channel: str, now: datetime, limit: int = 50) -> list[OutboxItem]:
        """Pending messages due now, oldest first; a chat with a postponed message waits whole,
        so its messages keep their order."""
        waiting = select(OutboxMessage.address).where(
            OutboxMessage.channel == channel,
            OutboxMessage.status == "pending",
            OutboxMessage.not_before > now,
        )
        rows = await self.s.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status == "pending",
                OutboxMessage.not_before <= now,
                OutboxMessage.address.not_in(waiting),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        return [
            OutboxItem(r.id, r.channel, r.address, r.user_id, dict(r.body), r.attempts)
            for r in rows
        ]

    async def mark_sent(self, item_id: int, now: datetime) -> None:
        await self.s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == item_id)
            # The text is not kept once sent (the wage in an estimate, for one).
            .values(status="sent", sent_at=now, attempts=OutboxMessage.attempts + 1, body={}),
            execution_options=NO_SYNC,
        )

    async def postpone(self, item_id: int, until: datetime, error: str, *, give_up: bool) -> None:
        await self.s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == item_id)
            .values(
                **({"body": {}} if give_up else {}),
                status="dropped" if give_up else "pending",
                not_before=until,
                attempts=OutboxMessage.attempts + 1,
                last_error=error[:200],
            ),
            execution_options=NO_SYNC,
        )

    async def drop_pending(self, channel: str, address: str, error: str) -> None:
        await self.s.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.address == address,
                OutboxMessage.status == "pending",
            )
            .values(status="dropped", last_error=error[:200], body={}),
            execution_options=NO_SYNC,
        )

    async def pending_count(self, channel: str) -> int:
        count = await self.s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.channel == channel, OutboxMessage.status == "pending")
        )
        return int(count or 0)


async def reencrypt_all(session: AsyncSession, batch: int = 500) -> int:
    """Rewrite every encrypted row with the first key (after a key rotation)."""
    from sqlalchemy.orm.attributes import flag_modified

    count = 0
    pages = (
        (Conversation, "state", select(Conversation).order_by(Conversation.user_id)),
        (OutboxMessage, "body", select(OutboxMessage).order_by(OutboxMessage.id)),
    )
    for _model, column, query in pages:
        offset = 0
        while rows := list(await session.scalars(query.offset(offset).limit(batch))):
            for row in rows:
                flag_modified(row, column)
            await session.flush()
            count += len(rows)
            offset += batch
    return count
