"""Tables of the monthly progress updates (issue 10), on the application's metadata so Alembic
sees them (migration 0010_monthly_updates.py).

- ``monthly_notices``: which monthly message a person was sent for which benefit month
  (``start``, ``nudge``, ``warn``), written in the same transaction as the message itself.
  A sweep selects with ``NOT EXISTS`` on it, so a person is selected once per message even
  when the sweep runs again, catches up after downtime, or runs in two processes. No
  personal field; it goes with the person (foreign key, HAPUS, retention) and DATA shows it.
- ``job_runs``: when each periodic job last ran (not per person), so a scheduler started
  after days of downtime catches up once, at start, not once per missed run.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, Id


class MonthlyNotice(Base):
    """One monthly message queued for one person and benefit month."""

    __tablename__ = "monthly_notices"

    person_id: Mapped[int] = mapped_column(
        Id, ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)  # the benefit month
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # start | nudge | warn
    queued_at: Mapped[datetime]


class JobRun(Base):
    """The last run of a periodic job (any process)."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime]
    last_count: Mapped[int] = mapped_column(Integer, default=0)
