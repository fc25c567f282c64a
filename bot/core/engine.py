"""The engine: one door for every event, whether a person wrote or something happened to them.

A turn is one transaction (``Database.turn``: no lock is held until it writes; on SQLite it
waits its turn among this process's writers):
1. **Read**: a redelivered event stops here; the identity's snapshot — its person, the
   person's version, the conversation state.
2. **Route** (pure): understand the input, let the router decide; when a dialog asks for
   something (``Context.ask``), answer it on the same connection and route again with the
   answer (a slow query, ``Query.slow``, is answered before the transaction).
3. **Write**: record the event id (a redelivery racing this turn stops here), bump the
   person's version if it is still the snapshot's (else another process wrote meanwhile:
   roll back and compute the turn again), apply the effects, save the state, queue the
   replies in the outbox.

Events of one conversation are processed one at a time in a process (a lock per identity);
across processes the version check keeps every answer. A database that cannot be reached
raises :class:`StorageUnavailable` so the channel leaves the update unconfirmed, and it is
delivered again (dedupe makes that safe). Any other failure is logged and apologised for.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.conversation import ConversationState, Outcome, Router, UserFlags
from bot.core.domain import PLAIN_CHANNELS, Domain
from bot.core.keywords import keyword_intent
from bot.core.paging import Pager, asks_more, held_messages
from bot.core.services import Scope, Services
from bot.core.types import (
    CONFIRM,
    Context,
    DeclineConsent,
    DeleteMyData,
    Effect,
    EventKind,
    GrantConsent,
    InboundEvent,
    Input,
    NeedAnswers,
    OutboundMessage,
    PersonFacts,
    Query,
    RequestHuman,
    SetOptOut,
    SystemEvent,
    say,
)
from bot.storage import outbox, people, turn_write
from bot.storage.crypto import address_hash
from bot.storage.db import Database, StorageUnavailable, WriteConflict
from nlu.interpreter import Interpreter, normalise

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
MAX_TEXT = 4096  # Telegram's own limit; longer text is cut at the edge, then judged by length
SYSTEM_CHANNEL = "system"  # processed_events namespace of system-event keys
MAX_ROUNDS = 8  # ask-and-answer rounds in one turn
MAX_ATTEMPTS = 5  # turns computed again after a concurrent write
Answers = dict[Query[Any], Any]


def system_clock() -> datetime:
    return datetime.now(UTC)


def clean_text(text: str) -> str:
    """What a person typed, without control characters (ESC, BEL, NUL... would be echoed raw
    by DATA and clear a terminal); line breaks and tabs become spaces."""
    text = text[:MAX_TEXT]
    if text.isprintable():
        return text
    return "".join(
        " " if ch in "\t\n\r\v\f" else ch
        for ch in text
        if ch in "\t\n\r\v\f" or unicodedata.category(ch)[0] != "C"
    )


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


class _Retry(Exception):
    """Another process wrote to this person since the snapshot: compute the turn again."""


class _Duplicate(Exception):
    """The event was recorded meanwhile (a redelivery racing the original)."""


class _Skip(Exception):
    """Nothing to do after all (no consent, opted out, gone): the transaction rolls back."""


class _Slow(Exception):
    """The turn asks slow queries (``Query.slow``): answer them outside the transaction."""

    def __init__(self, scope: Scope, queries: list[Query[Any]]) -> None:
        super().__init__(", ".join(type(q).__name__ for q in queries))
        self.scope, self.queries = scope, queries


class _Legacy(Exception):
    """The stored conversation has an older shape: upgrade it, then compute the turn."""

    def __init__(
        self, snap: people.Snapshot | None, state: ConversationState, effects: list[Effect]
    ) -> None:
        super().__init__("a conversation in an older shape")
        self.snap, self.state, self.effects = snap, state, effects


_Done = tuple[int, Scope]  # a committed turn: how many messages it queued, its scope


@dataclass(frozen=True)
class _Target:
    """Where a turn's replies go."""

    channel: str
    address: str


@dataclass
class Engine:
    db: Database
    router: Router
    domain: Domain
    interpreter: Interpreter
    timezone: ZoneInfo
    services: Services
    clock: Clock = system_clock
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    on_queued: Callable[[str], None] | None = None  # told a channel after messages are queued
    message_ttl: timedelta = timedelta(hours=24)  # how long a reply is worth sending
    # Channels that page a turn's reply (SMS: bot/core/paging.py), set by their runtime.
    pagers: dict[str, Pager] = field(default_factory=dict)
    # This process's senders by channel, set by the runtimes: a turn hands its replies to
    # them already claimed (``_enqueue``).
    senders: dict[str, outbox.Taker] = field(default_factory=dict)

    def __post_init__(self) -> None:
        core = self.services
        core.on_effect(GrantConsent)(self._grant)
        core.on_effect(DeclineConsent)(self._decline)
        core.on_effect(SetOptOut)(self._opt_out)
        core.on_effect(RequestHuman)(self._human)

    # -- user events ------------------------------------------------------------------
    async def handle(self, event: InboundEvent) -> int:
        """Process one event; returns how many messages were queued (0 for a redelivery).
        Raises :class:`StorageUnavailable` when the database cannot be reached: the event
        was not processed and should be delivered again."""
        with outbox.collect_unclaimed() as unclaimed:
            async with self.locks.hold(f"{event.channel}:{event.sender_id}"):
                try:
                    queued = await self._user_turn(event)
                except StorageUnavailable:
                    raise
                except Exception:
                    log.exception("failed to process an event from %s", event.channel)
                    queued = await self._apologise(event)
        self._wake(unclaimed)
        return queued

    async def _user_turn(self, event: InboundEvent) -> int:
        """One transaction: a redelivered event stops at once, the snapshot read, the turn
        routed (its questions answered on the same connection), the event id, the state and
        the replies written."""
        target = _Target(event.channel, event.sender_id)
        key = (event.channel, event.event_id) if event.event_id else None

        async def body(conn: AsyncConnection, now: datetime, answers: Answers) -> _Done:
            sender = self.senders.get(event.channel)
            owner = sender.owner if sender is not None else ""
            snap = await people.turn_snapshot(
                conn, event.channel, event.sender_id, key[1] if key else None, owner, now
            )
            if snap is None:  # no identity (first contact, or a redelivery after HAPUS)
                processed = key is not None and await people.is_processed(conn, *key)
            else:
                processed = snap.processed
            if processed:
                raise _Duplicate  # (nothing computed for it; the write checks again)
            state, legacy = self._state(snap)
            if legacy:
                raise _Legacy(snap, state, legacy)
            scope = _scope(snap, event.channel, now)
            outcome = await self._user_outcome(conn, event, snap, scope, state, now, answers)
            queued = await self._write(
                conn, snap, scope, target, now, outcome, event_key=key, inbound=True
            )
            return queued, scope

        return await self._transact(body, key)

    async def _transact(
        self,
        body: Callable[[AsyncConnection, datetime, Answers], Awaitable[_Done]],
        key: tuple[str, str] | None,
    ) -> int:
        """Run a turn's ``body`` in one transaction (``Database.turn``) until it commits;
        returns how many messages it queued. Another process writing to the person meanwhile
        (:class:`_Retry`, :class:`WriteConflict`) rolls it back and the turn is computed
        again; slow queries and an old conversation shape are dealt with outside it first.
        An event already handled (:class:`_Duplicate`) or with nothing to do
        (:class:`_Skip`) queues nothing."""
        answers: Answers = {}  # slow queries, answered outside the transaction
        exclusive = False  # after a conflict on SQLite: hold the write lock from the start
        for _ in range(MAX_ATTEMPTS):
            now = self.clock()
            try:
                async with self.db.turn(exclusive=exclusive) as conn:
                    queued, scope = await body(conn, now, answers)
            except _Retry:
                continue
            except WriteConflict:
                exclusive = True
                continue
            except _Duplicate:
                log.info("dropped an event already handled %s:%s", *(key or ("", "")))
                return 0
            except _Skip:
                return 0
            except _Legacy as old:
                await self._upgrade(old.snap, old.state, old.effects, now)
                continue
            except _Slow as slow:
                await self._answer_slow(slow, answers)
                continue
            await self._after_commit(scope)
            return queued
        raise StorageUnavailable(f"gave up after {MAX_ATTEMPTS} concurrent writes")

    async def _user_outcome(
        self,
        conn: AsyncConnection,
        event: InboundEvent,
        snap: people.Snapshot | None,
        scope: Scope,
        state: ConversationState,
        now: datetime,
        answers: Answers,
    ) -> Outcome:
        """What the turn answers: the next page of what was held (LAGI on a paged channel),
        else the router's outcome (paged when the channel pages)."""
        pager = self.pagers.get(event.channel)
        if pager and state.more and event.kind is EventKind.TEXT and asks_more(event.text):
            messages, state.more = pager.page(held_messages(state.more))
            return Outcome(state, messages)  # LAGI: the next page of what was held
        state.more = []  # anything else: they moved on
        inp = self.understand(event, state, now.astimezone(self._zone(snap)).date())
        outcome = await self._route(
            conn, scope, snap, now, state,
            partial(self.router.route, state=state, flags=_flags(snap), inp=inp), answers,
        )  # fmt: skip
        if pager:
            messages, outcome.state.more = pager.page(outcome.messages)
            outcome = replace(outcome, messages=messages)
        return outcome

    # -- system events ----------------------------------------------------------------
    async def handle_system(self, event: SystemEvent) -> int:
        """Process an event that does not come from the person (see :class:`SystemEvent`);
        returns how many messages were queued (0: already done, no consent, opted out, or
        no identity that can receive)."""
        async with self.db.read() as conn:
            if event.key and await people.is_processed(conn, SYSTEM_CHANNEL, event.key):
                return 0
            targets = await people.addresses(conn, event.person_id)
        linked = any(_fallback_only(t) and not t.blocked for t in targets)
        if not event.channel:
            # A number linked for the fallback that never wrote is reached only through the
            # fallback (essential messages, within the SMS budget: scheduler/fallback.py).
            targets = [t for t in targets if not _fallback_only(t)]
        usable = [t for t in targets if not t.blocked]
        if not usable and linked and event.essential and not event.channel:
            # Every chat is blocked: queue it there anyway; if still blocked, the sender's
            # 403 hands it to the linked number (and if unblocked meanwhile, it arrives).
            usable = list(targets)
        if event.channel:
            usable = [t for t in usable if t.channel == event.channel]
        if not usable:
            log.info("system event %s for person %s: no identity to deliver to", event.kind,
                     event.person_id)  # fmt: skip
            return 0
        chosen = usable[0]
        with outbox.collect_unclaimed() as unclaimed:
            async with self.locks.hold(f"{chosen.channel}:{chosen.address}"):
                queued = await self._system_turn(event, chosen.identity_id, chosen.channel,
                                                 chosen.address)  # fmt: skip
        self._wake(unclaimed)
        return queued

    def attach_sender(self, sender: outbox.Taker) -> None:
        """A sender of this process: turns hand it their replies on its channel."""
        self.senders[sender.channel] = sender

    def _wake(self, channels: set[str]) -> None:
        """Wake the senders of channels that got messages no sender was handed."""
        if self.on_queued is not None:
            for channel in sorted(channels):
                self.on_queued(channel)

    async def _system_turn(
        self, event: SystemEvent, identity_id: int, channel: str, address: str
    ) -> int:
        target = _Target(channel, address)
        key = (SYSTEM_CHANNEL, event.key) if event.key else None

        async def body(conn: AsyncConnection, now: datetime, answers: Answers) -> _Done:
            snap = await people.snapshot_of(conn, identity_id)
            if snap is None:
                raise _Skip
            person = snap.person
            if person.consent != "granted" or (person.opted_out and not event.essential):
                raise _Skip
            state, legacy = self._state(snap)
            if legacy:
                raise _Legacy(snap, state, legacy)
            scope = _scope(snap, channel, now)
            outcome = await self._route(
                conn, scope, snap, now, state,
                partial(self.router.route_system, state=state, flags=_flags(snap), event=event),
                answers,
            )  # fmt: skip
            queued = await self._write(
                conn, snap, scope, target, now, outcome, event_key=key, inbound=False,
                essential=event.essential, idempotency=event.key,
            )  # fmt: skip
            return queued, scope

        return await self._transact(body, key)

    # -- the three steps ----------------------------------------------------------------
    def _zone(self, snap: people.Snapshot | None) -> ZoneInfo:
        """The person's time zone (their "today"), else the deployment's."""
        person = snap.person if snap else None
        return ZoneInfo(person.tz) if person and person.tz else self.timezone

    def _state(self, snap: people.Snapshot | None) -> tuple[ConversationState, list[Effect]]:
        from bot.records.legacy import upgrade_state

        stored, legacy = upgrade_state(snap.state if snap else None)
        return ConversationState.from_json(stored), legacy

    async def _upgrade(
        self,
        snap: people.Snapshot | None,
        state: ConversationState,
        legacy: Sequence[Effect],
        now: datetime,
    ) -> None:
        """A conversation stored in an older shape: move what it held into the records and
        store it in the current shape, before any turn is computed on it."""
        assert snap is not None
        scope = _scope(snap, "", now)
        async with self.db.write() as conn:
            if not await people.claim_version(conn, snap.person.id, snap.version, now, seen=False):
                return  # someone else upgraded it meanwhile
            for effect in legacy:
                await self.services.apply(conn, scope, effect)
            await people.save_state(conn, snap.identity_id, snap.person.id, state.to_json(), now)
        log.info("upgraded a stored conversation to v%s", state.to_json()["v"])

    async def _route(
        self,
        conn: AsyncConnection,
        scope: Scope,
        snap: people.Snapshot | None,
        now: datetime,
        state: ConversationState,
        route: Callable[[Context], Outcome],
        answers: Answers,
    ) -> Outcome:
        """Run the pure router; answer what it asks and run it again. ``answers`` holds the
        slow queries answered before the transaction; a slow query not among them raises
        :class:`_Slow`."""
        person = snap.person if snap else None
        local = now.astimezone(self._zone(snap))
        answers = dict(answers)
        for _ in range(MAX_ROUNDS):
            ctx = Context(local, state.dialogs, answers, scope.channel, person)
            try:
                return route(ctx)
            except NeedAnswers as need:
                slow = [q for q in need.queries if q.slow and q not in answers]
                if slow:
                    raise _Slow(scope, slow) from None
                await self.db.begin_writes(conn)  # (an answer may write: in the transaction)
                for query in need.queries:
                    if query not in answers:
                        answers[query] = await self.services.answer(conn, scope, query)
        raise RuntimeError(f"a turn asked more than {MAX_ROUNDS} rounds of questions")

    async def _answer_slow(self, slow: _Slow, answers: Answers) -> None:
        """Answer slow queries on a read-only connection, before the turn's transaction."""
        async with self.db.read() as conn:
            for query in slow.queries:
                answers[query] = await self.services.answer(conn, slow.scope, query)

    async def _write(
        self,
        conn: AsyncConnection,
        snap: people.Snapshot | None,
        scope: Scope,
        target: _Target,
        now: datetime,
        outcome: Outcome,
        *,
        event_key: tuple[str, str] | None,
        inbound: bool,
        essential: bool = False,
        idempotency: str | None = None,
    ) -> int:
        """The turn's writes, in the turn's transaction: the event id (else
        :class:`_Duplicate`), the person's version (else :class:`_Retry`), the effects, the
        state, the replies."""
        # With no effects to apply first, the state is written with the checks (one
        # statement on PostgreSQL: people.claim_turn).
        early = None
        if snap is not None and not outcome.effects:
            outcome.state.pending = self._choices(outcome, target.channel)
            early = (snap.identity_id, outcome.state.to_json())
        sender = self.senders.get(target.channel)
        if (
            early is not None and inbound and sender is not None and sender.accepting
            and self.db.reads_at_once(conn)
        ):  # fmt: skip
            assert snap is not None
            return await self._write_at_once(
                conn, snap, scope, target, now, outcome, early, event_key, sender
            )
        await self.db.begin_writes(conn)
        if snap is None:
            if event_key and not await people.mark_processed(conn, *event_key, now):
                raise _Duplicate
            created = await people.create_identity(conn, target.channel, target.address, now)
            if created is None:
                raise _Retry
            snap = created
            if not await people.claim_version(
                conn, snap.person.id, snap.version, now, seen=inbound
            ):
                raise _Retry
        else:
            fresh, claimed = await people.claim_turn(
                conn, snap.person.id, snap.version, now, event=event_key, seen=inbound,
                state=early,
            )  # fmt: skip
            if not fresh:
                raise _Duplicate
            if not claimed:
                raise _Retry
        if inbound and people.needs_touch(snap, now):
            await people.touch_identity(conn, snap.identity_id, now)
        scope.person_id, scope.identity_id = snap.person.id, snap.identity_id
        deleted = False
        for effect in outcome.effects:
            if isinstance(effect, DeleteMyData):
                await self.delete_person(conn, scope, snap.person.id)
                deleted = True
                break
            await self.services.apply(conn, scope, effect)
        if not deleted and early is None:
            outcome.state.pending = self._choices(outcome, target.channel)
            await people.save_state(
                conn, snap.identity_id, snap.person.id, outcome.state.to_json(), now
            )
        # (the chat read clear with the snapshot, unless an effect may have queued since)
        clear = None if outcome.effects else (snap.clear_for, snap.clear)
        await self._enqueue(
            conn, target, None if deleted else snap.person.id, outcome.messages, now,
            scope=scope, essential=essential, idempotency=idempotency, clear=clear,
        )  # fmt: skip
        return len(outcome.messages)

    async def _write_at_once(
        self,
        conn: AsyncConnection,
        snap: people.Snapshot,
        scope: Scope,
        target: _Target,
        now: datetime,
        outcome: Outcome,
        state: tuple[int, dict[str, Any]],
        event_key: tuple[str, str] | None,
        sender: outbox.Taker,
    ) -> int:
        """PostgreSQL, a turn with no effects: its writes as one statement in autocommit
        (bot/storage/turn_write.py), the replies claimed for ``sender`` unless the chat
        waits elsewhere, handed over once the turn ends."""
        chat_key = address_hash(target.channel, target.address)
        expires, until = now + self.message_ttl, now + sender.lease
        written = await turn_write.write_turn(
            conn, person_id=snap.person.id, expected=snap.version, now=now, event=event_key,
            identity_id=state[0], state=state[1], touch=people.needs_touch(snap, now),
            channel=target.channel, chat_key=chat_key, address=target.address,
            messages=list(outcome.messages), expires_at=expires, owner=sender.owner,
            claim_until=until,
        )  # fmt: skip
        if not written.claimed:
            raise _Retry
        if not written.fresh:
            raise _Duplicate
        scope.person_id, scope.identity_id = snap.person.id, snap.identity_id
        if written.handed:
            handed = [
                outbox.OutboxItem(row_id, target.channel, chat_key, target.address,
                                  snap.person.id, message, 0, now, expires, False)
                for row_id, message in zip(written.ids, outcome.messages, strict=True)
            ]  # fmt: skip
            scope.after_commit.append(partial(_hand_over, sender, handed))
        return len(outcome.messages)

    @staticmethod
    async def _after_commit(scope: Scope) -> None:
        for hook in scope.after_commit:
            try:
                await hook()
            except Exception:
                log.exception("work after a turn failed")

    async def delete_person(self, conn: AsyncConnection, scope: Scope, person_id: int) -> None:
        """HAPUS and the retention purge: every feature's own cleanup, then the person and
        everything hanging off them (identities, conversations, records, messages)."""
        for cleanup in self.services.deleters:
            await cleanup(conn, scope, person_id)
        await people.delete_person(conn, person_id)

    async def _apologise(self, event: InboundEvent) -> int:
        """Never silence: if processing failed, at least say so (in a fresh transaction).
        The event is recorded as handled, so a redelivery does not fail the same way again."""
        now = self.clock()
        try:
            async with self.db.read() as conn:
                snap = await people.snapshot(conn, event.channel, event.sender_id)
            async with self.db.write() as conn:
                if event.event_id:
                    await people.mark_processed(conn, event.channel, event.event_id, now)
                await self._enqueue(
                    conn, _Target(event.channel, event.sender_id),
                    snap.person.id if snap else None, (say("utter_error"),), now,
                )  # fmt: skip
            return 1
        except StorageUnavailable:
            raise  # not handled: the channel leaves the update unconfirmed, it comes again
        except Exception:
            log.exception("could not even queue the apology")
            return 0

    async def _enqueue(
        self,
        conn: AsyncConnection,
        target: _Target,
        person_id: int | None,
        messages: Sequence[OutboundMessage],
        now: datetime,
        *,
        scope: Scope | None = None,
        essential: bool = False,
        idempotency: str | None = None,
        clear: tuple[str | None, bool] | None = None,
    ) -> None:
        """Queue the replies. With a sender of this process for the channel that may send
        them now (nothing of the chat waits elsewhere), they are queued claimed for it and
        handed over once committed: no claim transaction, no wake. Otherwise :meth:`handle`
        wakes the channel's senders once committed (``outbox.collect_unclaimed``).
        ``clear``: (sender, whether the chat was clear for it), when the turn already read
        it in this transaction and it still holds (:func:`people.turn_snapshot`)."""
        if not messages:
            return
        chat_key = address_hash(target.channel, target.address)
        sender = self.senders.get(target.channel) if scope is not None else None
        owner, until = None, None
        ask = False  # PostgreSQL: the first message's insert asks (outbox.enqueue_if_clear)
        if sender is not None and sender.accepting:
            if clear is not None and clear[0] == sender.owner:
                if clear[1]:
                    owner, until = sender.owner, now + sender.lease
            elif conn.dialect.name == "postgresql":
                ask = True
            elif await outbox.chat_is_clear(conn, chat_key, sender.owner, now):
                owner, until = sender.owner, now + sender.lease
        expires = now + self.message_ttl
        handed: list[outbox.OutboxItem] = []
        for i, message in enumerate(messages):
            key = f"{idempotency}:{i}" if idempotency else None
            if ask and sender is not None:
                until = now + sender.lease
                row_id, claimed = await outbox.enqueue_if_clear(
                    conn, channel=target.channel, chat_key=chat_key, address=target.address,
                    person_id=person_id, message=message, now=now, expires_at=expires,
                    essential=essential, owner=sender.owner, claim_until=until,
                    idempotency_key=key,
                )  # fmt: skip
                owner, until = (sender.owner, until) if claimed else (None, None)
                ask = False  # (the chat's later messages follow the first's answer)
            else:
                row_id = await outbox.enqueue(
                    conn, channel=target.channel, chat_key=chat_key, address=target.address,
                    person_id=person_id, message=message, now=now, expires_at=expires,
                    essential=essential, claimed_by=owner, claim_until=until,
                    idempotency_key=key,
                )  # fmt: skip
            if row_id is not None and owner is not None:
                handed.append(outbox.OutboxItem(
                    row_id, target.channel, chat_key, target.address, person_id, message, 0,
                    now, expires, essential,
                ))  # fmt: skip
        if scope is not None and sender is not None and handed:
            scope.after_commit.append(partial(_hand_over, sender, handed))

    # -- core effects -----------------------------------------------------------------
    async def _grant(self, conn: AsyncConnection, scope: Scope, effect: GrantConsent) -> None:
        assert scope.person_id is not None
        await people.record_consent(conn, scope.person_id, "granted", effect.version, scope.now)

    async def _decline(self, conn: AsyncConnection, scope: Scope, effect: DeclineConsent) -> None:
        assert scope.person_id is not None
        await people.record_consent(conn, scope.person_id, "declined", effect.version, scope.now)

    async def _opt_out(self, conn: AsyncConnection, scope: Scope, effect: SetOptOut) -> None:
        assert scope.person_id is not None
        await people.set_opted_out(conn, scope.person_id, effect.opted_out)

    async def _human(self, conn: AsyncConnection, scope: Scope, effect: RequestHuman) -> None:
        assert scope.person_id is not None
        await people.open_handoff(conn, scope.person_id, effect.reason, scope.now)

    # -- understanding ----------------------------------------------------------------
    def _choices(self, outcome: Outcome, channel: str) -> list[list[str]]:
        """The options the person now sees, remembered to read "2" or a typed title: those
        of the last message when it offers any or asks a question; otherwise (a notice, the
        STOP acknowledgement) the options shown before stay valid."""
        if not outcome.messages:
            return outcome.state.pending
        rendered = self.domain.render(outcome.messages[-1], channel)
        if not rendered.buttons and not rendered.nav:
            return outcome.state.pending
        return [[b.payload, b.title] for b in rendered.buttons]

    def understand(
        self, event: InboundEvent, state: ConversationState, today: date | None = None
    ) -> Input:
        """Turn the event into what a dialog sees: a choice, an intent, or plain text.

        Typed text is read deterministically first, in this order: the number of an option
        (plain channels; 0 under numbered options is KEMBALI), an option's title, the words
        nlu/options.yml lists for an option on screen, "ya" to the one read-back on screen
        (``confirm:...``), the exact navigation words and short answers (on plain channels
        also a one-word keyword with a common typo, bot/core/keywords.py). Only then, and
        only for text none of these took, the free-text interpreter reads it
        (``Input.parse``, given ``today``): it never takes a digit or an option from the
        person. Its cost is bounded: the first
        characters only (nlu/interpreter.py ``MAX_INPUT``), a model trained before the
        first message (``app.build_app``); an interpreter that is not ready yet is not
        asked, rather than trained inside someone's turn.
        """
        if event.kind is EventKind.START:
            return Input(intent="start")
        if event.kind is EventKind.MEDIA:
            return Input(
                media=event.media or "other", attachment=event.attachment, upload=event.upload
            )
        if event.kind is EventKind.CHOICE:
            if event.payload.startswith("/"):
                return Input(intent=event.payload[1:])
            return Input(choice=event.payload)
        text = clean_text(event.text).strip()
        if not text:
            return Input()
        plain = event.channel in PLAIN_CHANNELS
        if plain and state.pending and (m := _NUMBER.match(text)):
            index = int(m.group(1))
            if index == 0:  # under numbered options, 0 goes back (as KEMBALI)
                return Input(intent="back")
            if 1 <= index <= len(state.pending):
                return self._payload_input(state.pending[index - 1][0])
        typed = normalise(text)
        for payload, title in state.pending:
            if typed and typed == normalise(title):
                return self._payload_input(payload)
        payloads = [payload for payload, _ in state.pending]
        if payloads and (chosen := self.interpreter.option(text, payloads)):
            return self._payload_input(chosen)
        intent = self.interpreter.intent(text)
        if intent is None and plain:
            intent = keyword_intent(text)  # "bantun", "hpus": a keyword typed on a keypad
        confirms = [p for p in payloads if p.startswith(f"{CONFIRM}:")]
        if intent == "affirm" and len(confirms) == 1:
            return Input(choice=confirms[0])
        parse = None
        if intent is None and today is not None and self.interpreter.ready:
            parse = self.interpreter.parse(text, today)
        return Input(text=text, intent=intent, parse=parse)

    @staticmethod
    def _payload_input(payload: str) -> Input:
        if payload.startswith("/"):
            return Input(intent=payload[1:])
        return Input(choice=payload)


async def _hand_over(sender: outbox.Taker, items: list[outbox.OutboxItem]) -> None:
    sender.take(items)


def _fallback_only(address: people.Address) -> bool:
    """A phone number linked from a chat (bot/link) that has never written itself."""
    return address.channel in ("sms", "whatsapp") and address.last_inbound_at is None


def _flags(snap: people.Snapshot | None) -> UserFlags:
    if snap is None:
        return UserFlags()
    return UserFlags(snap.person.consent, snap.person.opted_out, snap.in_session)


def _scope(snap: people.Snapshot | None, channel: str, now: datetime) -> Scope:
    return Scope(snap.person.id if snap else None, snap.identity_id if snap else None, channel, now)


__all__ = ["Engine", "KeyedLocks", "PersonFacts", "StorageUnavailable", "clean_text"]
