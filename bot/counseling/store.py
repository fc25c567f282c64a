"""Counseling in the database: answering the counseling queries, applying its effects in the
turn's transaction, and what counselors and operators read (the request card, a person's
summary, the audit).

Messages to the counselors go through the outbox too, on the channel ``staff``
(:data:`STAFF`), addressed ``general`` (the group's General topic), ``person:<id>`` (that
person's topic, created by the delivery when missing: bot/counseling/delivery.py) or
``drop-topic:<topic id>`` (HAPUS: the topic is deleted).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.services import Scope, Services
from bot.core.types import Attachment, OutboundMessage, Say, combine
from bot.counseling.model import (
    ACTIVE,
    CANCELLED,
    DECLINED,
    DONE,
    MISSED,
    SCHEDULED,
    URGENT_KIND,
    WAITING,
    AppliedQuery,
    Audit,
    BeginSession,
    CancelRequest,
    CounselingQuery,
    CounselingRecord,
    DeclineRequest,
    EndSession,
    Forward,
    MarkMissed,
    RegisterCounselee,
    RequestCounseling,
    ScheduleSession,
    SessionQuery,
    SessionView,
    ToStaff,
    Transcribe,
    VacancyCard,
    VacancyCardQuery,
)
from bot.counseling.tables import (
    Counselee,
    CounselingEntry,
    CounselingSession,
    Counselor,
    CounselorAudit,
)
from bot.knowledge.catalog import catalog
from bot.records.store import load_assessments, load_profile, load_registration
from bot.storage import outbox
from bot.storage.crypto import address_hash
from bot.storage.models import Application, BenefitMonthRow, HandoffRequest, table
from bot.storage.people import bump_version, open_handoff, upsert

log = logging.getLogger(__name__)
STAFF = "staff"  # the outbox channel of the counselors' group
GENERAL = "general"
STAFF_TTL = timedelta(days=3)
CO, CL, CS, CE, AU = (
    table(Counselor), table(Counselee), table(CounselingSession), table(CounselingEntry),
    table(CounselorAudit),
)  # fmt: skip
H, A, BM = table(HandoffRequest), table(Application), table(BenefitMonthRow)


def person_address(person_id: int) -> str:
    return f"person:{person_id}"


def _person(scope: Scope) -> int:
    if scope.person_id is None:
        raise LookupError("no person yet: counseling is written after first contact")
    return scope.person_id


# -- counselors --------------------------------------------------------------------------
@dataclass(frozen=True)
class CounselorInfo:
    id: int
    telegram_user_id: int
    name: str
    title: str
    office: str
    active: bool


def _counselor(row: Any) -> CounselorInfo:
    profile = dict(row.profile or {})
    return CounselorInfo(row.id, row.telegram_user_id, row.name, str(profile.get("title", "")),
                         str(profile.get("office", "")), row.active)  # fmt: skip


async def add_counselor(
    conn: AsyncConnection, telegram_user_id: int, name: str, now: datetime, *,
    title: str = "", office: str = "",
) -> CounselorInfo:  # fmt: skip
    """Register (or re-activate and rename) a counselor."""
    values = {"name": name, "profile": {"title": title, "office": office}, "active": True,
              "removed_at": None}  # fmt: skip
    stmt = upsert(conn, CO).values(telegram_user_id=telegram_user_id, created_at=now, **values)
    await conn.execute(stmt.on_conflict_do_update(index_elements=[CO.c.telegram_user_id],
                                                  set_=values))  # fmt: skip
    found = await counselor_by_telegram(conn, telegram_user_id, active_only=False)
    assert found is not None
    return found


async def remove_counselor(conn: AsyncConnection, telegram_user_id: int, now: datetime) -> bool:
    """Make a counselor inactive (kept, so the audit still names them)."""
    result = await conn.execute(
        update(CO)
        .where(CO.c.telegram_user_id == telegram_user_id, CO.c.active.is_(True))
        .values(active=False, removed_at=now)
    )
    return bool(result.rowcount)


async def counselors(conn: AsyncConnection, *, active_only: bool = True) -> list[CounselorInfo]:
    stmt = select(CO).order_by(CO.c.id)
    if active_only:
        stmt = stmt.where(CO.c.active.is_(True))
    return [_counselor(r) for r in await conn.execute(stmt)]


async def counselor_by_telegram(
    conn: AsyncConnection, telegram_user_id: int, *, active_only: bool = True
) -> CounselorInfo | None:
    stmt = select(CO).where(CO.c.telegram_user_id == telegram_user_id)
    if active_only:
        stmt = stmt.where(CO.c.active.is_(True))
    row = (await conn.execute(stmt)).first()
    return _counselor(row) if row else None


async def counselor_by_id(conn: AsyncConnection, counselor_id: int) -> CounselorInfo | None:
    row = (await conn.execute(select(CO).where(CO.c.id == counselor_id))).first()
    return _counselor(row) if row else None


async def free_counselors(conn: AsyncConnection) -> list[CounselorInfo]:
    """Active counselors not in a session now."""
    busy = select(CS.c.counselor_id).where(CS.c.status == ACTIVE, CS.c.counselor_id.is_not(None))
    stmt = select(CO).where(CO.c.active.is_(True), CO.c.id.not_in(busy)).order_by(CO.c.id)
    return [_counselor(r) for r in await conn.execute(stmt)]


# -- sessions ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionRow:
    """A session as staff code sees it (whose it is, and its state)."""

    view: SessionView
    person_id: int
    data: dict[str, Any]


def _view(row: Any, counselor_name: str | None) -> SessionView:
    data = dict(row.data or {})
    return SessionView(
        id=row.id, kind=row.kind, status=row.status, requested_at=row.requested_at,
        scheduled_at=row.scheduled_at, started_at=row.started_at, ended_at=row.ended_at,
        counselor=counselor_name or "", counselor_id=row.counselor_id,
        reason=str(data.get("reason") or ""), decline_reason=str(data.get("decline_reason") or ""),
    )  # fmt: skip


_WITH_NAME = select(CS, CO.c.name.label("counselor_name")).select_from(
    CS.outerjoin(CO, CO.c.id == CS.c.counselor_id)
)


async def session_row(conn: AsyncConnection, session_id: int) -> SessionRow | None:
    row = (await conn.execute(_WITH_NAME.where(CS.c.id == session_id))).first()
    if row is None:
        return None
    return SessionRow(_view(row, row.counselor_name), row.person_id, dict(row.data or {}))


async def load_record(conn: AsyncConnection, person_id: int | None) -> CounselingRecord:
    if person_id is None:
        return CounselingRecord()
    registered = await conn.scalar(select(CL.c.person_id).where(CL.c.person_id == person_id))
    rows = await conn.execute(
        _WITH_NAME.where(CS.c.person_id == person_id).order_by(CS.c.requested_at.desc(),
                                                               CS.c.id.desc())
    )  # fmt: skip
    sessions = tuple(_view(r, r.counselor_name) for r in rows)
    seen = await conn.execute(
        select(CO.c.name, func.max(AU.c.at).label("last"))
        .select_from(AU.join(CO, CO.c.id == AU.c.counselor_id))
        .where(AU.c.person_id == person_id)
        .group_by(CO.c.id, CO.c.name)
        .order_by(func.max(AU.c.at))
    )
    viewers = tuple((str(r.name), _aware(r.last)) for r in seen)
    return CounselingRecord(registered is not None, sessions, viewers)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def session_by_topic(conn: AsyncConnection, topic_id: int) -> tuple[int, int | None] | None:
    """(person, the session in progress) of a forum topic, or None for no one's topic."""
    row = (
        await conn.execute(select(CL.c.person_id, CL.c.in_session).where(CL.c.topic_id == topic_id))
    ).first()
    return (int(row.person_id), row.in_session) if row else None


async def latest_session(conn: AsyncConnection, person_id: int) -> SessionRow | None:
    row = (
        await conn.execute(
            _WITH_NAME.where(CS.c.person_id == person_id).order_by(CS.c.id.desc()).limit(1)
        )
    ).first()
    return (
        SessionRow(_view(row, row.counselor_name), row.person_id, dict(row.data)) if row else None
    )


async def topic_of(conn: AsyncConnection, person_id: int) -> int | None:
    return await conn.scalar(select(CL.c.topic_id).where(CL.c.person_id == person_id))


async def set_topic(conn: AsyncConnection, person_id: int, topic_id: int | None) -> None:
    stmt = upsert(conn, CL).values(
        person_id=person_id, registered_at=datetime.now(UTC), topic_id=topic_id
    )
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=[CL.c.person_id], set_={"topic_id": topic_id})
    )


async def busy_slots(conn: AsyncConnection, counselor_id: int, after: datetime) -> list[datetime]:
    rows = await conn.execute(
        select(CS.c.scheduled_at).where(
            CS.c.counselor_id == counselor_id, CS.c.status == SCHEDULED,
            CS.c.scheduled_at >= after,
        )
    )  # fmt: skip
    return [_aware(r[0]) for r in rows]


async def _register(conn: AsyncConnection, person_id: int, now: datetime) -> None:
    stmt = upsert(conn, CL).values(person_id=person_id, registered_at=now)
    await conn.execute(stmt.on_conflict_do_nothing())


async def _patch(conn: AsyncConnection, session_id: int, **data: Any) -> None:
    current = await conn.scalar(select(CS.c.data).where(CS.c.id == session_id))
    await conn.execute(
        update(CS).where(CS.c.id == session_id).values(data={**dict(current or {}), **data})
    )


async def _close_handoff(conn: AsyncConnection, person_id: int) -> None:
    await conn.execute(
        update(H).where(H.c.person_id == person_id, H.c.status == "open").values(status="closed")
    )


# -- what counselors see of a person -----------------------------------------------------
async def display_name(conn: AsyncConnection, person_id: int) -> str:
    profile = await load_profile(conn, person_id)
    personal = profile.single("personal") or {}
    name = str(personal.get("pf_full_name") or "").strip()
    return f"{name} (#{person_id})" if name else f"Penerima manfaat #{person_id}"


async def person_summary(conn: AsyncConnection, person_id: int, today: date) -> list[Say]:
    """Profile summary, assessment top 3 and this month's ledger, as staff response parts."""
    cat = catalog()
    profile = await load_profile(conn, person_id)
    registration = await load_registration(conn, person_id)
    education = profile.sections.get("education") or ()
    experience = profile.sections.get("experience") or ()
    place = "-"
    if registration is not None:
        if registration.regency and (regency := cat.regency(registration.regency)):
            place = regency.name
        elif registration.province and (province := cat.province(registration.province)):
            place = province.name
        elif registration.country and (country := cat.country(registration.country)):
            place = country.name
    last_edu = education[-1] if education else {}
    last_job = experience[0] if experience else {}
    parts = [
        Say("utter_staff_profile", {
            "job": registration.job if registration else "-",
            "place": place,
            "school": str(last_edu.get("pf_edu_school") or "-"),
            "position": " / ".join(str(last_job.get(k)) for k in ("pf_exp_position",
                                   "pf_exp_company") if last_job.get(k)) or "-",
        })
    ]  # fmt: skip
    assessments = await load_assessments(conn, person_id)
    if assessments:
        top = assessments[-1].groups[:3]
        groups = "; ".join(
            f"{cat.groups[g.code].name if g.code in cat.groups else g.code} {g.percent}%"
            for g in top
        )
        parts.append(Say("utter_staff_assessment", {"groups": groups or "-"}))
    else:
        parts.append(Say("utter_staff_no_assessment"))
    month = (
        await conn.execute(
            select(BM).where(BM.c.person_id == person_id, BM.c.starts_on <= today,
                             BM.c.ends_on > today)
        )
    ).first()  # fmt: skip
    if month is None:
        parts.append(Say("utter_staff_no_ledger"))
    else:
        parts.append(Say("utter_staff_ledger", {
            "number": str(month.number), "catalogue": str(month.catalogue_done),
            "outside": str(month.outside_done), "invitations": str(month.invitations_done),
            "met": "sudah" if month.met else "belum",
        }))  # fmt: skip
    return parts


async def worksheet_snapshot(conn: AsyncConnection, person_id: int) -> dict[str, Any]:
    """What the worksheet keeps of the person as the session starts."""
    profile = await load_profile(conn, person_id)
    registration = await load_registration(conn, person_id)
    assessments = await load_assessments(conn, person_id)
    data = profile.as_data()
    data.pop("photo", None)
    return {
        "profile": data,
        "registration": registration.to_data() if registration else None,
        "assessment": assessments[-1].to_data() if assessments else None,
    }


# -- the staff outbox --------------------------------------------------------------------
async def to_staff(
    conn: AsyncConnection,
    address: str,
    message: OutboundMessage,
    now: datetime,
    person_id: int | None,
) -> None:
    await outbox.enqueue(
        conn, channel=STAFF, chat_key=address_hash(STAFF, address), address=address,
        person_id=person_id, message=message, now=now, expires_at=now + STAFF_TTL,
        essential=True,
    )  # fmt: skip


async def _request_card(
    conn: AsyncConnection, person_id: int, session_id: int, effect: RequestCounseling,
    now: datetime,
) -> OutboundMessage:  # fmt: skip
    who = await display_name(conn, person_id)
    today = now.date()
    summary = await person_summary(conn, person_id, today)
    if effect.kind == URGENT_KIND:
        head = Say("utter_staff_urgent_card", {"who": who, "session": str(session_id),
                                               "context": effect.context or "-"})  # fmt: skip
        free = await free_counselors(conn)
        names = ", ".join(c.name for c in free) or "-"
        tail = [Say("utter_staff_free_counselors", {
            "names": names, "mention_ids": ",".join(str(c.telegram_user_id) for c in free)}),
            Say("utter_staff_urgent_actions", {"session": str(session_id)})]  # fmt: skip
        if not effect.in_hours:
            tail.insert(0, Say("utter_staff_outside_hours"))
    else:
        head = Say("utter_staff_request_card", {"who": who, "session": str(session_id),
                                                "request_reason": effect.reason})  # fmt: skip
        tail = [Say("utter_staff_request_actions", {"session": str(session_id)})]
    return combine(head, *summary, *tail)


# -- effects -----------------------------------------------------------------------------
async def request(
    conn: AsyncConnection, person_id: int, e: RequestCounseling, now: datetime
) -> int | None:
    """A new request (and its card); None when one is already open."""
    await _register(conn, person_id, now)
    if e.kind == URGENT_KIND:
        await open_handoff(conn, person_id, e.context[:64], now)
        waiting = await conn.scalar(
            select(CS.c.id).where(CS.c.person_id == person_id, CS.c.kind == URGENT_KIND,
                                  CS.c.status.in_((WAITING, ACTIVE)))
        )  # fmt: skip
        if waiting is not None:
            return None
    else:
        open_one = await conn.scalar(
            select(CS.c.id).where(
                CS.c.person_id == person_id, CS.c.kind != URGENT_KIND,
                or_(CS.c.status.in_((WAITING, ACTIVE)),
                    and_(CS.c.status == SCHEDULED, CS.c.scheduled_at > now - timedelta(hours=2))),
            )
        )  # fmt: skip
        if open_one is not None:
            return None
    data = {"reason": e.reason, "context": e.context, "in_hours": e.in_hours}
    session_id = (
        await conn.execute(
            insert(CS).values(
                person_id=person_id, kind=e.kind, status=WAITING, requested_at=now,
                reminded=0, wait_told=not e.in_hours, data=data,
            ).returning(CS.c.id)
        )
    ).scalar_one()  # fmt: skip
    card = await _request_card(conn, person_id, session_id, e, now)
    await to_staff(conn, GENERAL, card, now, person_id)
    return int(session_id)


def _stages_done(at: datetime, now: datetime) -> int:
    """Reminders already pointless when a session is booked: the day-before one for a
    session within a day, the hour-before one within the hour."""
    lead = at - now
    if lead <= timedelta(hours=1):
        return 2
    if lead <= timedelta(days=1):
        return 1
    return 0


async def apply_begin(
    conn: AsyncConnection, person_id: int, e: BeginSession, now: datetime
) -> None:
    values: dict[str, Any] = {"status": ACTIVE, "started_at": now}
    if e.counselor_id is not None:
        values["counselor_id"] = e.counselor_id
    result = await conn.execute(
        update(CS)
        .where(CS.c.id == e.session_id, CS.c.person_id == person_id,
               CS.c.status.in_((WAITING, SCHEDULED)))
        .values(**values)
    )  # fmt: skip
    if not result.rowcount:
        return
    await _register(conn, person_id, now)
    await conn.execute(
        update(CL).where(CL.c.person_id == person_id).values(in_session=e.session_id)
    )
    await _patch(conn, e.session_id, worksheet=await worksheet_snapshot(conn, person_id))
    await _close_handoff(conn, person_id)


async def apply_end(conn: AsyncConnection, person_id: int, e: EndSession, now: datetime) -> None:
    await conn.execute(
        update(CS).where(CS.c.id == e.session_id, CS.c.person_id == person_id,
                         CS.c.status == ACTIVE).values(status=DONE, ended_at=now)
    )  # fmt: skip
    await _patch(conn, e.session_id, ended_by=e.by)
    await conn.execute(
        update(CL).where(CL.c.person_id == person_id, CL.c.in_session == e.session_id)
        .values(in_session=None)
    )  # fmt: skip


async def forward(conn: AsyncConnection, person_id: int, e: Forward, now: datetime) -> None:
    kind = e.media if e.media in ("photo", "document") else ("message" if not e.media else "other")
    await conn.execute(insert(CE).values(
        session_id=e.session_id, person_id=person_id, at=now, author="person", kind=kind,
        counselor_id=None, data={"words": e.words, "file": e.media},
    ))  # fmt: skip
    who = await display_name(conn, person_id)
    parts = [Say("utter_staff_person_says", {"who": who, "words": e.words or "-"})]
    attachment: Attachment | None = None
    if e.media in ("photo", "document") and e.attachment and e.channel == "telegram":
        attachment = Attachment(e.media, f"tg:{e.attachment}")
    elif e.media:
        parts.append(Say("utter_staff_person_file_not_shown"))
    await to_staff(conn, person_address(person_id), OutboundMessage(tuple(parts), attachment),
                   now, person_id)  # fmt: skip


async def audit(
    conn: AsyncConnection, now: datetime, counselor_id: int | None, action: str, *,
    person_id: int | None, session_id: int | None = None, detail: str = "",
    actor: str = "counselor",
) -> None:  # fmt: skip
    await conn.execute(insert(AU).values(
        at=now, counselor_id=counselor_id, actor=actor[:64], person_id=person_id,
        session_id=session_id, action=action[:32], detail=detail[:200],
    ))  # fmt: skip


def register(services: Services) -> None:
    """Answer the counseling queries, apply its effects, clean up on HAPUS."""

    @services.on_query(CounselingQuery)
    async def _record(conn: AsyncConnection, scope: Scope, _: CounselingQuery) -> CounselingRecord:
        return await load_record(conn, scope.person_id)

    @services.on_query(SessionQuery)
    async def _session(conn: AsyncConnection, scope: Scope, q: SessionQuery) -> SessionView | None:
        found = await session_row(conn, q.session_id)
        return found.view if found and found.person_id == scope.person_id else None

    @services.on_query(VacancyCardQuery)
    async def _vacancy(
        conn: AsyncConnection, scope: Scope, q: VacancyCardQuery
    ) -> VacancyCard | None:
        return await vacancy_card(conn, q.vacancy_id)

    @services.on_query(AppliedQuery)
    async def _applied(conn: AsyncConnection, scope: Scope, q: AppliedQuery) -> bool:
        if scope.person_id is None:
            return False
        found = await conn.scalar(
            select(A.c.id).where(A.c.person_id == scope.person_id, A.c.vacancy_id == q.vacancy_id)
        )
        return found is not None

    @services.on_effect(RegisterCounselee)
    async def _register_effect(conn: AsyncConnection, scope: Scope, _: RegisterCounselee) -> None:
        await _register(conn, _person(scope), scope.now)

    @services.on_effect(RequestCounseling)
    async def _request(conn: AsyncConnection, scope: Scope, e: RequestCounseling) -> None:
        await request(conn, _person(scope), e, scope.now)

    @services.on_effect(CancelRequest)
    async def _cancel(conn: AsyncConnection, scope: Scope, e: CancelRequest) -> None:
        person_id = _person(scope)
        result = await conn.execute(
            update(CS).where(CS.c.id == e.session_id, CS.c.person_id == person_id,
                             CS.c.status.in_((WAITING, SCHEDULED)))
            .values(status=CANCELLED, ended_at=scope.now)
        )  # fmt: skip
        if result.rowcount:
            await _close_handoff(conn, person_id)
            note = Say("utter_staff_cancelled", {"session": str(e.session_id)})
            await to_staff(conn, GENERAL, combine(note), scope.now, person_id)

    @services.on_effect(ScheduleSession)
    async def _schedule(conn: AsyncConnection, scope: Scope, e: ScheduleSession) -> None:
        await conn.execute(
            update(CS).where(CS.c.id == e.session_id, CS.c.person_id == _person(scope),
                             CS.c.status == WAITING)
            .values(status=SCHEDULED, counselor_id=e.counselor_id, scheduled_at=e.at,
                    reminded=_stages_done(e.at, scope.now))
        )  # fmt: skip

    @services.on_effect(DeclineRequest)
    async def _decline(conn: AsyncConnection, scope: Scope, e: DeclineRequest) -> None:
        person_id = _person(scope)
        result = await conn.execute(
            update(CS).where(CS.c.id == e.session_id, CS.c.person_id == person_id,
                             CS.c.status.in_((WAITING, SCHEDULED)))
            .values(status=DECLINED, counselor_id=e.counselor_id, ended_at=scope.now)
        )  # fmt: skip
        if result.rowcount:
            await _patch(conn, e.session_id, decline_reason=e.reason)
            await _close_handoff(conn, person_id)

    @services.on_effect(BeginSession)
    async def _begin(conn: AsyncConnection, scope: Scope, e: BeginSession) -> None:
        await apply_begin(conn, _person(scope), e, scope.now)

    @services.on_effect(EndSession)
    async def _end(conn: AsyncConnection, scope: Scope, e: EndSession) -> None:
        await apply_end(conn, _person(scope), e, scope.now)

    @services.on_effect(MarkMissed)
    async def _missed(conn: AsyncConnection, scope: Scope, e: MarkMissed) -> None:
        await conn.execute(
            update(CS).where(CS.c.id == e.session_id, CS.c.person_id == _person(scope),
                             CS.c.status == SCHEDULED).values(status=MISSED, ended_at=scope.now)
        )  # fmt: skip

    @services.on_effect(Forward)
    async def _forward(conn: AsyncConnection, scope: Scope, e: Forward) -> None:
        await forward(conn, _person(scope), e, scope.now)

    @services.on_effect(Transcribe)
    async def _transcribe(conn: AsyncConnection, scope: Scope, e: Transcribe) -> None:
        await conn.execute(insert(CE).values(
            session_id=e.session_id, person_id=_person(scope), at=scope.now,
            author="counselor" if e.counselor_id is not None else "system", kind=e.kind,
            counselor_id=e.counselor_id, data=dict(e.data),
        ))  # fmt: skip

    @services.on_effect(ToStaff)
    async def _to_staff(conn: AsyncConnection, scope: Scope, e: ToStaff) -> None:
        person_id = _person(scope)
        address = GENERAL if e.general else person_address(person_id)
        await to_staff(conn, address, e.message, scope.now, person_id)

    @services.on_effect(Audit)
    async def _audit(conn: AsyncConnection, scope: Scope, e: Audit) -> None:
        await audit(conn, scope.now, e.counselor_id, e.action, person_id=_person(scope),
                    session_id=e.session_id, detail=e.detail)  # fmt: skip

    @services.on_delete
    async def _forget(conn: AsyncConnection, scope: Scope, person_id: int) -> None:
        """HAPUS: the topic goes (deleted in the group by the staff sender), the worksheet
        with the person, and the audit rows are unlinked (who did what when stays, about
        nobody)."""
        topic = await topic_of(conn, person_id)
        if topic is not None:
            note = combine(Say("utter_staff_topic_removed"))
            await to_staff(conn, f"drop-topic:{topic}", note, scope.now, None)
        await conn.execute(
            update(AU).where(AU.c.person_id == person_id).values(person_id=None, session_id=None)
        )
        await conn.execute(delete(CE).where(CE.c.person_id == person_id))
        await conn.execute(delete(CS).where(CS.c.person_id == person_id))
        await conn.execute(delete(CL).where(CL.c.person_id == person_id))


async def vacancy_card(conn: AsyncConnection, vacancy_id: int) -> VacancyCard | None:
    from bot.vacancies.store import get_vacancy

    detail = await get_vacancy(conn, vacancy_id)
    if detail is None:
        return None
    hit = detail.hit
    return VacancyCard(
        hit.id, hit.source, hit.source_id, hit.title, hit.company, hit.place,
        hit.wage_min, hit.wage_max, hit.closes_at, detail.status == "open",
    )  # fmt: skip


# -- reading for staff and operators ------------------------------------------------------
@dataclass(frozen=True)
class AuditRow:
    at: datetime
    counselor: str
    telegram_user_id: int | None
    actor: str
    person_id: int | None
    session_id: int | None
    action: str
    detail: str


async def audit_rows(
    conn: AsyncConnection, *, person_id: int | None = None, telegram_user_id: int | None = None,
    limit: int = 200,
) -> list[AuditRow]:  # fmt: skip
    stmt = (
        select(AU, CO.c.name, CO.c.telegram_user_id)
        .select_from(AU.outerjoin(CO, CO.c.id == AU.c.counselor_id))
        .order_by(AU.c.at.desc(), AU.c.id.desc())
        .limit(limit)
    )
    if person_id is not None:
        stmt = stmt.where(AU.c.person_id == person_id)
    if telegram_user_id is not None:
        stmt = stmt.where(CO.c.telegram_user_id == telegram_user_id)
    return [
        AuditRow(_aware(r.at), str(r.name or ""), r.telegram_user_id, r.actor, r.person_id,
                 r.session_id, r.action, r.detail)
        for r in await conn.execute(stmt)
    ]  # fmt: skip


async def entries(conn: AsyncConnection, session_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(CE, CO.c.name).select_from(CE.outerjoin(CO, CO.c.id == CE.c.counselor_id))
        .where(CE.c.session_id == session_id).order_by(CE.c.at, CE.c.id)
    )  # fmt: skip
    return [
        {"at": _aware(r.at).isoformat(), "author": r.author, "kind": r.kind,
         "counselor": r.name or "", **dict(r.data or {})}
        for r in rows
    ]  # fmt: skip


async def due_reminders(
    conn: AsyncConnection, now: datetime, limit: int = 500
) -> list[tuple[int, int, int]]:
    """(session, person, stage) of scheduled sessions whose next reminder is due: the day
    before (24 h), an hour before, at the time."""
    rows = await conn.execute(
        select(CS.c.id, CS.c.person_id, CS.c.scheduled_at, CS.c.reminded)
        .where(CS.c.status == SCHEDULED, CS.c.reminded < 3,
               CS.c.scheduled_at <= now + timedelta(days=1),
               CS.c.scheduled_at > now - timedelta(hours=1))
        .order_by(CS.c.scheduled_at).limit(limit)
    )  # fmt: skip
    due: list[tuple[int, int, int]] = []
    for r in rows:
        at = _aware(r.scheduled_at)
        stage = 3 if at <= now else 2 if at - now <= timedelta(hours=1) else 1
        if stage > r.reminded:
            due.append((int(r.id), int(r.person_id), stage))
    return due


async def mark_reminded(conn: AsyncConnection, session_id: int, stage: int) -> None:
    await conn.execute(
        update(CS).where(CS.c.id == session_id, CS.c.reminded < stage).values(reminded=stage)
    )


async def waits_over(
    conn: AsyncConnection, now: datetime, wait: timedelta
) -> list[tuple[int, int]]:
    """(session, person) of urgent requests nobody took in ``wait`` and not yet told."""
    rows = await conn.execute(
        select(CS.c.id, CS.c.person_id).where(
            CS.c.status == WAITING, CS.c.kind == URGENT_KIND, CS.c.wait_told.is_(False),
            CS.c.requested_at <= now - wait,
        )
    )  # fmt: skip
    return [(int(r.id), int(r.person_id)) for r in rows]


async def mark_wait_told(conn: AsyncConnection, session_id: int) -> None:
    await conn.execute(update(CS).where(CS.c.id == session_id).values(wait_told=True))


async def add_note(
    conn: AsyncConnection, session_id: int, person_id: int, counselor_id: int, text: str,
    now: datetime,
) -> None:  # fmt: skip
    await conn.execute(insert(CE).values(
        session_id=session_id, person_id=person_id, at=now, author="counselor", kind="note",
        counselor_id=counselor_id, data={"words": text},
    ))  # fmt: skip
    await audit(conn, now, counselor_id, "note", person_id=person_id, session_id=session_id)
    await bump_version(conn, person_id)
