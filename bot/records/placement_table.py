"""The ``placements`` table (issue 10), on the application's metadata so Alembic sees it
(migration 0008_placements.py).

One row per placement report: *started* when the person gives the date they were hired,
*reported* when they confirm it. What is personal (the company, the position) is encrypted;
what the reminder sweep and the monthly sweeps query is plain and indexed: the status, the
hire date, the deadline, the next reminder day (``next_remind_on``, NULL once none is left)
and when it was reported. ``file_ref`` names the photo of the offer letter or contract (a
keyed name, not readable; the file is an evidence file row of the same person, deleted with
them).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.crypto import EncryptedText
from bot.storage.models import Base, Id


class Placement(Base):
    """A person's report of being hired (Pedoman 3.7)."""

    __tablename__ = "placements"
    __table_args__ = (
        Index("ix_placements_due", "status", "next_remind_on"),
        Index("ix_placements_placed", "status", "person_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(
        Id, ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))  # started | reported
    hired_on: Mapped[date]
    deadline: Mapped[date]
    next_remind_on: Mapped[date | None]
    company: Mapped[str | None] = mapped_column(EncryptedText)
    position: Mapped[str | None] = mapped_column(EncryptedText)
    file_ref: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    reported_at: Mapped[datetime | None]
