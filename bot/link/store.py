"""Linking a phone number (the I/O behind bot/dialogs/link.py) and the SMS spending counted
for the monthly budget.

A code is six random digits (``secrets``), kept only as HMAC(pepper, salt:code); it expires
after ``LINK_CODE_MINUTES``, works once, is void after :data:`MAX_WRONG` wrong tries and is
replaced by a newer one. At most :data:`MAX_CODES_PER_HOUR` codes an hour per person and per
number. The SMS with the code goes through the outbox (channel ``sms``, the number's own
address, essential, keyed by the code's row) to a number that has no identity yet: the
identity is created only when the code comes back right.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.channels.sms.phone import mask_phone
from bot.channels.sms.policy import budget_month
from bot.core.services import Scope, Services
from bot.core.types import OutboundMessage, Say
from bot.link.merge import merge_persons
from bot.link.model import (
    PHONE_CHANNELS,
    Allowance,
    CheckCodeQuery,
    CodeAllowanceQuery,
    CodeResult,
    CodeVerdict,
    ConfirmLink,
    CountWrongCode,
    LinkStatus,
    LinkStatusQuery,
    SendLinkCode,
)
from bot.link.tables import LinkCode, SmsUsage
from bot.storage import outbox, people
from bot.storage.crypto import address_hash
from bot.storage.models import Identity, table

log = logging.getLogger(__name__)

LC, SU, I = table(LinkCode), table(SmsUsage), table(Identity)  # noqa: E741
MAX_WRONG = 5
MAX_CODES_PER_HOUR = 3
PENDING, USED, VOID, REPLACED = "pending", "used", "void", "replaced"
CODE_SMS = "utter_link_code_sms"
CODE_SEGMENTS = 1  # the code's SMS fits one segment (tested)


def _code_hash(salt: str, code: str) -> str:
    return address_hash("link-code", f"{salt}:{code}")


def phone_hash(e164: str) -> str:
    """The key a number is found by: its SMS identity's address hash."""
    return address_hash("sms", e164)


# -- who holds a number -------------------------------------------------------------------
async def owner_of(conn: AsyncConnection, e164: str) -> int | None:
    """The person whose SMS or WhatsApp identity is this number."""
    hashes = [address_hash(channel, e164) for channel in PHONE_CHANNELS]
    stmt = select(I.c.person_id).where(
        I.c.channel.in_(PHONE_CHANNELS), I.c.address_hash.in_(hashes)
    )
    return await conn.scalar(stmt.limit(1))


async def absorbable(conn: AsyncConnection, person_id: int, e164: str) -> bool:
    """Whether ``person_id`` is only this number (its SMS/WhatsApp identities): such a
    person may be merged into whoever proves they hold the phone. A person with any other
    identity (someone's Telegram) is never taken over silently."""
    mine = {(channel, address_hash(channel, e164)) for channel in PHONE_CHANNELS}
    rows = await conn.execute(
        select(I.c.channel, I.c.address_hash).where(I.c.person_id == person_id)
    )
    return all((r.channel, r.address_hash) in mine for r in rows)


async def linked_numbers(conn: AsyncConnection, person_id: int) -> list[str]:
    """The person's numbers (SMS/WhatsApp identities), masked, oldest first."""
    rows = await conn.execute(
        select(I.c.address).where(I.c.person_id == person_id, I.c.channel.in_(PHONE_CHANNELS))
        .order_by(I.c.id)
    )  # fmt: skip
    shown: list[str] = []
    for (address,) in rows:
        masked = mask_phone(address)
        if masked not in shown:
            shown.append(masked)
    return shown


async def _latest(conn: AsyncConnection, person_id: int) -> Any:
    stmt = select(LC).where(LC.c.person_id == person_id).order_by(LC.c.id.desc()).limit(1)
    return (await conn.execute(stmt)).first()


async def status(conn: AsyncConnection, person_id: int | None, now: datetime) -> LinkStatus:
    if person_id is None:
        return LinkStatus()
    # A number is *linked* when the person also has a chat (Telegram, console): someone who
    # only texts has nothing linked (their number is the chat they write from).
    chats = await conn.scalar(
        select(I.c.id).where(I.c.person_id == person_id, I.c.channel.not_in(PHONE_CHANNELS))
        .limit(1)
    )  # fmt: skip
    numbers = tuple(await linked_numbers(conn, person_id)) if chats is not None else ()
    latest = await _latest(conn, person_id)
    pending = None
    if latest is not None and latest.status == PENDING and now < _aware(latest.expires_at):
        pending = mask_phone(latest.phone)
    return LinkStatus(numbers, pending)


# -- codes --------------------------------------------------------------------------------
async def allowance(conn: AsyncConnection, person_id: int, e164: str, now: datetime) -> Allowance:
    owner = await owner_of(conn, e164)
    if owner == person_id:
        return Allowance.MINE
    if owner is not None and not await absorbable(conn, owner, e164):
        return Allowance.TAKEN
    since = now - timedelta(hours=1)
    recent = select(func.count()).select_from(LC).where(LC.c.created_at > since)
    by_person = await conn.scalar(recent.where(LC.c.person_id == person_id))
    by_number = await conn.scalar(recent.where(LC.c.phone_hash == phone_hash(e164)))
    if (by_person or 0) >= MAX_CODES_PER_HOUR or (by_number or 0) >= MAX_CODES_PER_HOUR:
        return Allowance.LIMIT
    return Allowance.OK


async def issue_code(
    conn: AsyncConnection, person_id: int, e164: str, now: datetime, *, minutes: int,
    zone: tzinfo,
) -> str | None:  # fmt: skip
    """Make a code for ``e164`` and queue its SMS; None (nothing sent) if not allowed now
    (checked again here, in the write transaction)."""
    if (found := await allowance(conn, person_id, e164, now)) is not Allowance.OK:
        log.info("link code for person %s not sent: %s", person_id, found.value)
        return None
    await conn.execute(
        update(LC).where(LC.c.person_id == person_id, LC.c.status == PENDING)
        .values(status=REPLACED)
    )  # fmt: skip
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    expires = now + timedelta(minutes=minutes)
    row_id = (
        await conn.execute(
            insert(LC).values(
                person_id=person_id, phone_hash=phone_hash(e164), phone=e164, salt=salt,
                code_hash=_code_hash(salt, code), status=PENDING, attempts=0, created_at=now,
                expires_at=expires,
            ).returning(LC.c.id)
        )
    ).scalar_one()  # fmt: skip
    message = OutboundMessage((Say(CODE_SMS, {"code": code, "minutes": str(minutes)}),))
    await outbox.enqueue(
        conn, channel="sms", chat_key=phone_hash(e164), address=e164, person_id=person_id,
        message=message, now=now, idempotency_key=f"link-code:{row_id}", expires_at=expires,
        essential=True,
    )  # fmt: skip
    await add_usage(conn, person_id, now, zone, CODE_SEGMENTS)
    return code


async def check(conn: AsyncConnection, person_id: int, code: str, now: datetime) -> CodeVerdict:
    latest = await _latest(conn, person_id)
    if latest is None or latest.status in (USED, REPLACED):
        return CodeVerdict(CodeResult.NONE)
    if latest.status == VOID:
        return CodeVerdict(CodeResult.VOID)
    if now >= _aware(latest.expires_at):
        return CodeVerdict(CodeResult.EXPIRED)
    if not hmac.compare_digest(_code_hash(latest.salt, code), latest.code_hash):
        return CodeVerdict(CodeResult.WRONG, MAX_WRONG - latest.attempts - 1)
    owner = await owner_of(conn, latest.phone)
    if owner is not None and owner != person_id and not await absorbable(conn, owner, latest.phone):
        return CodeVerdict(CodeResult.TAKEN)
    return CodeVerdict(CodeResult.OK)


async def count_wrong(conn: AsyncConnection, person_id: int) -> None:
    latest = await _latest(conn, person_id)
    if latest is None or latest.status != PENDING:
        return
    attempts = latest.attempts + 1
    await conn.execute(
        update(LC).where(LC.c.id == latest.id, LC.c.status == PENDING)
        .values(attempts=attempts, status=VOID if attempts >= MAX_WRONG else PENDING)
    )  # fmt: skip


async def confirm(conn: AsyncConnection, person_id: int, code: str, now: datetime) -> bool:
    """Use the code (checked again in the write transaction) and link its number: a new
    SMS identity, or the number's own person merged into this one. False: nothing done."""
    if (await check(conn, person_id, code, now)).result is not CodeResult.OK:
        log.warning("link code for person %s no longer valid at confirmation", person_id)
        return False
    latest = await _latest(conn, person_id)
    await conn.execute(update(LC).where(LC.c.id == latest.id).values(status=USED))
    e164 = latest.phone
    owner = await owner_of(conn, e164)
    if owner is None:
        await conn.execute(
            insert(I).values(
                person_id=person_id, channel="sms", address_hash=phone_hash(e164),
                address=e164, blocked=False, created_at=now, last_inbound_at=None,
            )
        )  # fmt: skip
    elif owner != person_id:
        await merge_persons(conn, person_id, owner)
    await people.bump_version(conn, person_id)
    log.info("person %s linked a number (%s)", person_id, mask_phone(e164))
    return True


# -- SMS spending -------------------------------------------------------------------------
def month_of(now: datetime, zone: tzinfo) -> str:
    return budget_month(now, zone)[0].strftime("%Y-%m")


async def usage(conn: AsyncConnection, month: str, person_id: int | None = None) -> int:
    """Segments spent in ``month`` by one person, or by everyone."""
    stmt = select(func.coalesce(func.sum(SU.c.segments), 0)).where(SU.c.month == month)
    if person_id is not None:
        stmt = stmt.where(SU.c.person_id == person_id)
    return int(await conn.scalar(stmt) or 0)


async def add_usage(
    conn: AsyncConnection, person_id: int, now: datetime, zone: tzinfo, segments: int
) -> None:
    month = month_of(now, zone)
    stmt = people.upsert(conn, SU).values(person_id=person_id, month=month, segments=segments)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[SU.c.person_id, SU.c.month],
            set_={"segments": SU.c.segments + segments},
        )
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def register(services: Services, *, code_minutes: int, zone: tzinfo) -> None:
    """Answer the linking queries, apply its effects, delete codes on HAPUS."""

    def _person(scope: Scope) -> int:
        assert scope.person_id is not None, "linking needs a person"
        return scope.person_id

    @services.on_query(LinkStatusQuery)
    async def _status(conn: AsyncConnection, scope: Scope, _: LinkStatusQuery) -> LinkStatus:
        return await status(conn, scope.person_id, scope.now)

    @services.on_query(CodeAllowanceQuery)
    async def _allowance(conn: AsyncConnection, scope: Scope, q: CodeAllowanceQuery) -> Allowance:
        return await allowance(conn, _person(scope), q.phone, scope.now)

    @services.on_query(CheckCodeQuery)
    async def _check(conn: AsyncConnection, scope: Scope, q: CheckCodeQuery) -> CodeVerdict:
        return await check(conn, _person(scope), q.code, scope.now)

    @services.on_effect(SendLinkCode)
    async def _send(conn: AsyncConnection, scope: Scope, e: SendLinkCode) -> None:
        await issue_code(conn, _person(scope), e.phone, scope.now, minutes=code_minutes,
                         zone=zone)  # fmt: skip

    @services.on_effect(ConfirmLink)
    async def _confirm(conn: AsyncConnection, scope: Scope, e: ConfirmLink) -> None:
        await confirm(conn, _person(scope), e.code, scope.now)

    @services.on_effect(CountWrongCode)
    async def _wrong(conn: AsyncConnection, scope: Scope, _: CountWrongCode) -> None:
        await count_wrong(conn, _person(scope))

    @services.on_delete
    async def _forget(conn: AsyncConnection, scope: Scope, person_id: int) -> None:
        """HAPUS: codes and spending go (the foreign keys cascade too)."""
        await conn.execute(delete(LC).where(LC.c.person_id == person_id))
        await conn.execute(delete(SU).where(SU.c.person_id == person_id))
