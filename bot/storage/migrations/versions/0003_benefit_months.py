"""benefit months: each person's months of the benefit and their progress

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "benefit_months",
        sa.Column("person_id", Id, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("nudge_on", sa.Date(), nullable=False),
        sa.Column("warn_on", sa.Date(), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("met_confirmed", sa.Boolean(), nullable=False),
        sa.Column("catalogue_done", sa.Integer(), nullable=False),
        sa.Column("outside_done", sa.Integer(), nullable=False),
        sa.Column("invitations_done", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("mission_points", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_benefit_months_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "number", name="pk_benefit_months"),
    )  # fmt: skip
    op.create_index("ix_benefit_months_starts_on", "benefit_months", ["starts_on"])
    op.create_index("ix_benefit_months_nudge_on", "benefit_months", ["nudge_on", "met"])
    op.create_index("ix_benefit_months_warn", "benefit_months", ["warn_on", "ends_on", "met"])
    # Persons whose benefit start was already known get their months.
    conn = op.get_bind()
    persons = sa.table("persons", sa.column("id", Id), sa.column("benefit_start", sa.Date))
    rows = conn.execute(
        sa.select(persons.c.id, persons.c.benefit_start).where(persons.c.benefit_start.is_not(None))
    ).all()
    if rows:
        from datetime import UTC, datetime

        from bot.records.benefit import month_rows

        now = datetime.now(UTC)
        table = sa.table("benefit_months", *(sa.column(c) for c in (
            "person_id", "number", "starts_on", "ends_on", "nudge_on", "warn_on", "met",
            "met_confirmed", "catalogue_done", "outside_done", "invitations_done", "pending",
            "mission_points", "updated_at")))  # fmt: skip
        for person_id, start in rows:
            conn.execute(table.insert(), month_rows(person_id, start, now))


def downgrade() -> None:
    op.drop_table("benefit_months")
