"""Linking's tables (migration 0009_identity_links.py), on the application's metadata.

- ``link_codes``: a 6-digit code sent by SMS to a number a person wants to link. Only a keyed
  hash of the code is kept (with a random salt), the number encrypted with its keyed lookup
  hash (``phone_hash`` = the SMS identity's ``address_hash``). A code is ``pending`` until it
  is ``used``, ``void`` (too many wrong tries) or ``replaced`` by a newer one; it expires at
  ``expires_at``. The rows of the last hour are what the rate limits count.
- ``sms_usage``: SMS segments the bot started itself for a person in a calendar month
  (fallback messages and link codes), for the monthly budget.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.crypto import EncryptedText
from bot.storage.models import Base, Id


class LinkCode(Base):
    __tablename__ = "link_codes"
    __table_args__ = (Index("ix_link_codes_phone_created", "phone_hash", "created_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(
        Id, ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    phone_hash: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(EncryptedText)
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class SmsUsage(Base):
    __tablename__ = "sms_usage"

    person_id: Mapped[int] = mapped_column(
        Id, ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-12", bot's zone
    segments: Mapped[int] = mapped_column(Integer, default=0)
