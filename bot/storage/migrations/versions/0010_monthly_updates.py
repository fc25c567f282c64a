"""monthly updates: monthly_notices (which monthly message went to whom, per benefit month),
job_runs (when each periodic job last ran, for catching up once after downtime)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "monthly_notices",
        sa.Column("person_id", Id, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("queued_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_monthly_notices_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "number", "kind", name="pk_monthly_notices"),
    )  # fmt: skip
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("last_run_at", WHEN, nullable=False),
        sa.Column("last_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_job_runs"),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
    op.drop_table("monthly_notices")
