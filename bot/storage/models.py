"""Tables. Every schema change comes with an Alembic migration (bot/storage/migrations)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.crypto import EncryptedJSON

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        datetime: DateTime(timezone=True),
    }


class User(Base):
    """One person on one channel. Before consent only the address is kept."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))  # chat id / phone number
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    consent: Mapped[str] = mapped_column(String(16), default="none")
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consent_at: Mapped[datetime | None]
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)


class Conversation(Base):
    """Where the user is in which dialog, and their answers (JSON)."""

    __tablename__ = "conversations"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    updated_at: Mapped[datetime]


class ConsentEvent(Base):
    """Proof of consent (UU 27/2022 Pasal 24): each grant and decline, with the notice version."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # granted | declined
    notice_version: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]


class ProcessedEvent(Base):
    """Inbound events already handled, so that a redelivered update is processed once."""

    __tablename__ = "processed_events"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)


class HandoffRequest(Base):
    """A request to talk to a person; a later issue gives the queue to counselors."""

    __tablename__ = "handoff_requests"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    context: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class OutboxMessage(Base):
    """Every message to a user goes through here; one sender drains it per channel."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "channel", "status", "not_before"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)  # {"parts": [...]}
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|dropped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))


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
import bot.vacancies.tables  # noqa: E402, F401
