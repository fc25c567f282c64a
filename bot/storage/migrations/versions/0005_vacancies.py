"""vacancies: the catalogue, its vocabulary, the feed state, and full-text search

SQLite: an external-content FTS5 table over the open vacancies (kept by triggers) and an FTS5
trigram index over the vocabulary. PostgreSQL: a generated tsvector column with a partial GIN
index, and pg_trgm on the vocabulary. See bot/vacancies/terms.py.

Note for later migrations: a batch ALTER of ``vacancies`` on SQLite recreates the table and
drops its triggers; create them again (the triggers of SQLITE_UP) after one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 07:46:21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

SQLITE_UP = [
    # Only open vacancies are indexed; rowid = vacancies.id.
    """CREATE VIRTUAL TABLE vacancy_fts USING fts5(
        search_text, search_tags, content='vacancies', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', detail='column')""",
    """CREATE TRIGGER vacancies_fts_insert AFTER INSERT ON vacancies
    WHEN new.status = 'open' BEGIN
        INSERT INTO vacancy_fts(rowid, search_text, search_tags)
        VALUES (new.id, new.search_text, new.search_tags);
    END""",
    """CREATE TRIGGER vacancies_fts_delete AFTER DELETE ON vacancies
    WHEN old.status = 'open' BEGIN
        INSERT INTO vacancy_fts(vacancy_fts, rowid, search_text, search_tags)
        VALUES ('delete', old.id, old.search_text, old.search_tags);
    END""",
    """CREATE TRIGGER vacancies_fts_update
    AFTER UPDATE OF status, search_text, search_tags ON vacancies BEGIN
        INSERT INTO vacancy_fts(vacancy_fts, rowid, search_text, search_tags)
        SELECT 'delete', old.id, old.search_text, old.search_tags WHERE old.status = 'open';
        INSERT INTO vacancy_fts(rowid, search_text, search_tags)
        SELECT new.id, new.search_text, new.search_tags WHERE new.status = 'open';
    END""",
    # Recommendations: the newest open vacancies of a regency or a province, with what the
    # profile is compared with (covering: the table is not read to choose them).
    """CREATE INDEX ix_vacancies_open_regency
    ON vacancies (regency_code, id, job_group, occupation_code) WHERE status = 'open'""",
    """CREATE INDEX ix_vacancies_open_province
    ON vacancies (province_code, id, regency_code, job_group, occupation_code)
    WHERE status = 'open'""",
    # Typo candidates: words sharing 3-letter pieces with the typed one. The word is padded
    # as pg_trgm pads it ("  guru "), so its first letters count too.
    """CREATE VIRTUAL TABLE vacancy_terms_fts USING fts5(
        term, tokenize='trigram', detail='none')""",
    """CREATE TRIGGER vacancy_terms_fts_insert AFTER INSERT ON vacancy_terms BEGIN
        INSERT INTO vacancy_terms_fts(rowid, term) VALUES (new.id, '  ' || new.term || ' ');
    END""",
    """CREATE TRIGGER vacancy_terms_fts_delete AFTER DELETE ON vacancy_terms BEGIN
        DELETE FROM vacancy_terms_fts WHERE rowid = old.id;
    END""",
]
SQLITE_DOWN = [
    "DROP INDEX IF EXISTS ix_vacancies_open_province",
    "DROP INDEX IF EXISTS ix_vacancies_open_regency",
    "DROP TRIGGER IF EXISTS vacancy_terms_fts_delete",
    "DROP TRIGGER IF EXISTS vacancy_terms_fts_insert",
    "DROP TABLE IF EXISTS vacancy_terms_fts",
    "DROP TRIGGER IF EXISTS vacancies_fts_update",
    "DROP TRIGGER IF EXISTS vacancies_fts_delete",
    "DROP TRIGGER IF EXISTS vacancies_fts_insert",
    "DROP TABLE IF EXISTS vacancy_fts",
]
POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """ALTER TABLE vacancies ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text || ' ' || search_tags))
    STORED""",
    """CREATE INDEX ix_vacancies_search ON vacancies USING gin (search_vector)
    WHERE status = 'open'""",
    # Recommendations: the newest open vacancies of a regency or a province, with what the
    # profile is compared with, read without the table.
    """CREATE INDEX ix_vacancies_open_regency ON vacancies (regency_code, id)
    INCLUDE (job_group, occupation_code) WHERE status = 'open'""",
    """CREATE INDEX ix_vacancies_open_province ON vacancies (province_code, id)
    INCLUDE (regency_code, job_group, occupation_code)
    WHERE status = 'open'""",
    # The newest open vacancies with their words, read backwards without the table.
    """CREATE INDEX ix_vacancies_recent ON vacancies (id) INCLUDE (search_vector)
    WHERE status = 'open'""",
    "CREATE INDEX ix_vacancy_terms_trgm ON vacancy_terms USING gin (term gin_trgm_ops)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_vacancy_terms_trgm",
    "DROP INDEX IF EXISTS ix_vacancies_recent",
    "DROP INDEX IF EXISTS ix_vacancies_open_province",
    "DROP INDEX IF EXISTS ix_vacancies_open_regency",
    "DROP INDEX IF EXISTS ix_vacancies_search",
    "ALTER TABLE vacancies DROP COLUMN IF EXISTS search_vector",
    # pg_trgm stays: other objects may use it, and creating it again is harmless.
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "vacancies",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("occupation_code", sa.String(length=4), nullable=True),
        sa.Column("job_group", sa.String(length=2), nullable=True),
        sa.Column("province_code", sa.String(length=2), nullable=True),
        sa.Column("regency_code", sa.String(length=4), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("openings", sa.Integer(), nullable=False),
        sa.Column("wage_min", sa.BigInteger(), nullable=True),
        sa.Column("wage_max", sa.BigInteger(), nullable=True),
        sa.Column("employment_type", sa.String(length=8), nullable=False),
        sa.Column("education_min", sa.String(length=3), nullable=True),
        sa.Column("age_max", sa.SmallInteger(), nullable=True),
        sa.Column("sex", sa.String(length=5), nullable=False),
        sa.Column("disability_friendly", sa.Boolean(), nullable=False),
        sa.Column("posted_at", sa.Date(), nullable=False),
        sa.Column("closes_at", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("requirements", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("search_tags", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacancies")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_vacancies_source")),
    )
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.create_index(
            "ix_vacancies_status_closes_at", ["status", "closes_at"], unique=False
        )
        batch_op.create_index("ix_vacancies_status_id", ["status", "id"], unique=False)

    op.create_table(
        "vacancy_feeds",
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("etag", sa.String(length=200), nullable=True),
        sa.Column("last_modified", sa.String(length=64), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_vacancy_feeds")),
    )
    op.create_table(
        "vacancy_terms",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacancy_terms")),
        sa.UniqueConstraint("term", name=op.f("uq_vacancy_terms_term")),
    )
    if op.get_bind().dialect.name == "sqlite":
        _run(SQLITE_UP)
    else:
        _run(POSTGRES_UP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _run(SQLITE_DOWN)
    else:
        _run(POSTGRES_DOWN)
    op.drop_table("vacancy_terms")
    op.drop_table("vacancy_feeds")
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.drop_index("ix_vacancies_status_id")
        batch_op.drop_index("ix_vacancies_status_closes_at")
    op.drop_table("vacancies")
