"""The catalogue's tables, on the application's metadata (so Alembic sees them).

What the migration creates by hand for search (SQLite FTS5 tables and their triggers, the
PostgreSQL generated ``tsvector`` column and GIN indexes) is listed in
``Base.metadata.info["unmanaged"]``, so autogenerate and the models-match-migrations test
leave it alone (see :func:`bot.storage.models.include_name`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, Id

# Made by the migration with dialect-specific DDL (0003_vacancies.py).
UNMANAGED = {
    "vacancy_fts",  # SQLite FTS5 over vacancies (and its shadow tables vacancy_fts_*)
    "vacancy_terms_fts",  # SQLite FTS5 trigram index over the vocabulary
    "vacancies.search_vector",  # PostgreSQL generated tsvector column
    "ix_vacancies_search",  # PostgreSQL GIN on search_vector, open vacancies only
    "ix_vacancies_recent",  # PostgreSQL (id) INCLUDE (search_vector), open vacancies only
    "ix_vacancy_terms_trgm",  # PostgreSQL pg_trgm GIN on vacancy_terms.term
    "ix_vacancies_open_regency",  # (regency_code, id), open only; PostgreSQL: with INCLUDE
    "ix_vacancies_open_province",  # (province_code, id), open only; PostgreSQL: with INCLUDE
}
Base.metadata.info.setdefault("unmanaged", set()).update(UNMANAGED)


class Vacancy(Base):
    """One vacancy, keyed by where it comes from (source, source_id)."""

    __tablename__ = "vacancies"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        Index("ix_vacancies_status_id", "status", "id"),
        Index("ix_vacancies_status_closes_at", "status", "closes_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    company: Mapped[str] = mapped_column(String(200))
    occupation_code: Mapped[str | None] = mapped_column(String(4))  # ISCO-08 / KBJI unit group
    job_group: Mapped[str | None] = mapped_column(String(2))  # its sub-major group
    province_code: Mapped[str | None] = mapped_column(String(2))  # Kemendagri
    regency_code: Mapped[str | None] = mapped_column(String(4))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="ID")  # ISO 3166 alpha-2
    openings: Mapped[int] = mapped_column(Integer, default=1)
    wage_min: Mapped[int | None] = mapped_column(BigInteger)  # rupiah a month
    wage_max: Mapped[int | None] = mapped_column(BigInteger)
    employment_type: Mapped[str] = mapped_column(String(8))  # pkwt|pkwtt|harian|magang|lainnya
    education_min: Mapped[str | None] = mapped_column(String(3))
    age_max: Mapped[int | None] = mapped_column(SmallInteger)
    sex: Mapped[str] = mapped_column(String(5), default="semua")  # L|P|semua
    disability_friendly: Mapped[bool] = mapped_column(Boolean, default=False)
    posted_at: Mapped[date] = mapped_column(Date)
    closes_at: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    requirements: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(500))
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | closed
    search_text: Mapped[str] = mapped_column(Text)  # see bot/vacancies/terms.py
    search_tags: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class VacancyTerm(Base):
    """The vocabulary of open vacancies (title and company words, and the filter tags) with
    how many open vacancies carry each: prefix and typo lookups, category counts."""

    __tablename__ = "vacancy_terms"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)  # FTS5 rowid
    term: Mapped[str] = mapped_column(String(64), unique=True)
    df: Mapped[int] = mapped_column(Integer, default=0)


class VacancyFeed(Base):
    """The state of a feed (VACANCY_FEED_URL) for conditional GET."""

    __tablename__ = "vacancy_feeds"

    url: Mapped[str] = mapped_column(String(500), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[datetime]
    changed_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))  # loaded | not_modified | failed
    detail: Mapped[str | None] = mapped_column(String(200))
