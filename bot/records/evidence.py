"""Evidence in the database: the ``evidence`` and ``evidence_files`` tables, the queries and
effects of :mod:`bot.records.evidence_model`, the review queue, and the files' cleanup when a
person is deleted.

Duplicates: the same photo (sha256) twice from one person is refused by the dialog, which
asks :class:`UploadSeenQuery` in the turn the photo arrives (a turn computed on a snapshot
that changed meanwhile is computed again, so the answer holds when the photo is staged);
a photo of a piece that was *rejected* may be sent again. A photo whose perceptual hash is
within ``EVIDENCE_NEAR_DUPLICATE_DISTANCE`` bits of another person's is accepted and flagged
(``near_file_id``, and ``evidence.near_duplicate`` on its piece) for the reviewer.

The sha256 is kept only as a keyed hash (HMAC with the address pepper, which survives key
rotation): a database dump does not tell whether a given picture was sent.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import BigInteger, cast, delete, event, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import BIT
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.services import Scope, Services
from bot.core.types import Upload
from bot.evidence.config import EvidenceSettings
from bot.records.evidence_model import (
    DiscardUploads,
    EvidenceItem,
    EvidenceQuery,
    RecordEvidence,
    StageUpload,
    UploadSeenQuery,
)
from bot.rules.config import RuleSettings
from bot.rules.ledger import Evidence, EvidenceKind, Review
from bot.storage.crypto import address_hash
from bot.storage.models import EvidenceFile, EvidenceRow, table
from bot.storage.people import bump_version

log = logging.getLogger(__name__)
E, F = table(EvidenceRow), table(EvidenceFile)
SHA_NAMESPACE = "evidence-sha256"
_BITS = 1 << 64


class FileStore(Protocol):
    """What the records need of the evidence files (bot/evidence/files.py EvidenceStore)."""

    async def delete_many(self, refs: Iterable[str]) -> int: ...


def sha_key(sha256: str) -> str:
    """The keyed hash a photo's sha256 is kept as."""
    return address_hash(SHA_NAMESPACE, sha256)


def hash_to_int(digest: str) -> int:
    """A 64-bit image hash (16 hex digits) as the signed integer a BIGINT holds."""
    value = int(digest, 16)
    return value - _BITS if value >= _BITS >> 1 else value


# -- reading -------------------------------------------------------------------------------
def _item(row: Any) -> EvidenceItem:
    return EvidenceItem(
        id=row.id, kind=EvidenceKind(row.kind), company=row.company, day=row.act_on,
        status=Review(row.status), reason=row.reason or "", files=int(row.files or 0),
        created_at=row.created_at,
    )  # fmt: skip


def _with_file_count() -> Any:
    files = (
        select(F.c.evidence_id, func.count().label("files"))
        .where(F.c.evidence_id.is_not(None))
        .group_by(F.c.evidence_id)
        .subquery()
    )
    return select(E, files.c.files).outerjoin(files, files.c.evidence_id == E.c.id)


async def load_evidence(conn: AsyncConnection, person_id: int | None) -> tuple[EvidenceItem, ...]:
    if person_id is None:
        return ()
    rows = await conn.execute(
        _with_file_count()
        .where(E.c.person_id == person_id)
        .order_by(E.c.act_on.desc(), E.c.id.desc())
    )
    return tuple(_item(r) for r in rows)


async def ledger_evidence(
    conn: AsyncConnection, person_id: int, start: date, end: date
) -> list[Evidence]:
    """The person's evidence with ``start <= act_on < end``, for the ledger."""
    rows = await conn.execute(
        select(E.c.kind, E.c.company, E.c.act_on, E.c.status).where(
            E.c.person_id == person_id, E.c.act_on >= start, E.c.act_on < end
        )
    )
    return [Evidence(EvidenceKind(r.kind), r.company, r.act_on, Review(r.status)) for r in rows]


async def upload_seen(conn: AsyncConnection, person_id: int | None, sha256: str) -> bool:
    if person_id is None:
        return False
    stmt = (
        select(F.c.id)
        .select_from(F.outerjoin(E, E.c.id == F.c.evidence_id))
        .where(
            F.c.person_id == person_id,
            F.c.sha_key == sha_key(sha256),
            F.c.evidence_id.is_(None) | (E.c.status != Review.REJECTED.value),
        )
        .limit(1)
    )
    return (await conn.execute(stmt)).first() is not None


async def person_refs(conn: AsyncConnection, person_id: int) -> set[str]:
    rows = await conn.execute(select(F.c.ref).where(F.c.person_id == person_id))
    return {r[0] for r in rows}


async def all_refs(conn: AsyncConnection) -> set[str]:
    """Every file reference the database knows (what ``sweep_orphans`` keeps)."""
    return {r[0] for r in await conn.execute(select(F.c.ref).distinct())}


# -- writing -------------------------------------------------------------------------------
def hamming(column: Any, value: int, dialect: str) -> Any:
    """SQL for the bits that differ between a 64-bit hash column and ``value``: PostgreSQL's
    ``bit_count`` (14+), or the ``jkp_hamming`` function :func:`add_sqlite_functions` gives
    each SQLite connection. Computed in the database: only the near rows come back."""
    if dialect == "postgresql":
        return func.bit_count(cast(column.op("#")(literal(value, BigInteger)), BIT(64)))
    return func.jkp_hamming(column, literal(value, BigInteger))


def _sqlite_hamming(a: int | None, b: int | None) -> int:
    return 64 if a is None or b is None else ((a ^ b) & (_BITS - 1)).bit_count()


def add_sqlite_functions(engine: AsyncEngine) -> None:
    """Give every new SQLite connection of ``engine`` the functions these queries use."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine.sync_engine, "connect")
    def _functions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("jkp_hamming", 2, _sqlite_hamming, deterministic=True)


async def nearest_other(
    conn: AsyncConnection, person_id: int, phash: int, dhash: int, threshold: int
) -> tuple[int, int] | None:
    """(file id, pHash distance) of the other persons' photo nearest to this one, if both its
    pHash and its dHash are closer than ``threshold`` bits. Two hashes, because one 64-bit
    pHash puts different pages of the same layout within a few bits of each other (measured:
    1 % of pairs of different synthetic letters under 6 bits; none with both hashes), while a
    recompressed or rescaled copy stays within 2 bits on both. A scan of the table, computed
    in the database (benchmarks/bench_evidence_turns.py)."""
    if threshold <= 0:
        return None
    dialect = conn.dialect.name
    by_phash = hamming(F.c.phash, phash, dialect).label("distance")
    by_dhash = hamming(F.c.dhash, dhash, dialect)
    row = (
        await conn.execute(
            select(F.c.id, by_phash)
            .where(F.c.person_id != person_id, by_phash < threshold, by_dhash < threshold)
            .order_by(by_phash, F.c.id)
            .limit(1)
        )
    ).first()
    return (int(row.id), int(row.distance)) if row else None


async def stage_upload(
    conn: AsyncConnection, person_id: int, upload: Upload, now: datetime, threshold: int
) -> int:
    """Keep a stored photo for the piece in progress; returns its row id."""
    phash, dhash = hash_to_int(upload.phash), hash_to_int(upload.dhash)
    near = await nearest_other(conn, person_id, phash, dhash, threshold)
    row = await conn.execute(
        insert(F)
        .values(
            person_id=person_id, evidence_id=None, ref=upload.ref, sha_key=sha_key(upload.sha256),
            phash=phash, dhash=dhash, near_file_id=near[0] if near else None,
            near_distance=near[1] if near else None, mime=upload.mime, width=upload.width,
            height=upload.height, size=upload.size, created_at=now,
        )
        .returning(F.c.id)
    )  # fmt: skip
    if near:
        log.info("evidence photo near another person's (distance %d): flagged", near[1])
    return int(row.scalar_one())


async def unused_refs(conn: AsyncConnection, refs: Collection[str]) -> set[str]:
    """Those of ``refs`` no row refers to any more (their files can go)."""
    if not refs:
        return set()
    used = await conn.execute(select(F.c.ref).where(F.c.ref.in_(list(refs))).distinct())
    return set(refs) - {r[0] for r in used}


async def discard_uploads(conn: AsyncConnection, person_id: int, refs: Collection[str]) -> set[str]:
    """Forget the person's staged photos ``refs``; returns the refs whose files can go."""
    if not refs:
        return set()
    await conn.execute(
        delete(F).where(
            F.c.person_id == person_id, F.c.evidence_id.is_(None), F.c.ref.in_(list(refs))
        )
    )
    return await unused_refs(conn, refs)


async def record_evidence(
    conn: AsyncConnection, person_id: int, e: RecordEvidence, now: datetime, channel: str = ""
) -> int:
    """Make the piece and attach its staged photos; returns its id."""
    refs = list(e.refs)
    staged = F.c.person_id == person_id, F.c.evidence_id.is_(None), F.c.ref.in_(refs)
    flagged = await conn.scalar(
        select(func.count()).select_from(F).where(*staged, F.c.near_file_id.is_not(None))
    )
    evidence_id = (
        await conn.execute(
            insert(E)
            .values(
                person_id=person_id, kind=e.kind.value, company=e.company, act_on=e.day,
                status=Review.PENDING.value, near_duplicate=bool(flagged), channel=channel,
                created_at=now,
            )
            .returning(E.c.id)
        )
    ).scalar_one()  # fmt: skip
    attached = await conn.execute(update(F).where(*staged).values(evidence_id=evidence_id))
    if attached.rowcount != len(set(refs)):
        log.warning("evidence %s: %s of %s photos were staged", evidence_id, attached.rowcount,
                    len(set(refs)))  # fmt: skip
    return int(evidence_id)


# -- review ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueEntry:
    id: int
    person_id: int
    kind: EvidenceKind
    act_on: date
    files: int
    near_duplicate: bool
    created_at: datetime


@dataclass(frozen=True)
class FileInfo:
    id: int
    ref: str
    mime: str
    width: int
    height: int
    size: int
    near_file_id: int | None
    near_distance: int | None
    near_evidence_id: int | None  # the piece the resembling photo belongs to (if recorded)
    near_person_id: int | None


@dataclass(frozen=True)
class EvidenceDetail:
    id: int
    person_id: int
    kind: EvidenceKind
    company: str
    act_on: date
    status: Review
    reason: str
    reviewer: str
    reviewed_at: datetime | None
    near_duplicate: bool
    channel: str
    created_at: datetime
    files: tuple[FileInfo, ...]


async def review_queue(conn: AsyncConnection, limit: int = 50) -> list[QueueEntry]:
    """Pieces waiting for review, oldest first (``ix_evidence_review``)."""
    rows = await conn.execute(
        _with_file_count()
        .where(E.c.status == Review.PENDING.value)
        .order_by(E.c.created_at, E.c.id)
        .limit(limit)
    )
    return [
        QueueEntry(r.id, r.person_id, EvidenceKind(r.kind), r.act_on, int(r.files or 0),
                   r.near_duplicate, r.created_at)
        for r in rows
    ]  # fmt: skip


async def evidence_detail(conn: AsyncConnection, evidence_id: int) -> EvidenceDetail | None:
    row = (await conn.execute(select(E).where(E.c.id == evidence_id))).first()
    if row is None:
        return None
    near = F.alias("near")
    files = await conn.execute(
        select(F, near.c.evidence_id.label("near_evidence_id"),
               near.c.person_id.label("near_person_id"))
        .outerjoin(near, near.c.id == F.c.near_file_id)
        .where(F.c.evidence_id == evidence_id)
        .order_by(F.c.id)
    )  # fmt: skip
    return EvidenceDetail(
        id=row.id, person_id=row.person_id, kind=EvidenceKind(row.kind), company=row.company,
        act_on=row.act_on, status=Review(row.status), reason=row.reason or "",
        reviewer=row.reviewer or "", reviewed_at=row.reviewed_at,
        near_duplicate=row.near_duplicate, channel=row.channel, created_at=row.created_at,
        files=tuple(
            FileInfo(f.id, f.ref, f.mime, f.width, f.height, f.size, f.near_file_id,
                     f.near_distance, f.near_evidence_id, f.near_person_id)
            for f in files
        ),
    )  # fmt: skip


async def set_review(
    conn: AsyncConnection,
    evidence_id: int,
    status: Review,
    reason: str,
    reviewer: str,
    now: datetime,
) -> tuple[int, date] | None:
    """Decide a piece; returns (person id, act date), or None when there is no such piece or
    it was already decided the same way with the same reason. The person's version is bumped
    (a turn computed meanwhile is computed again)."""
    row = (
        await conn.execute(
            select(E.c.person_id, E.c.act_on, E.c.status, E.c.reason).where(E.c.id == evidence_id)
        )
    ).first()
    if row is None or (row.status == status.value and (row.reason or "") == reason):
        return None
    await conn.execute(
        update(E)
        .where(E.c.id == evidence_id)
        .values(status=status.value, reason=reason or None, reviewer=reviewer[:64],
                reviewed_at=now)
    )  # fmt: skip
    await bump_version(conn, row.person_id)
    return int(row.person_id), row.act_on


# -- wiring --------------------------------------------------------------------------------
def register(
    services: Services, rules: RuleSettings, settings: EvidenceSettings, files: FileStore
) -> None:
    """Answer the evidence queries, apply its effects, delete a deleted person's files."""
    from bot.records.progress import refresh_progress

    def person(scope: Scope) -> int:
        if scope.person_id is None:
            raise LookupError("no person yet: evidence is recorded after first contact")
        return scope.person_id

    def delete_after_commit(scope: Scope, refs: set[str]) -> None:
        if refs:

            async def delete_files() -> None:
                await files.delete_many(sorted(refs))

            scope.after_commit.append(delete_files)

    @services.on_query(EvidenceQuery)
    async def _evidence(
        conn: AsyncConnection, scope: Scope, _: EvidenceQuery
    ) -> tuple[EvidenceItem, ...]:
        return await load_evidence(conn, scope.person_id)

    @services.on_query(UploadSeenQuery)
    async def _seen(conn: AsyncConnection, scope: Scope, q: UploadSeenQuery) -> bool:
        return await upload_seen(conn, scope.person_id, q.sha256)

    @services.on_effect(StageUpload)
    async def _stage(conn: AsyncConnection, scope: Scope, e: StageUpload) -> None:
        await stage_upload(
            conn, person(scope), e.upload, scope.now, settings.near_duplicate_distance
        )

    @services.on_effect(DiscardUploads)
    async def _discard(conn: AsyncConnection, scope: Scope, e: DiscardUploads) -> None:
        delete_after_commit(scope, await discard_uploads(conn, person(scope), e.refs))

    @services.on_effect(RecordEvidence)
    async def _record(conn: AsyncConnection, scope: Scope, e: RecordEvidence) -> None:
        person_id = person(scope)
        await record_evidence(conn, person_id, e, scope.now, scope.channel)
        await refresh_progress(conn, person_id, scope.now, rules, days=(e.day,))

    @services.on_delete
    async def _forget(conn: AsyncConnection, scope: Scope, person_id: int) -> None:
        delete_after_commit(scope, await person_refs(conn, person_id))
