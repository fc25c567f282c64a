"""Migration 0002 on a database written by the code before it (schema 0001, conversation
state v1 with the saved results inside): everything moves to persons, identities and the
records tables, and the conversation goes on where it was."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from bot.app import build_app, configure_encryption
from bot.records.legacy import upgrade_state
from bot.records.model import SaveAssessment, SaveEligibility, SaveProfileSection, SaveRegistration
from bot.records.store import load_assessments, load_eligibility, load_profile, load_registration
from bot.settings import Settings
from bot.storage import crypto
from bot.storage.db import make_engine, migrate
from bot.testing.client import ChatClient
from bot.testing.clock import FrozenClock
from bot.testing.db import snapshot, stored_state

AT = datetime(2025, 6, 1, 3, 0, tzinfo=UTC)

ELIGIBLE = {
    "laid_off": "yes", "reason": "employer", "contract": "pkwtt", "phk_date": "2025-03-15",
    "phi_pending": "no", "proof_letter": "yes", "willing": "yes", "member": "yes",
    "citizen": "yes", "age_ok": "yes", "contribution_months": 20, "consecutive_months": 10,
}  # fmt: skip
RESULT = {
    "at": "2025-05-20T10:00:00+07:00", "previous": ["Operator Mesin Produksi"],
    "desired": ["Sopir", "Kurir", "Satpam"],
    "scores": {"R": 0.8, "I": 0.2, "A": 0.1, "S": 0.5, "E": 0.3, "C": 0.4},
    "groups": [{"code": "83", "percent": 81}, {"code": "81", "percent": 74},
               {"code": "54", "percent": 70}],
}  # fmt: skip
REGISTRATION = {
    "job": "Sopir", "province": "32", "regency": "3275", "condition": "none",
    "status": "ter_phk", "saved_at": "2025-05-21T09:00:00+07:00",
}  # fmt: skip
SECTIONS = {
    "personal": {"pf_full_name": "Siti Aminah", "pf_birth_date": "1990-08-17",
                 "pf_gender": "female", "pf_domicile": "3275"},
    "photo": {"pf_photo": "AgACfile"},
    "skill": [{"pf_skill_name": "Mengemudi forklift"}, {"pf_skill_name": "Microsoft Excel"}],
}  # fmt: skip


def v1_state() -> dict[str, Any]:
    """A person who finished the check, an assessment and the registration, and is in the
    middle of the profile (typing a new skill)."""
    return {
        "v": 1,
        "active": "profile",
        "dialogs": {
            "consent": {},
            "eligibility": {"answers": ELIGIBLE, "step": "result", "verdict": "eligible"},
            "assessment": {"step": "result", "results": [RESULT]},
            "jobseeker": {"step": "saved", "registration": REGISTRATION},
            "profile": {
                "sections": SECTIONS,
                "step": "field",
                "section": "skill",
                "index": None,
                "field": "pf_skill_name",
                "draft": {},
                "editing": False,
                "offered": [],
            },
        },
        "pending": [],
    }


def test_upgrade_state_moves_every_saved_result() -> None:
    state, effects = upgrade_state(v1_state())
    assert state is not None and state["v"] == 2
    assert state["dialogs"]["profile"]["step"] == "field"
    assert "sections" not in state["dialogs"]["profile"]
    assert set(state["dialogs"]) == {"profile"}  # finished dialogs keep nothing
    kinds = sorted(type(e).__name__ for e in effects)
    assert kinds == [
        "SaveAssessment", "SaveEligibility", "SaveProfileSection", "SaveProfileSection",
        "SaveProfileSection", "SaveRegistration",
    ]  # fmt: skip
    check = next(e for e in effects if isinstance(e, SaveEligibility))
    assert check.claim_deadline == date(2025, 9, 15)
    assert next(e for e in effects if isinstance(e, SaveAssessment)).result.groups[0].code == "83"
    assert next(e for e in effects if isinstance(e, SaveRegistration)).registration.regency == (
        "3275"
    )
    skills = next(e for e in effects if isinstance(e, SaveProfileSection) and e.section == "skill")
    assert [s["pf_skill_name"] for s in skills.entries] == ["Mengemudi forklift", "Microsoft Excel"]


def test_a_v2_state_is_left_alone() -> None:
    state = {"v": 2, "active": None, "dialogs": {"profile": {"step": "home"}}, "pending": []}
    assert upgrade_state(state) == (state, [])


async def _write_v1_database(url: str) -> None:
    """Schema 0001 and rows as the code before 0002 wrote them (state encrypted)."""
    engine = make_engine(url)
    try:
        await migrate(engine, "0001")
        cipher = crypto.current()
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO users (id, channel, address, created_at, last_seen_at, consent,"
                    " consent_version, consent_at, opted_out, blocked) VALUES (7, 'telegram',"
                    " '424242', :at, :at, 'granted', '2026-11-28', :at, false, false)"
                ),
                {"at": AT},
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO conversations (user_id, state, updated_at) VALUES (7, :state, :at)"
                ).bindparams(sa.bindparam("state", type_=sa.JSON)),
                {"state": cipher.seal(v1_state()), "at": AT},
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO consent_events (user_id, action, notice_version, at)"
                    " VALUES (7, 'granted', '2026-11-28', :at)"
                ),
                {"at": AT},
            )
            body = cipher.seal({"parts": [{"key": "utter_menu", "params": {}}]})
            await conn.execute(
                sa.text(
                    "INSERT INTO outbox (channel, address, user_id, body, status, attempts,"
                    " not_before, created_at) VALUES ('telegram', '424242', 7, :body,"
                    " 'pending', 0, :at, :at)"
                ).bindparams(sa.bindparam("body", type_=sa.JSON)),
                {"body": body, "at": AT},
            )
    finally:
        await engine.dispose()


async def test_a_v1_database_is_carried_over(settings: Settings, clock: FrozenClock) -> None:
    configure_encryption(settings)
    await _write_v1_database(settings.database_url)
    app = await build_app(replace(settings), clock=clock)  # migrates to the newest schema
    try:
        snap = await snapshot(app, "telegram", "424242")
        assert snap is not None and snap.person.id == 7 and snap.person.consent == "granted"
        assert snap.person.tz == "Asia/Jakarta"  # from the registered regency
        async with app.db.read() as conn:
            profile = await load_profile(conn, 7)
            results = await load_assessments(conn, 7)
            registration = await load_registration(conn, 7)
            check = await load_eligibility(conn, 7)
            identity_address = (
                await conn.execute(sa.text("SELECT address FROM identities"))
            ).scalar_one()
        assert profile.single("personal") == SECTIONS["personal"]
        assert [e["pf_skill_name"] for e in profile.sections["skill"]] == [
            "Mengemudi forklift", "Microsoft Excel",
        ]  # fmt: skip
        assert [g.percent for g in results[0].groups] == [81, 74, 70]
        assert registration is not None and registration.job == "Sopir"
        assert check is not None and check.verdict == "eligible"
        assert check.claim_deadline == date(2025, 9, 15)
        assert "424242" not in identity_address  # the address is encrypted at rest
        state = await stored_state(app, "telegram", "424242")
        assert state["v"] == 2 and state["active"] == "profile"
        assert "sections" not in state["dialogs"]["profile"]

        # The queued message survived the move, and the conversation goes on where it was.
        client = ChatClient(app.engine, channel="telegram", user="424242")
        await client.sender.drain()
        assert [r.keys for r in client.output.replies] == [("utter_menu",)]
        await client.send("Las listrik")
        assert client.said()[0] == "utter_profile_saved"
        assert "Las listrik" in client.text()
        async with app.db.read() as conn:
            skills = (await load_profile(conn, 7)).sections["skill"]
        assert [e["pf_skill_name"] for e in skills][-1] == "Las listrik"
        await client.send("data")
        assert "Siti Aminah" in client.text()
    finally:
        await app.close()


async def test_the_engine_reads_a_v1_state_forward(settings: Settings, clock: FrozenClock) -> None:
    """A v1 blob met after the migration (written by an old process during a rolling
    upgrade): its saved results become records first, then the turn runs on them."""
    app = await build_app(settings, clock=clock)
    try:
        client = ChatClient(app.engine, channel="telegram", user="424242")
        await client.send("halo")
        snap = await snapshot(app, "telegram", "424242")
        assert snap is not None
        conversations = sa.table(
            "conversations", sa.column("identity_id"), sa.column("state", crypto.EncryptedJSON())
        )
        async with app.db.write() as conn:
            await conn.execute(
                conversations.update()
                .where(conversations.c.identity_id == snap.identity_id)
                .values(state=v1_state())
            )
            await conn.execute(sa.text("UPDATE persons SET consent = 'granted'"))
        await client.send("Las listrik")  # the skill being typed in the v1 conversation
        assert client.said()[0] == "utter_profile_saved"
        async with app.db.read() as conn:
            skills = (await load_profile(conn, snap.person.id)).sections["skill"]
            check = await load_eligibility(conn, snap.person.id)
        # The two skills of the v1 blob were kept, and the new one added after them.
        assert [e["pf_skill_name"] for e in skills] == [
            "Mengemudi forklift", "Microsoft Excel", "Las listrik",
        ]  # fmt: skip
        assert check is not None and check.verdict == "eligible"
        assert (await stored_state(app, "telegram", "424242"))["v"] == 2
    finally:
        await app.close()
