"""Tables. Every schema change comes with an Alembic migration (bot/storage/migrations).

A **person** (the beneficiary) owns one or more channel **identities** (a Telegram chat, a phone
number for SMS/WhatsApp, a console name). Consent, opt-out and retention are per person;
"blocked" is per identity. Each identity has its own **conversation** (where it is in which
dialog: in-progress answers only). What a person has told us and chosen to keep lives in the
**records** tables, owned by the records layer (bot/records): profile entries, assessment
results, the job-seeker registration and the last eligibility check.

Personal fields are encrypted at rest (``Encrypted*`` columns); what sweeps and queries need
(time zone, benefit start, registration status, province, opt-out) are plain, indexed columns.
An address is found by its keyed hash (``address_hash``), never by its plain value.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bot.storage.crypto import EncryptedJSON, EncryptedText

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only


class UTCDateTime(TypeDecorator[datetime]):
    """A moment, stored in UTC and read back aware on every database (SQLite drops the
    offset of what it stores, so everything is converted to UTC first)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        datetime: UTCDateTime(),
        date: Date,
    }


def table(model: type[Base]) -> Table:
    """A model's table, typed for SQLAlchemy Core statements."""
    return cast(Table, model.__table__)


def _person_fk() -> Any:
    return mapped_column(Id, ForeignKey("persons.id", ondelete="CASCADE"), index=True)


# -- people, their channels, their conversations -------------------------------------------
class Person(Base):
    """One beneficiary, whatever channels they use. Before consent nothing personal is kept."""

    __tablename__ = "persons"
    __table_args__ = (Index("ix_persons_sweep", "consent", "opted_out", "benefit_start"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(index=True)
    consent: Mapped[str] = mapped_column(String(16), default="none")  # none|granted|declined
    consent_version: Mapped[str | None] = mapped_column(String(64))
    consent_at: Mapped[datetime | None]
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped by every write to the person's conversations or records: a turn computed on an
    # older snapshot is recomputed (optimistic concurrency across processes).
    version: Mapped[int] = mapped_column(Integer, default=0)
    # IANA zone from the registered province (WIB/WITA/WIT); None: the bot's own zone.
    tz: Mapped[str | None] = mapped_column(String(32), index=True)
    benefit_start: Mapped[date | None] = mapped_column(index=True)


class Identity(Base):
    """One channel address of a person. ``address_hash`` = HMAC(pepper, channel:address)."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("channel", "address_hash"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = _person_fk()
    channel: Mapped[str] = mapped_column(String(16))
    address_hash: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(EncryptedText)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    last_inbound_at: Mapped[datetime | None]


class Conversation(Base):
    """Where an identity is in which dialog: in-progress answers only (JSON, encrypted)."""

    __tablename__ = "conversations"

    identity_id: Mapped[int] = mapped_column(
        Id, ForeignKey("identities.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = _person_fk()
    state: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    updated_at: Mapped[datetime]


class ConsentEvent(Base):
    """Proof of consent (UU 27/2022 Pasal 24): each grant and decline, with the notice version."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = _person_fk()
    action: Mapped[str] = mapped_column(String(16))  # granted | declined
    notice_version: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class ProcessedEvent(Base):
    """Events already handled (a channel's update id, a system event's key), so that a
    redelivered one is processed once."""

    __tablename__ = "processed_events"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)


class HandoffRequest(Base):
    """A request to talk to a person; the counseling issue gives the queue to counselors."""

    __tablename__ = "handoff_requests"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = _person_fk()
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    context: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class OutboxMessage(Base):
    """Every message to a user goes through here; senders claim rows and deliver them.

    ``chat_key`` (the identity's address hash) orders and groups a chat's messages without
    reading its address; ``address`` is decrypted by the sender only. A row without a person
    (the goodbye after HAPUS) is deleted once sent or given up, so nothing of them remains.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "channel", "status", "not_before"),
        Index("ix_outbox_chat", "chat_key", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_key: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(EncryptedText)
    person_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)  # {"parts": [...]}
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    essential: Mapped[bool] = mapped_column(Boolean, default=False)
    # pending | sent | dropped (permanent error) | failed (unreadable) | expired (too old)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))


class AppSecret(Base):
    """Secrets the application keeps for itself, encrypted with the data key (the pepper of
    the address hashes: rotating the data key re-encrypts it and keeps the hashes valid)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(EncryptedText)


# -- records ------------------------------------------------------------------------------
class ProfileEntry(Base):
    """One entry of a resume section (Pedoman 3.3 step 5); single sections have one entry."""

    __tablename__ = "profile_entries"
    __table_args__ = (Index("ix_profile_entries_person_section", "person_id", "section"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(Id, ForeignKey("persons.id", ondelete="CASCADE"))
    section: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    updated_at: Mapped[datetime]


class AssessmentResult(Base):
    """One completed self-assessment (Pedoman 3.4): jobs, interest scores, top groups."""

    __tablename__ = "assessment_results"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = _person_fk()
    taken_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)


class Registration(Base):
    """The job-seeker registration (Pedoman 3.5 steps 1–5). The desired job and the
    disability answer are encrypted; status, province and occupation code are plain."""

    __tablename__ = "registrations"

    person_id: Mapped[int] = mapped_column(
        Id, ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)  # ter_phk
    province_code: Mapped[str | None] = mapped_column(String(2), index=True)
    occupation_code: Mapped[str | None] = mapped_column(String(4))
    country: Mapped[str | None] = mapped_column(String(2))
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    saved_at: Mapped[datetime]


class EligibilityCheck(Base):
    """The last finished eligibility check: verdict, claim deadline, the answers kept."""

    __tablename__ = "eligibility_checks"

    person_id: Mapped[int] = mapped_column(
        Id, ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    verdict: Mapped[str] = mapped_column(String(16))
    claim_deadline: Mapped[date | None]
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    checked_at: Mapped[datetime]


class BenefitMonthRow(Base):
    """One benefit month of a person (bot/rules/ledger.py ``benefit_month``) and its progress
    against the job-search requirement, kept up to date whenever an application or a piece
    of evidence changes, so sweeps select people by plain, indexed columns."""

    __tablename__ = "benefit_months"
    __table_args__ = (
        Index("ix_benefit_months_starts_on", "starts_on"),
        Index("ix_benefit_months_nudge_on", "nudge_on", "met"),
        Index("ix_benefit_months_warn", "warn_on", "ends_on", "met"),
    )

    person_id: Mapped[int] = mapped_column(
        Id, ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1..BENEFIT_MONTHS
    starts_on: Mapped[date]
    ends_on: Mapped[date]  # exclusive: the next month's first day
    nudge_on: Mapped[date]  # mid-month: a nudge to people who are behind
    warn_on: Mapped[date]  # the first of the last three days
    met: Mapped[bool] = mapped_column(Boolean, default=False)
    met_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    catalogue_done: Mapped[int] = mapped_column(Integer, default=0)
    outside_done: Mapped[int] = mapped_column(Integer, default=0)
    invitations_done: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, default=0)
    mission_points: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class Application(Base):
    """An application made through the assistant (Pedoman 3.5 step 10, "Lamar Sekarang"). It
    outlives the vacancy (a feed may drop it): the vacancy's source and id, what it was and
    the CV sent are kept with it, encrypted. ``applied_on`` (the person's local date) places it
    in a benefit month; ``status`` is told to the person when it changes."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("person_id", "source", "source_id"),
        Index("ix_applications_person_applied", "person_id", "applied_on"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(Id, ForeignKey("persons.id", ondelete="CASCADE"))
    vacancy_id: Mapped[int | None] = mapped_column(Id)  # the catalogue row, while it exists
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(128))
    via: Mapped[str] = mapped_column(String(16), default="catalogue")  # catalogue | counselor
    applied_at: Mapped[datetime]
    applied_on: Mapped[date]
    # sent | seen | invited | rejected | accepted
    status: Mapped[str] = mapped_column(String(16), default="sent")
    status_at: Mapped[datetime]
    # {"title", "company", "city", ...} and the CV snapshot: personal, encrypted
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)


class EvidenceRow(Base):
    """A piece of evidence of the monthly job search (Pedoman 2.2 angka 5, 3.7): proof of an
    application made outside the catalogue or of an invitation to a test or interview, for a
    company (encrypted) on the date of the act (``act_on``, which places it in a benefit
    month), with its review: pending, accepted, or rejected with a reason (encrypted). Its
    photos are :class:`EvidenceFile` rows; ``near_duplicate`` flags a photo that looks like
    another person's, for the reviewer."""

    __tablename__ = "evidence"
    __table_args__ = (
        Index("ix_evidence_review", "status", "created_at"),
        Index("ix_evidence_person_act", "person_id", "act_on"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(Id, ForeignKey("persons.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # application | invitation
    company: Mapped[str] = mapped_column(EncryptedText)
    act_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # | accepted | rejected
    reason: Mapped[str | None] = mapped_column(EncryptedText)  # why it was rejected
    reviewer: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None]
    near_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(16))  # where it was sent from
    created_at: Mapped[datetime]


class EvidenceFile(Base):
    """One stored photo (bot/evidence/files.py): ``ref`` names the encrypted file under
    ``EVIDENCE_DIR``. A photo received while the piece is still being put together has no
    ``evidence_id`` yet (staged). ``sha_key`` is a keyed hash of the photo's sha256 (the same
    photo twice from one person is refused); ``phash`` and ``dhash`` its perceptual and
    difference hashes as signed 64-bit integers (near-duplicates across persons: both must be
    near); ``near_file_id`` is the other person's photo it resembles, kept for the reviewer."""

    __tablename__ = "evidence_files"
    __table_args__ = (Index("ix_evidence_files_person_sha", "person_id", "sha_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(Id, ForeignKey("persons.id", ondelete="CASCADE"))
    evidence_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    ref: Mapped[str] = mapped_column(String(64))
    sha_key: Mapped[str] = mapped_column(String(64))
    phash: Mapped[int] = mapped_column(BigInteger)
    dhash: Mapped[int] = mapped_column(BigInteger)
    near_file_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("evidence_files.id", ondelete="SET NULL")
    )
    near_distance: Mapped[int | None] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


def _unmanaged(name: str | None, type_: str, table: str | None) -> bool:
    """Made by migrations with dialect-specific DDL, listed in ``metadata.info["unmanaged"]``
    (a table also covers its SQLite shadow tables, ``<name>_data`` etc.)."""
    names: set[str] = Base.metadata.info.get("unmanaged", set())
    if name is None:
        return False
    if type_ == "column":
        return f"{table}.{name}" in names
    if type_ == "table":
        return any(name == n or name.startswith(n + "_") for n in names)
    return name in names


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic ``include_name``: skip what :func:`_unmanaged` lists, before reflection."""
    return not _unmanaged(name, type_, parent_names.get("table_name"))


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    """Alembic ``include_object``: the same for the metadata side."""
    table = getattr(getattr(obj, "table", None), "name", None)
    return not _unmanaged(name, type_, table)


# Tables of other packages share this metadata (imported last: they subclass Base).
import bot.counseling.tables  # noqa: E402
import bot.link.tables  # noqa: E402
import bot.records.monthly_tables  # noqa: E402
import bot.records.placement_table  # noqa: E402
import bot.vacancies.tables  # noqa: E402, F401
