"""Personal data is encrypted at rest: conversation state and outbox bodies."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.app import App, build_app
from bot.settings import Settings, SettingsError
from bot.storage import crypto
from bot.testing.client import ChatClient, consented
from bot.testing.clock import FrozenClock


async def raw(app: App, sql: str) -> list[str]:
    async with app.db.read() as conn:
        return [str(row[0]) for row in (await conn.execute(text(sql))).all()]


async def test_answers_are_not_readable_in_the_database(client: ChatClient, app: App) -> None:
    await consented(client)
    await client.click("menu:profile")
    await client.click("profile:personal")
    await client.send("Siti Aminah")
    stored = await raw(app, "SELECT CAST(state AS TEXT) FROM conversations")
    assert stored and all("Siti" not in row and '"enc"' in row for row in stored)
    bodies = await raw(app, "SELECT CAST(body AS TEXT) FROM outbox")
    assert bodies and all('"enc"' in row for row in bodies)
    await client.send("17-08-1990")
    await client.click("pf_gender:female")
    await client.send("Kota Medan")
    await client.send("data")  # and the bot itself reads it back
    assert "Siti Aminah" in client.text()


async def test_key_rotation_reads_old_rows(settings: Settings, clock: FrozenClock) -> None:
    old = Fernet.generate_key().decode()
    app = await build_app(replace(settings, encryption_keys=old), clock=clock)
    await consented(ChatClient(app.engine))
    await app.close()
    new = Fernet.generate_key().decode()
    rotated = await build_app(replace(settings, encryption_keys=f"{new},{old}"), clock=clock)
    try:
        client = ChatClient(rotated.engine)
        await client.send("menu")
        assert client.said() == ["utter_menu"]  # consent and state survived the rotation
    finally:
        await rotated.close()


def test_a_plaintext_row_from_before_encryption_is_still_read() -> None:
    cipher = crypto.Cipher([Fernet.generate_key().decode()])
    assert cipher.open({"active": None, "dialogs": {}}) == {"active": None, "dialogs": {}}
    sealed = cipher.seal({"a": [1, "dua"]})
    assert cipher.open(sealed) == {"a": [1, "dua"]}
    with pytest.raises(crypto.EncryptionKeyError):
        crypto.Cipher([Fernet.generate_key().decode()]).open(sealed)


async def test_bad_or_missing_keys_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="Fernet"):
        await build_app(
            replace(Settings(), database_url=f"sqlite:///{tmp_path / 'a.sqlite3'}",
                    encryption_keys="not-a-key")
        )  # fmt: skip
    with pytest.raises(crypto.EncryptionKeyError, match="DATA_ENCRYPTION_KEY must be set"):
        crypto.load_keys("", "postgresql://db/jkp")
    assert crypto.load_keys("", f"sqlite:///{tmp_path / 'b.sqlite3'}")
    key_file = tmp_path / "b.sqlite3.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert crypto.load_keys("", f"sqlite:///{tmp_path / 'b.sqlite3'}") == [key_file.read_text()]


async def test_rekey_lets_the_old_key_go(settings: Settings, clock: FrozenClock) -> None:
    from bot.storage.rekey import reencrypt_all

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app = await build_app(replace(settings, encryption_keys=old), clock=clock)
    await consented(ChatClient(app.engine))
    await app.close()
    both = await build_app(replace(settings, encryption_keys=f"{new},{old}"), clock=clock)
    assert await reencrypt_all(both.db) >= 1
    await both.close()
    only_new = await build_app(replace(settings, encryption_keys=new), clock=clock)
    try:
        client = ChatClient(only_new.engine)
        await client.send("menu")
        assert client.said() == ["utter_menu"]
    finally:
        await only_new.close()
