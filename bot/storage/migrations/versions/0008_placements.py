"""placements: the placement report ("Lapor diterima kerja") and its reminder schedule

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "placements",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("person_id", Id, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("hired_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("next_remind_on", sa.Date(), nullable=True),
        sa.Column("company", sa.Text(), nullable=True),
        sa.Column("position", sa.Text(), nullable=True),
        sa.Column("file_ref", sa.String(64), nullable=True),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("reported_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_placements_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_placements"),
    )  # fmt: skip
    op.create_index("ix_placements_person_id", "placements", ["person_id"])
    op.create_index("ix_placements_due", "placements", ["status", "next_remind_on"])
    op.create_index("ix_placements_placed", "placements", ["status", "person_id"])


def downgrade() -> None:
    op.drop_index("ix_placements_placed", table_name="placements")
    op.drop_index("ix_placements_due", table_name="placements")
    op.drop_index("ix_placements_person_id", table_name="placements")
    op.drop_table("placements")
