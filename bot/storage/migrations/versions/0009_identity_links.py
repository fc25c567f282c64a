"""identity links: link codes sent by SMS, SMS segments spent per person and month

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "link_codes",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("person_id", Id, nullable=False),
        sa.Column("phone_hash", sa.String(64), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_link_codes_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_link_codes"),
    )  # fmt: skip
    op.create_index("ix_link_codes_person_id", "link_codes", ["person_id"])
    op.create_index("ix_link_codes_phone_created", "link_codes", ["phone_hash", "created_at"])
    op.create_table(
        "sms_usage",
        sa.Column("person_id", Id, nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_sms_usage_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "month", name="pk_sms_usage"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("sms_usage")
    op.drop_table("link_codes")
