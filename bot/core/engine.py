"""The engine: lock the conversation, drop redeliveries, load state, route, apply effects,
save state and queue replies in the outbox — all in one transaction per event.

Channels call :meth:`Engine.handle` with an :class:`InboundEvent`; a sender drains the outbox
(:mod:`scheduler.outbox`). Nothing here knows a channel's API.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.conversation import ConversationState, Outcome, Router, UserFlags
from bot.core.domain import PLAIN_CHANNELS, Domain
from bot.core.types import (
    Context,
    DeclineConsent,
    DeleteMyData,
    Effect,
    EventKind,
    GrantConsent,
    InboundEvent,
    Input,
    OutboundMessage,
    RequestHuman,
    SetOptOut,
    say,
)
from bot.storage.repo import OutboxRepo, UserRecord, UserRepo
from nlu.interpreter import MAX_INPUT, Interpreter, normalise

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


def system_clock() -> datetime:
    return datetime.now(UTC)


class KeyedLocks:
    """One asyncio lock per conversation, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


@dataclass
class Engine:
    sessions: async_sessionmaker[AsyncSession]
    router: Router
    domain: Domain
    interpreter: Interpreter
    timezone: ZoneInfo
    clock: Clock = system_clock
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    on_queued: Callable[[str], None] | None = None  # told the channel after messages are queued

    async def handle(self, event: InboundEvent) -> int:
        """Process one event; returns how many messages were queued (0 for a redelivery)."""
        async with self.locks.hold(f"{event.channel}:{event.sender_id}"):
            try:
                queued = await self._process(event)
            except Exception:
                log.exception("failed to process an event from %s", event.channel)
                queued = await self._apologise(event)
        if queued and self.on_queued:
            self.on_queued(event.channel)
        return queued

    async def _process(self, event: InboundEvent) -> int:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            users = UserRepo(session)
            if event.event_id and not await users.mark_processed(
                event.channel, event.event_id, now
            ):
                log.info("dropped a redelivered event %s:%s", event.channel, event.event_id)
                return 0
            user = await users.lock_or_create(event.channel, event.sender_id, now)
            state = ConversationState.from_json(await users.load_state(user.id))
            inp = self.understand(event, state)
            ctx = Context(now.astimezone(self.timezone), state.dialogs)
            outcome = self.router.route(ctx, state, UserFlags(user.consent, user.opted_out), inp)
            deleted = await self._apply(users, user, outcome.effects, now)
            if not deleted:
                outcome.state.pending = self._choices(outcome, event.channel)
                await users.save_state(user.id, outcome.state.to_json(), now)
            await self._enqueue(
                OutboxRepo(session), event, None if deleted else user.id, outcome.messages, now
            )
            return len(outcome.messages)

    async def _apologise(self, event: InboundEvent) -> int:
        """Never silence: if processing failed, at least say so (in a fresh transaction)."""
        try:
            async with self.sessions() as session, session.begin():
                user = await UserRepo(session).get(event.channel, event.sender_id)
                await self._enqueue(
                    OutboxRepo(session), event, user.id if user else None,
                    (say("utter_error"),), self.clock(),
                )  # fmt: skip
            return 1
        except Exception:
            log.exception("could not even queue the apology")
            return 0

    async def _enqueue(
        self,
        outbox: OutboxRepo,
        event: InboundEvent,
        user_id: int | None,
        messages: Iterable[OutboundMessage],
        now: datetime,
    ) -> None:
        for message in messages:
            await outbox.enqueue(
                channel=event.channel, address=event.sender_id, user_id=user_id,
                body={"parts": message.to_json()}, now=now,
            )  # fmt: skip

    async def _apply(
        self, users: UserRepo, user: UserRecord, effects: Iterable[Effect], now: datetime
    ) -> bool:
        """Carry out the dialogs' effects; True when the user's data was deleted."""
        for effect in effects:
            if isinstance(effect, GrantConsent):
                await users.record_consent(user.id, "granted", effect.version, now)
            elif isinstance(effect, DeclineConsent):
                await users.record_consent(user.id, "declined", effect.version, now)
            elif isinstance(effect, RequestHuman):
                await users.open_handoff(user.id, effect.reason, now)
            elif isinstance(effect, SetOptOut):
                await users.set_opted_out(user.id, effect.opted_out)
            elif isinstance(effect, DeleteMyData):
                await users.delete_user(user.id)
                return True
        return False

    def _choices(self, outcome: Outcome, channel: str) -> list[list[str]]:
        """The buttons of the last message, remembered to read "2" or a typed title."""
        if not outcome.messages:
            return []
        rendered = self.domain.render(outcome.messages[-1], channel)
        return [[b.payload, b.title] for b in rendered.buttons]

    def understand(self, event: InboundEvent, state: ConversationState) -> Input:
        """Turn the event into what a dialog sees: a choice, an intent, or plain text."""
        if event.kind is EventKind.START:
            return Input(intent="start")
        if event.kind is EventKind.MEDIA:
            return Input(media=event.media or "other", attachment=event.attachment)
        if event.kind is EventKind.CHOICE:
            if event.payload.startswith("/"):
                return Input(intent=event.payload[1:])
            return Input(choice=event.payload)
        text = event.text.strip()[:MAX_INPUT]
        if not text:
            return Input()
        if event.channel in PLAIN_CHANNELS and state.pending and (m := _NUMBER.match(text)):
            index = int(m.group(1))
            if 1 <= index <= len(state.pending):
                return self._payload_input(state.pending[index - 1][0])
        typed = normalise(text)
        for payload, title in state.pending:
            if typed and typed == normalise(title):
                return self._payload_input(payload)
        return Input(text=text, intent=self.interpreter.intent(text))

    @staticmethod
    def _payload_input(payload: str) -> Input:
        if payload.startswith("/"):
            return Input(intent=payload[1:])
        return Input(choice=payload)
