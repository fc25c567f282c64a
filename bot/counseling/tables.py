"""Counseling's tables (issue 11), on the application's metadata so Alembic sees them
(migration 0008_counseling.py).

- ``counselors``: the staff an operator registered (``jkp-bot counselors add``); never
  deleted, only made inactive, so the audit keeps saying who did what.
- ``counselees``: a person registered as a counselee (Pedoman 3.6 step 2), the forum topic
  of the counselors' group that is theirs, and ``in_session``: the session that has the
  conversation now. The engine's snapshot joins this table: that column is the takeover
  flag the router reads before any dialog.
- ``counseling_sessions``: one request and what became of it (waiting, scheduled, active,
  done, declined, cancelled, missed), scheduled or urgent (PETUGAS).
- ``counseling_entries``: the worksheet's body — the transcript (what the counselor asked
  and the person answered), notes, recommendations and what was applied to.
- ``counselor_audit``: every time a counselor opens or acts on a person's record. On HAPUS
  the person's rows are unlinked (``person_id`` and ``session_id`` set to NULL): what is kept
  is that a counselor did an action at a time, on nobody anymore.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.crypto import EncryptedJSON, EncryptedText
from bot.storage.models import Base, Id


class Counselor(Base):
    """A Konselor Karir who works from the counselors' Telegram group."""

    __tablename__ = "counselors"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(EncryptedText)
    profile: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)  # title, office
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class Counselee(Base):
    """A person registered as a counselee; their topic; the session in progress, if any."""

    __tablename__ = "counselees"

    person_id: Mapped[int] = mapped_column(
        Id, ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    registered_at: Mapped[datetime]
    topic_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    in_session: Mapped[int | None] = mapped_column(Id)  # counseling_sessions.id


class CounselingSession(Base):
    """One request for counseling and what became of it."""

    __tablename__ = "counseling_sessions"
    __table_args__ = (
        Index("ix_counseling_sessions_due", "status", "scheduled_at"),
        Index("ix_counseling_sessions_waiting", "status", "kind", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(
        Id, ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # scheduled | urgent
    # waiting | scheduled | active | done | declined | cancelled | missed
    status: Mapped[str] = mapped_column(String(16))
    counselor_id: Mapped[int | None] = mapped_column(Id, ForeignKey("counselors.id"))
    requested_at: Mapped[datetime]
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    reminded: Mapped[int] = mapped_column(Integer, default=0)  # stages sent: 1 day, 2 hour, 3 now
    wait_told: Mapped[bool] = mapped_column(Boolean, default=False)
    # reason, context, decline reason, who ended it, the worksheet's snapshot: personal
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)


class CounselingEntry(Base):
    """One line of a session's worksheet: a message, a note, a recommendation."""

    __tablename__ = "counseling_entries"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(
        Id, ForeignKey("counseling_sessions.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        Id, ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(16))  # counselor | person | system
    # message | photo | document | note | recommendation | applied
    kind: Mapped[str] = mapped_column(String(16))
    counselor_id: Mapped[int | None] = mapped_column(Id, ForeignKey("counselors.id"))
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)


class CounselorAudit(Base):
    """Who (a counselor, or an operator) opened or acted on whose record, when, how."""

    __tablename__ = "counselor_audit"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    counselor_id: Mapped[int | None] = mapped_column(Id, ForeignKey("counselors.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))  # "counselor", "operator:<login>"
    person_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(Id)
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(200), default="")  # never personal data
