"""evidence of the monthly job search and its photos

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "evidence",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("person_id", Id, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("company", sa.Text(), nullable=False),
        sa.Column("act_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("near_duplicate", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_evidence_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_evidence"),
    )  # fmt: skip
    op.create_index("ix_evidence_review", "evidence", ["status", "created_at"])
    op.create_index("ix_evidence_person_act", "evidence", ["person_id", "act_on"])
    op.create_table(
        "evidence_files",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("person_id", Id, nullable=False),
        sa.Column("evidence_id", Id, nullable=True),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("sha_key", sa.String(64), nullable=False),
        sa.Column("phash", sa.BigInteger(), nullable=False),
        sa.Column("dhash", sa.BigInteger(), nullable=False),
        sa.Column("near_file_id", Id, nullable=True),
        sa.Column("near_distance", sa.Integer(), nullable=True),
        sa.Column("mime", sa.String(32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_evidence_files_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence.id"], name="fk_evidence_files_evidence_id_evidence",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["near_file_id"], ["evidence_files.id"],
            name="fk_evidence_files_near_file_id_evidence_files", ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_files"),
    )  # fmt: skip
    op.create_index("ix_evidence_files_evidence_id", "evidence_files", ["evidence_id"])
    op.create_index("ix_evidence_files_person_sha", "evidence_files", ["person_id", "sha_key"])


def downgrade() -> None:
    op.drop_table("evidence_files")
    op.drop_table("evidence")
