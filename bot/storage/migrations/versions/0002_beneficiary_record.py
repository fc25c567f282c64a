"""the beneficiary record: persons and identities, records in their own tables, a claimable
outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

- ``users`` (one chat address) becomes a ``persons`` row and an ``identities`` row with the
  same id; the address is encrypted and found by its keyed hash.
- Each stored conversation (v1) is split (bot/records/legacy.py): saved results go to
  ``profile_entries``, ``assessment_results``, ``registrations`` and ``eligibility_checks``;
  the conversation keeps what is in progress (v2).
- ``outbox`` rows get a chat key, an encrypted address, a lease and an expiry; finished rows
  are dropped (their text was already gone).

The data needs the encryption key (the app configures it before migrating). Downgrading
moves persons back to users and drops the records: what was saved there is lost.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from bot.storage.crypto import EncryptedJSON, EncryptedText

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BATCH = 500


def _id(name: str = "id") -> sa.Column[Any]:
    return sa.Column(name, Id, autoincrement=True, nullable=False)


def _person_fk(table: str, *, index: bool = True, nullable: bool = False) -> list[Any]:
    return [
        sa.Column("person_id", Id, nullable=nullable),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=f"fk_{table}_person_id_persons",
            ondelete="CASCADE",
        ),
    ]  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "persons",
        _id(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent", sa.String(16), nullable=False),
        sa.Column("consent_version", sa.String(64), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("tz", sa.String(32), nullable=True),
        sa.Column("benefit_start", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_persons"),
    )
    op.create_index("ix_persons_last_seen_at", "persons", ["last_seen_at"])
    op.create_index("ix_persons_tz", "persons", ["tz"])
    op.create_index("ix_persons_benefit_start", "persons", ["benefit_start"])
    op.create_index("ix_persons_sweep", "persons", ["consent", "opted_out", "benefit_start"])
    op.create_table(
        "identities",
        _id(),
        *_person_fk("identities"),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_identities"),
        sa.UniqueConstraint("channel", "address_hash", name="uq_identities_channel"),
    )
    op.create_index("ix_identities_person_id", "identities", ["person_id"])
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_app_secrets"),
    )
    op.create_table(
        "profile_entries",
        _id(),
        *_person_fk("profile_entries"),
        sa.Column("section", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_profile_entries"),
    )
    op.create_index(
        "ix_profile_entries_person_section", "profile_entries", ["person_id", "section"]
    )
    op.create_table(
        "assessment_results",
        _id(),
        *_person_fk("assessment_results"),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assessment_results"),
    )
    op.create_index("ix_assessment_results_person_id", "assessment_results", ["person_id"])
    op.create_table(
        "registrations",
        *_person_fk("registrations"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("province_code", sa.String(2), nullable=True),
        sa.Column("occupation_code", sa.String(4), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name="pk_registrations"),
    )
    op.create_index("ix_registrations_status", "registrations", ["status"])
    op.create_index("ix_registrations_province_code", "registrations", ["province_code"])
    op.create_table(
        "eligibility_checks",
        *_person_fk("eligibility_checks"),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("claim_deadline", sa.Date(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name="pk_eligibility_checks"),
    )

    _move_people()

    with op.batch_alter_table("processed_events") as batch:
        batch.alter_column("event_id", type_=sa.String(128), existing_nullable=False)

    # Old tables that keep their rows, now pointing at persons / identities (same ids).
    for name in ("consent_events", "handoff_requests"):
        with op.batch_alter_table(name) as batch:
            batch.drop_constraint(f"fk_{name}_user_id_users", type_="foreignkey")
            batch.drop_index(f"ix_{name}_user_id")
            batch.alter_column("user_id", new_column_name="person_id", existing_type=Id,
                               existing_nullable=False)  # fmt: skip
        with op.batch_alter_table(name) as batch:
            batch.create_index(f"ix_{name}_person_id", ["person_id"])
            batch.create_foreign_key(
                f"fk_{name}_person_id_persons", "persons", ["person_id"], ["id"],
                ondelete="CASCADE",
            )  # fmt: skip
    with op.batch_alter_table("consent_events") as batch:
        batch.alter_column("notice_version", type_=sa.String(64), existing_nullable=False)

    with op.batch_alter_table("conversations") as batch:
        batch.drop_constraint("fk_conversations_user_id_users", type_="foreignkey")
        batch.alter_column("user_id", new_column_name="identity_id", existing_type=Id,
                           existing_nullable=False)  # fmt: skip
        batch.add_column(sa.Column("person_id", Id, nullable=True))
    op.execute("UPDATE conversations SET person_id = identity_id")
    with op.batch_alter_table("conversations") as batch:
        batch.alter_column("person_id", existing_type=Id, nullable=False)
        batch.create_index("ix_conversations_person_id", ["person_id"])
        batch.create_foreign_key(
            "fk_conversations_identity_id_identities", "identities", ["identity_id"], ["id"],
            ondelete="CASCADE",
        )  # fmt: skip
        batch.create_foreign_key(
            "fk_conversations_person_id_persons", "persons", ["person_id"], ["id"],
            ondelete="CASCADE",
        )  # fmt: skip
    _split_conversations()

    _rebuild_outbox()
    op.drop_table("users")


def _move_people() -> None:
    """users → persons + identities, with the same ids."""
    conn = op.get_bind()
    users = sa.table(
        "users", sa.column("id", Id), sa.column("channel", sa.String), sa.column("address"),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("last_seen_at", sa.DateTime(timezone=True)), sa.column("consent"),
        sa.column("consent_version"), sa.column("consent_at", sa.DateTime(timezone=True)),
        sa.column("opted_out", sa.Boolean), sa.column("blocked", sa.Boolean),
    )  # fmt: skip
    persons = sa.table(
        "persons", sa.column("id", Id), sa.column("created_at"), sa.column("last_seen_at"),
        sa.column("consent"), sa.column("consent_version"), sa.column("consent_at"),
        sa.column("opted_out"), sa.column("version"),
    )  # fmt: skip
    identities = sa.table(
        "identities", sa.column("id", Id), sa.column("person_id", Id), sa.column("channel"),
        sa.column("address_hash"), sa.column("address", EncryptedText()),
        sa.column("blocked"), sa.column("created_at"), sa.column("last_inbound_at"),
    )  # fmt: skip
    last = 0
    pepper_ready = False
    while rows := conn.execute(
        sa.select(users).where(users.c.id > last).order_by(users.c.id).limit(BATCH)
    ).all():
        if not pepper_ready:
            _load_pepper(conn)
            pepper_ready = True
        from bot.storage.crypto import address_hash

        conn.execute(
            persons.insert(),
            [
                {"id": r.id, "created_at": r.created_at, "last_seen_at": r.last_seen_at,
                 "consent": r.consent, "consent_version": r.consent_version,
                 "consent_at": r.consent_at, "opted_out": r.opted_out, "version": 0}
                for r in rows
            ],
        )  # fmt: skip
        conn.execute(
            identities.insert(),
            [
                {"id": r.id, "person_id": r.id, "channel": r.channel,
                 "address_hash": address_hash(r.channel, r.address), "address": r.address,
                 "blocked": r.blocked, "created_at": r.created_at,
                 "last_inbound_at": r.last_seen_at}
                for r in rows
            ],
        )  # fmt: skip
        last = rows[-1].id
    if conn.dialect.name == "postgresql" and last:
        for table in ("persons", "identities"):
            conn.execute(
                sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"),
                {"n": last},
            )


def _load_pepper(conn: sa.Connection) -> None:
    from bot.storage import crypto

    secrets = sa.table("app_secrets", sa.column("name"), sa.column("value", EncryptedText()))
    value = conn.execute(
        sa.select(secrets.c.value).where(secrets.c.name == "address_pepper")
    ).scalar()
    if value is None:
        value = crypto.new_pepper()
        conn.execute(secrets.insert().values(name="address_pepper", value=value))
    crypto.configure_pepper(bytes.fromhex(value))


def _split_conversations() -> None:
    """Saved results out of each v1 conversation into the records tables."""
    from bot.knowledge.catalog import catalog
    from bot.records.legacy import upgrade_state
    from bot.records.model import (
        SaveAssessment,
        SaveEligibility,
        SaveProfileSection,
        SaveRegistration,
    )
    from bot.records.store import zone_of

    conn = op.get_bind()
    conversations = sa.table(
        "conversations", sa.column("identity_id", Id), sa.column("person_id", Id),
        sa.column("state", EncryptedJSON()), sa.column("updated_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    profile = sa.table(
        "profile_entries", sa.column("person_id", Id), sa.column("section"),
        sa.column("position"), sa.column("data", EncryptedJSON()), sa.column("updated_at"),
    )  # fmt: skip
    assessments = sa.table(
        "assessment_results", sa.column("person_id", Id), sa.column("taken_at"),
        sa.column("data", EncryptedJSON()),
    )  # fmt: skip
    registrations = sa.table(
        "registrations", sa.column("person_id", Id), sa.column("status"),
        sa.column("province_code"), sa.column("occupation_code"), sa.column("country"),
        sa.column("data", EncryptedJSON()), sa.column("saved_at"),
    )  # fmt: skip
    checks = sa.table(
        "eligibility_checks", sa.column("person_id", Id), sa.column("verdict"),
        sa.column("claim_deadline", sa.Date), sa.column("data", EncryptedJSON()),
        sa.column("checked_at"),
    )  # fmt: skip
    persons = sa.table("persons", sa.column("id", Id), sa.column("tz"))
    last = 0
    while rows := conn.execute(
        sa.select(conversations)
        .where(conversations.c.identity_id > last)
        .order_by(conversations.c.identity_id)
        .limit(BATCH)
    ).all():
        for row in rows:
            person, at = row.person_id, row.updated_at
            state, effects = upgrade_state(row.state)
            for effect in effects:
                if isinstance(effect, SaveProfileSection):
                    for i, entry in enumerate(effect.entries):
                        conn.execute(profile.insert().values(
                            person_id=person, section=effect.section, position=i,
                            data=dict(entry), updated_at=at,
                        ))  # fmt: skip
                elif isinstance(effect, SaveAssessment):
                    conn.execute(assessments.insert().values(
                        person_id=person, taken_at=at, data=effect.result.to_data(),
                    ))  # fmt: skip
                elif isinstance(effect, SaveRegistration):
                    reg = effect.registration
                    occupation = catalog().occupation(reg.job)
                    conn.execute(registrations.insert().values(
                        person_id=person, status=reg.status, province_code=reg.province,
                        occupation_code=occupation.isco if occupation else None,
                        country=reg.country, data=reg.to_data(), saved_at=at,
                    ))  # fmt: skip
                    conn.execute(
                        persons.update().where(persons.c.id == person).values(tz=zone_of(reg))
                    )
                elif isinstance(effect, SaveEligibility):
                    conn.execute(checks.insert().values(
                        person_id=person, verdict=effect.verdict,
                        claim_deadline=effect.claim_deadline, data=dict(effect.answers),
                        checked_at=at,
                    ))  # fmt: skip
            conn.execute(
                conversations.update()
                .where(conversations.c.identity_id == row.identity_id)
                .values(state=state or {"v": 2, "active": None, "dialogs": {}, "pending": []})
            )
        last = rows[-1].identity_id


def _rebuild_outbox() -> None:
    """The outbox, claimable and with encrypted addresses; pending rows carried over."""
    conn = op.get_bind()
    old = sa.table(
        "outbox", sa.column("id", Id), sa.column("channel"), sa.column("address"),
        sa.column("user_id", Id), sa.column("body", sa.JSON), sa.column("idempotency_key"),
        sa.column("status"), sa.column("attempts"),
        sa.column("not_before", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    pending = conn.execute(sa.select(old).where(old.c.status == "pending")).all()
    op.drop_table("outbox")
    outbox = op.create_table(
        "outbox",
        _id(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_key", sa.String(64), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        *_person_fk("outbox", nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.Column("essential", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claim_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
    )
    op.create_index("ix_outbox_due", "outbox", ["channel", "status", "not_before"])
    op.create_index("ix_outbox_chat", "outbox", ["chat_key", "status", "id"])
    op.create_index("ix_outbox_person_id", "outbox", ["person_id"])
    if not pending:
        return
    from bot.storage.crypto import address_hash

    _load_pepper(conn)
    target = sa.table(
        "outbox", *(sa.column(c.name, c.type) for c in outbox.columns if c.name != "address"),
        sa.column("address", EncryptedText()),
    )  # fmt: skip
    conn.execute(
        target.insert(),
        [
            {"channel": r.channel, "chat_key": address_hash(r.channel, r.address),
             "address": r.address, "person_id": r.user_id, "body": r.body,
             "idempotency_key": r.idempotency_key, "essential": False, "status": "pending",
             "attempts": r.attempts, "not_before": r.not_before, "created_at": r.created_at}
            for r in pending
        ],
    )  # fmt: skip


def downgrade() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent", sa.String(16), nullable=False),
        sa.Column("consent_version", sa.String(32), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("channel", "address", name="uq_users_channel"),
    )
    conn = op.get_bind()
    identities = sa.table(
        "identities", sa.column("id", Id), sa.column("person_id", Id), sa.column("channel"),
        sa.column("address", EncryptedText()), sa.column("blocked"),
    )  # fmt: skip
    persons = sa.table(
        "persons", sa.column("id", Id), sa.column("created_at"), sa.column("last_seen_at"),
        sa.column("consent"), sa.column("consent_version"), sa.column("consent_at"),
        sa.column("opted_out"),
    )  # fmt: skip
    users = sa.table(
        "users", *(sa.column(n) for n in ("id", "channel", "address", "created_at",
        "last_seen_at", "consent", "consent_version", "consent_at", "opted_out", "blocked")),
    )  # fmt: skip
    rows = conn.execute(
        sa.select(identities, persons).join(persons, persons.c.id == identities.c.person_id)
    ).all()
    if rows:
        conn.execute(
            users.insert(),
            [
                {"id": r.id, "channel": r.channel, "address": r.address,
                 "created_at": r.created_at, "last_seen_at": r.last_seen_at,
                 "consent": r.consent, "consent_version": (r.consent_version or "")[:32],
                 "consent_at": r.consent_at, "opted_out": r.opted_out, "blocked": r.blocked}
                for r in rows
            ],
        )  # fmt: skip
    op.drop_table("outbox")
    op.create_table(
        "outbox",
        _id(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("user_id", Id, nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_outbox_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
    )
    op.create_index("ix_outbox_due", "outbox", ["channel", "status", "not_before"])
    op.create_index("ix_outbox_user_id", "outbox", ["user_id"])

    with op.batch_alter_table("conversations") as batch:
        batch.drop_constraint("fk_conversations_identity_id_identities", type_="foreignkey")
        batch.drop_constraint("fk_conversations_person_id_persons", type_="foreignkey")
        batch.drop_index("ix_conversations_person_id")
        batch.drop_column("person_id")
        batch.alter_column("identity_id", new_column_name="user_id", existing_type=Id,
                           existing_nullable=False)  # fmt: skip
    with op.batch_alter_table("conversations") as batch:
        batch.create_foreign_key(
            "fk_conversations_user_id_users", "users", ["user_id"], ["id"], ondelete="CASCADE"
        )
    with op.batch_alter_table("consent_events") as batch:
        batch.alter_column("notice_version", type_=sa.String(32), existing_nullable=False)
    for name in ("consent_events", "handoff_requests"):
        with op.batch_alter_table(name) as batch:
            batch.drop_constraint(f"fk_{name}_person_id_persons", type_="foreignkey")
            batch.drop_index(f"ix_{name}_person_id")
            batch.alter_column("person_id", new_column_name="user_id", existing_type=Id,
                               existing_nullable=False)  # fmt: skip
        with op.batch_alter_table(name) as batch:
            batch.create_index(f"ix_{name}_user_id", ["user_id"])
            batch.create_foreign_key(
                f"fk_{name}_user_id_users", "users", ["user_id"], ["id"], ondelete="CASCADE"
            )
    with op.batch_alter_table("processed_events") as batch:
        batch.alter_column("event_id", type_=sa.String(64), existing_nullable=False)
    for table in ("eligibility_checks", "registrations", "assessment_results",
                  "profile_entries", "app_secrets", "identities", "persons"):  # fmt: skip
        op.drop_table(table)
