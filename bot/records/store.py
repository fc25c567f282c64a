"""The records' tables: answering the records queries and applying the records effects.

Registered on the engine's :class:`~bot.core.services.Services` by :func:`register`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.services import Scope, Services
from bot.knowledge.catalog import catalog
from bot.records.benefit import set_benefit_start
from bot.records.model import (
    AssessmentRecord,
    AssessmentsQuery,
    EligibilityQuery,
    EligibilityRecord,
    ProfileQuery,
    ProfileRecord,
    RegistrationQuery,
    RegistrationRecord,
    SaveAssessment,
    SaveEligibility,
    SaveProfileSection,
    SaveRegistration,
    SetBenefitStart,
)
from bot.records.progress import refresh_progress
from bot.rules.config import RuleSettings
from bot.storage.models import (
    AssessmentResult,
    EligibilityCheck,
    Person,
    ProfileEntry,
    Registration,
    table,
)
from bot.storage.people import upsert

PE, AR, RG, EC, P = (
    table(ProfileEntry), table(AssessmentResult), table(Registration), table(EligibilityCheck),
    table(Person),
)  # fmt: skip


def _person(scope: Scope) -> int:
    if scope.person_id is None:
        raise LookupError("no person yet: records are written after first contact")
    return scope.person_id


# -- reading -------------------------------------------------------------------------------
async def load_profile(conn: AsyncConnection, person_id: int | None) -> ProfileRecord:
    if person_id is None:
        return ProfileRecord()
    rows = await conn.execute(
        select(PE.c.section, PE.c.data)
        .where(PE.c.person_id == person_id)
        .order_by(PE.c.section, PE.c.position, PE.c.id)
    )
    sections: dict[str, list[dict[str, Any]]] = {}
    for section, data in rows:
        sections.setdefault(section, []).append(dict(data))
    return ProfileRecord({k: tuple(v) for k, v in sections.items()})


async def load_assessments(
    conn: AsyncConnection, person_id: int | None
) -> tuple[AssessmentRecord, ...]:
    if person_id is None:
        return ()
    rows = await conn.execute(
        select(AR.c.data).where(AR.c.person_id == person_id).order_by(AR.c.taken_at, AR.c.id)
    )
    return tuple(AssessmentRecord.from_data(data) for (data,) in rows)


async def load_registration(
    conn: AsyncConnection, person_id: int | None
) -> RegistrationRecord | None:
    if person_id is None:
        return None
    row = (
        await conn.execute(
            select(RG.c.data, RG.c.status, RG.c.province_code, RG.c.country).where(
                RG.c.person_id == person_id
            )
        )
    ).first()
    if row is None:
        return None
    return RegistrationRecord.from_data({**row.data, "status": row.status})


async def load_eligibility(
    conn: AsyncConnection, person_id: int | None
) -> EligibilityRecord | None:
    if person_id is None:
        return None
    row = (await conn.execute(select(EC).where(EC.c.person_id == person_id))).first()
    if row is None:
        return None
    return EligibilityRecord(row.verdict, dict(row.data), row.claim_deadline, row.checked_at)


# -- writing -------------------------------------------------------------------------------
async def save_profile_section(
    conn: AsyncConnection, person_id: int, section: str, entries: Any, now: datetime
) -> None:
    await conn.execute(delete(PE).where(PE.c.person_id == person_id, PE.c.section == section))
    if entries:
        await conn.execute(
            insert(PE),
            [
                {"person_id": person_id, "section": section, "position": i, "data": dict(e),
                 "updated_at": now}
                for i, e in enumerate(entries)
            ],
        )  # fmt: skip


async def save_assessment(
    conn: AsyncConnection, person_id: int, result: AssessmentRecord, now: datetime
) -> None:
    await conn.execute(insert(AR).values(person_id=person_id, taken_at=now, data=result.to_data()))


def zone_of(registration: RegistrationRecord) -> str | None:
    """The time zone of the registered place (WIB/WITA/WIT); None abroad or unknown."""
    cat = catalog()
    if registration.regency and (regency := cat.regency(registration.regency)):
        return regency.tz
    if registration.province and (province := cat.province(registration.province)):
        return province.tz
    return None


async def save_registration(
    conn: AsyncConnection, person_id: int, reg: RegistrationRecord, now: datetime
) -> None:
    occupation = catalog().occupation(reg.job)
    plain = {
        "status": reg.status,
        "province_code": reg.province,
        "occupation_code": occupation.isco if occupation else None,
        "country": reg.country,
        "data": reg.to_data(),
        "saved_at": now,
    }
    stmt = upsert(conn, RG).values(person_id=person_id, **plain)
    await conn.execute(stmt.on_conflict_do_update(index_elements=[RG.c.person_id], set_=plain))
    await conn.execute(update(P).where(P.c.id == person_id).values(tz=zone_of(reg)))


async def save_eligibility(
    conn: AsyncConnection, person_id: int, effect: SaveEligibility, now: datetime
) -> None:
    values = {
        "verdict": effect.verdict,
        "claim_deadline": effect.claim_deadline,
        "data": dict(effect.answers),
        "checked_at": now,
    }
    stmt = upsert(conn, EC).values(person_id=person_id, **values)
    await conn.execute(stmt.on_conflict_do_update(index_elements=[EC.c.person_id], set_=values))


def register(services: Services, rules: RuleSettings) -> None:
    """Answer the records queries and apply the records effects."""

    @services.on_query(ProfileQuery)
    async def _profile(conn: AsyncConnection, scope: Scope, _: ProfileQuery) -> ProfileRecord:
        return await load_profile(conn, scope.person_id)

    @services.on_query(AssessmentsQuery)
    async def _assessments(
        conn: AsyncConnection, scope: Scope, _: AssessmentsQuery
    ) -> tuple[AssessmentRecord, ...]:
        return await load_assessments(conn, scope.person_id)

    @services.on_query(RegistrationQuery)
    async def _registration(
        conn: AsyncConnection, scope: Scope, _: RegistrationQuery
    ) -> RegistrationRecord | None:
        return await load_registration(conn, scope.person_id)

    @services.on_query(EligibilityQuery)
    async def _eligibility(
        conn: AsyncConnection, scope: Scope, _: EligibilityQuery
    ) -> EligibilityRecord | None:
        return await load_eligibility(conn, scope.person_id)

    @services.on_effect(SaveProfileSection)
    async def _save_section(conn: AsyncConnection, scope: Scope, e: SaveProfileSection) -> None:
        await save_profile_section(conn, _person(scope), e.section, e.entries, scope.now)

    @services.on_effect(SaveAssessment)
    async def _save_assessment(conn: AsyncConnection, scope: Scope, e: SaveAssessment) -> None:
        await save_assessment(conn, _person(scope), e.result, scope.now)

    @services.on_effect(SaveRegistration)
    async def _save_registration(conn: AsyncConnection, scope: Scope, e: SaveRegistration) -> None:
        await save_registration(conn, _person(scope), e.registration, scope.now)

    @services.on_effect(SaveEligibility)
    async def _save_eligibility(conn: AsyncConnection, scope: Scope, e: SaveEligibility) -> None:
        await save_eligibility(conn, _person(scope), e, scope.now)

    @services.on_effect(SetBenefitStart)
    async def _benefit_start(conn: AsyncConnection, scope: Scope, e: SetBenefitStart) -> None:
        await set_benefit_start(conn, _person(scope), e.start, scope.now, rules)
        # Applications and evidence already recorded count in the months just laid out.
        await refresh_progress(conn, _person(scope), scope.now, rules)
