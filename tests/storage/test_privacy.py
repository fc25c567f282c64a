"""Personal data (UU 27/2022): HAPUS leaves no trace in any table, the wage is not kept, a
lost key file is refused, files are private."""

from __future__ import annotations

import logging
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.settings import Settings, SettingsError
from bot.storage.crypto import EncryptedJSON, EncryptedText, address_hash
from bot.storage.models import Base
from bot.testing.client import ChatClient, consented, eligible_until_contributions
from bot.testing.clock import FrozenClock
from bot.testing.db import snapshot

ADDRESS = "5550001"


async def every_row(app: App) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, encrypted columns decrypted."""
    rows: dict[str, list[dict[str, Any]]] = {}
    async with app.db.read() as conn:
        for table in Base.metadata.sorted_tables:
            result = await conn.execute(select(table))
            rows[table.name] = [dict(r._mapping) for r in result]
    return rows


def mentions(rows: dict[str, list[dict[str, Any]]], *needles: str) -> list[str]:
    found = []
    for name, table_rows in rows.items():
        for row in table_rows:
            text = repr(row)
            found += [f"{name}: {needle}" for needle in needles if needle in text]
    return found


def linked(rows: dict[str, list[dict[str, Any]]], person_id: int) -> list[str]:
    found = []
    for name, table_rows in rows.items():
        for row in table_rows:
            if row.get("person_id") == person_id or (name == "persons" and row["id"] == person_id):
                found.append(name)
    return found


def encrypted_tables() -> set[str]:
    return {
        t.name
        for t in Base.metadata.sorted_tables
        if any(isinstance(c.type, EncryptedJSON | EncryptedText) for c in t.columns)
    }


async def test_hapus_leaves_no_row_linked_to_the_person_or_their_address(app: App) -> None:
    client = await consented(ChatClient(app.engine, channel="telegram", user=ADDRESS))
    await eligible_until_contributions(client)
    await client.send("20")
    await client.send("10")  # a finished check: a record
    await client.click("menu:profile")
    await client.click("profile:skill")
    await client.send("Mengemudi forklift")  # a profile record
    await client.send("petugas")  # a handoff request
    snap = await snapshot(app, "telegram", ADDRESS)
    assert snap is not None
    person = snap.person.id
    before = await every_row(app)
    assert {
        "persons",
        "identities",
        "conversations",
        "consent_events",
        "eligibility_checks",
        "profile_entries",
        "handoff_requests",
        "outbox",
    } <= set(linked(before, person))
    await client.send("hapus")
    await client.click("delete:yes")
    assert client.said() == ["utter_data_deleted"]  # the goodbye was delivered...
    after = await every_row(app)
    # ...and nothing of them is left: no row linked to them, none carrying their address.
    assert linked(after, person) == []
    assert mentions(after, ADDRESS, address_hash("telegram", ADDRESS), "Mengemudi") == []
    assert encrypted_tables() <= set(after)  # every table with personal data was looked at


async def test_hapus_before_consent_erases_the_chat_address(app: App) -> None:
    client = ChatClient(app.engine, channel="telegram", user=ADDRESS)
    await client.send("halo")
    assert await snapshot(app, "telegram", ADDRESS) is not None  # the address is kept...
    await client.send("hapus")
    assert client.said() == ["utter_data_deleted_before_consent"]
    rows = await every_row(app)
    assert rows["persons"] == [] and rows["identities"] == [] and rows["outbox"] == []
    assert mentions(rows, ADDRESS, address_hash("telegram", ADDRESS)) == []
    await client.send("halo")  # and a new start is a new start
    assert client.said() == ["utter_welcome", "utter_privacy_notice", "utter_consent_question"]


async def test_the_wage_is_kept_only_encrypted_until_its_reply_is_sent(app: App) -> None:
    client = await consented(ChatClient(app.engine, user="w1"))
    await eligible_until_contributions(client)
    await client.send("12")
    await client.send("12")
    await client.click("result:estimate")
    await app.engine.handle(client_event(client, "4.321.987"))
    # Queued, not yet sent: the reply holds the wage, encrypted (the raw column does not).
    pending = await every_row(app)
    assert mentions(pending, "4.321.987") == ["outbox: 4.321.987"]
    async with app.db.read() as conn:
        raw = [str(r[0]) for r in await conn.exec_driver_sql("SELECT body FROM outbox")]
    assert not any("4.321.987" in r or "4321987" in r for r in raw)
    await client.sender.drain()
    assert "Rp2.593.192" in client.output.replies[-2].text  # 60% of it, shown to the person
    # Sent: the text is gone from the outbox, and no other table ever had it.
    assert mentions(await every_row(app), "4.321.987", "4321987", "2.593.192") == []


def client_event(client: ChatClient, text: str) -> Any:
    from bot.core.types import EventKind, InboundEvent

    return InboundEvent(client.channel, client.user, EventKind.TEXT, text=text, event_id="wage")


async def test_a_lost_key_file_is_refused(tmp_path: Path, clock: FrozenClock) -> None:
    db = tmp_path / "jkp.sqlite3"
    settings = replace(Settings(), database_url=f"sqlite:///{db}")
    app = await build_app(settings, clock=clock)
    await consented(ChatClient(app.engine))
    await app.close()
    key = tmp_path / "jkp.sqlite3.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.stat().st_mode) == 0o600  # the database itself is private too
    key.rename(tmp_path / "elsewhere.key")
    with pytest.raises(SettingsError, match=r"jkp\.sqlite3\.key is missing"):
        await build_app(settings, clock=clock)
    assert not key.exists()  # no new key was made behind the person's back


async def test_an_empty_database_without_a_key_gets_one(tmp_path: Path, clock: FrozenClock) -> None:
    db = tmp_path / "fresh.sqlite3"
    db.touch()
    app = await build_app(replace(Settings(), database_url=f"sqlite:///{db}"), clock=clock)
    await app.close()
    assert (tmp_path / "fresh.sqlite3.key").exists()


async def test_a_key_file_readable_by_others_is_warned_about(
    tmp_path: Path, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    settings = replace(Settings(), database_url=f"sqlite:///{tmp_path / 'jkp.sqlite3'}")
    app = await build_app(settings, clock=clock)
    await app.close()
    (tmp_path / "jkp.sqlite3.key").chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="bot.storage.crypto"):
        app = await build_app(settings, clock=clock)
        await app.close()
    assert "can be read by other users" in caplog.text
