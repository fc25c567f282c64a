"""Settings of the ledger, working days and evidence files, read from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evidence.config import TELEGRAM_DOWNLOAD_LIMIT
from bot.settings import Settings, SettingsError


def test_defaults() -> None:
    settings = Settings.from_env({})
    rules, evidence = settings.rules, settings.evidence
    assert (rules.ledger_min_companies, rules.ledger_min_invitations) == (5, 1)
    assert rules.ledger_count == "companies"
    assert rules.ledger_cross_route is False
    assert rules.ledger_count_pending is True
    assert rules.cuti_bersama_non_working is False
    assert rules.placement_report_working_days == 7
    assert rules.placement_reminder_working_days == (5, 3, 1, 0)
    assert evidence.max_bytes == TELEGRAM_DOWNLOAD_LIMIT == 20 * 1024 * 1024
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    assert settings.evidence_dir() == database.with_name("jkp.sqlite3.files")


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "LEDGER_MIN_COMPANIES": "4",
            "LEDGER_MIN_INVITATIONS": "2",
            "LEDGER_COUNT": "Applications",
            "LEDGER_CROSS_ROUTE": "yes",
            "LEDGER_COUNT_PENDING": "0",
            "CUTI_BERSAMA_NON_WORKING": "true",
            "PLACEMENT_REPORT_WORKING_DAYS": "10",
            "PLACEMENT_REMINDER_WORKING_DAYS": "3, 0",
            "EVIDENCE_DIR": "~/bukti",
            "EVIDENCE_MAX_BYTES": "1000000",
            "EVIDENCE_MIN_SIDE": "200",
            "EVIDENCE_MAX_PIXELS": "1000000",
            "EVIDENCE_STORE_MAX_SIDE": "1600",
            "EVIDENCE_NEAR_DUPLICATE_DISTANCE": "4",
            "EVIDENCE_DOWNLOAD_TIMEOUT": "30",
        }
    )
    rules, ev = settings.rules, settings.evidence
    assert (rules.ledger_min_companies, rules.ledger_min_invitations) == (4, 2)
    assert rules.ledger_count == "applications"
    assert rules.ledger_cross_route and not rules.ledger_count_pending
    assert rules.cuti_bersama_non_working
    assert rules.placement_report_working_days == 10
    assert rules.placement_reminder_working_days == (3, 0)
    assert (ev.max_bytes, ev.min_side, ev.max_pixels) == (1_000_000, 200, 1_000_000)
    assert (ev.store_max_side, ev.near_duplicate_distance, ev.download_timeout) == (1600, 4, 30)
    assert settings.evidence_dir() == Path.home() / "bukti"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"LEDGER_COUNT": "perusahaan"}, "LEDGER_COUNT"),
        ({"LEDGER_CROSS_ROUTE": "kadang"}, "LEDGER_CROSS_ROUTE"),
        ({"LEDGER_MIN_COMPANIES": "0"}, "LEDGER_MIN_COMPANIES"),
        ({"PLACEMENT_REMINDER_WORKING_DAYS": "3,x"}, "PLACEMENT_REMINDER_WORKING_DAYS"),
        ({"PLACEMENT_REMINDER_WORKING_DAYS": "3,-1"}, "PLACEMENT_REMINDER_WORKING_DAYS"),
        ({"EVIDENCE_MAX_BYTES": "20MB"}, "EVIDENCE_MAX_BYTES"),
        ({"EVIDENCE_MIN_SIDE": "8000"}, "EVIDENCE_MAX_PIXELS"),
        ({"EVIDENCE_STORE_MAX_SIDE": "100"}, "EVIDENCE_STORE_MAX_SIDE"),
        ({"EVIDENCE_NEAR_DUPLICATE_DISTANCE": "65"}, "EVIDENCE_NEAR_DUPLICATE_DISTANCE"),
    ],
)
def test_unusable_values_name_the_setting(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///jkp.sqlite3", "jkp.sqlite3.files"),
        ("sqlite+aiosqlite:////var/lib/jkp/jkp.sqlite3", "/var/lib/jkp/jkp.sqlite3.files"),
        ("sqlite:///:memory:", None),
        ("sqlite://", None),
        ("postgresql://jkp@db/jkp", None),
    ],
)
def test_evidence_dir_beside_a_sqlite_file_or_required(url: str, expected: str | None) -> None:
    settings = Settings.from_env({"DATABASE_URL": url, "DATA_ENCRYPTION_KEY": "x"})
    if expected is None:
        with pytest.raises(SettingsError, match="EVIDENCE_DIR"):
            settings.evidence_dir()
        with_dir = Settings.from_env({"DATABASE_URL": url, "EVIDENCE_DIR": "/srv/jkp/bukti"})
        assert with_dir.evidence_dir() == Path("/srv/jkp/bukti")
    else:
        assert settings.evidence_dir() == Path(expected)
