"""Configuration: every setting is checked against what the schema and the runtime can hold;
a bad one stops the command with a message naming it (exit code 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("CONSENT_NOTICE_VERSION", "v" * 65, "CONSENT_NOTICE_VERSION"),
        ("DATABASE_URL", "mysql://db/jkp", "DATABASE_URL"),
        ("JKP_TIMEZONE", "Mars/Olympus", "JKP_TIMEZONE"),
        ("WEBHOOK_PORT", "http", "WEBHOOK_PORT"),
        ("DATA_RETENTION_DAYS", "0", "DATA_RETENTION_DAYS"),
        ("TELEGRAM_PER_SECOND", "fast", "TELEGRAM_PER_SECOND"),
        ("TELEGRAM_CHAT_INTERVAL", "-1", "TELEGRAM_CHAT_INTERVAL"),
        ("OUTBOX_LEASE_SECONDS", "1", "OUTBOX_LEASE_SECONDS"),
        ("BENEFIT_RATE", "1.5", "BENEFIT_RATE"),
        ("TELEGRAM_API_BASE", "ftp://example.org", "TELEGRAM_API_BASE"),
        ("CONSOLE_USER", "x" * 65, "CONSOLE_USER"),
    ],
)
def test_a_bad_setting_is_named(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({name: value})


def test_the_longest_allowed_values_pass() -> None:
    settings = Settings.from_env({"CONSENT_NOTICE_VERSION": "v" * 64, "LOG_LEVEL": "debug"})
    assert settings.log_level == "DEBUG"


def test_the_default_database_is_in_the_users_data_folder(tmp_path: Path) -> None:
    settings = Settings.from_env({})
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    assert path.is_absolute() and path.name == "jkp.sqlite3"
    assert "pendamping-jkp" in path.parts


def test_the_command_exits_2_and_names_the_setting(tmp_path: Path) -> None:
    env = {**os.environ, "LOG_LEVEL": "LOUD", "DATABASE_URL": f"sqlite:///{tmp_path / 'x'}"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "migrate"], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "LOG_LEVEL" in done.stderr
    assert not (tmp_path / "x").exists()  # nothing was created
