"""counseling: counselors, counselees (topic, takeover flag), sessions, worksheet entries, audit

Chained on 0005 for now: 0006 and 0007 are written in parallel; the merge re-chains them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "counselors",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("removed_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_counselors"),
        sa.UniqueConstraint("telegram_user_id", name="uq_counselors_telegram_user_id"),
    )
    op.create_table(
        "counselees",
        sa.Column("person_id", Id, nullable=False),
        sa.Column("registered_at", WHEN, nullable=False),
        sa.Column("topic_id", sa.BigInteger(), nullable=True),
        sa.Column("in_session", Id, nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_counselees_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name="pk_counselees"),
    )  # fmt: skip
    op.create_index("ix_counselees_topic_id", "counselees", ["topic_id"])
    op.create_table(
        "counseling_sessions",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("person_id", Id, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("counselor_id", Id, nullable=True),
        sa.Column("requested_at", WHEN, nullable=False),
        sa.Column("scheduled_at", WHEN, nullable=True),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.Column("reminded", sa.Integer(), nullable=False),
        sa.Column("wait_told", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_counseling_sessions_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["counselor_id"], ["counselors.id"],
            name="fk_counseling_sessions_counselor_id_counselors",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_counseling_sessions"),
    )  # fmt: skip
    op.create_index("ix_counseling_sessions_person_id", "counseling_sessions", ["person_id"])
    op.create_index("ix_counseling_sessions_due", "counseling_sessions", ["status", "scheduled_at"])
    op.create_index(
        "ix_counseling_sessions_waiting", "counseling_sessions", ["status", "kind", "requested_at"]
    )
    op.create_table(
        "counseling_entries",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("session_id", Id, nullable=False),
        sa.Column("person_id", Id, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("counselor_id", Id, nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["counseling_sessions.id"],
            name="fk_counseling_entries_session_id_counseling_sessions", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_counseling_entries_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["counselor_id"], ["counselors.id"],
            name="fk_counseling_entries_counselor_id_counselors",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_counseling_entries"),
    )  # fmt: skip
    op.create_index("ix_counseling_entries_session_id", "counseling_entries", ["session_id"])
    op.create_index("ix_counseling_entries_person_id", "counseling_entries", ["person_id"])
    op.create_table(
        "counselor_audit",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("counselor_id", Id, nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("person_id", Id, nullable=True),
        sa.Column("session_id", Id, nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["counselor_id"], ["counselors.id"], name="fk_counselor_audit_counselor_id_counselors",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_counselor_audit_person_id_persons",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_counselor_audit"),
    )  # fmt: skip
    op.create_index("ix_counselor_audit_at", "counselor_audit", ["at"])
    op.create_index("ix_counselor_audit_counselor_id", "counselor_audit", ["counselor_id"])
    op.create_index("ix_counselor_audit_person_id", "counselor_audit", ["person_id"])


def downgrade() -> None:
    op.drop_table("counselor_audit")
    op.drop_table("counseling_entries")
    op.drop_table("counseling_sessions")
    op.drop_table("counselees")
    op.drop_table("counselors")
