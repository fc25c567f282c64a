"""Configuration from the environment. Every setting has an embedded default except the
Telegram token, so `jkp-bot console` runs with nothing set."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.evidence.config import EvidenceSettings
from bot.rules.config import LedgerCount, RuleSettings


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be 1 or 0 (true or false), got {raw!r}")


def _ints(env: Mapping[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise SettingsError(
            f"{name} must be whole numbers separated by commas, got {raw!r}"
        ) from None
    if any(v < 0 for v in values):
        raise SettingsError(f"{name} must not be negative, got {raw!r}")
    return values


def _ledger_count(env: Mapping[str, str]) -> LedgerCount:
    raw = env.get("LEDGER_COUNT", "").strip().lower() or "companies"
    if raw == "companies":
        return "companies"
    if raw == "applications":
        return "applications"
    raise SettingsError(f"LEDGER_COUNT must be companies or applications, got {raw!r}")


def _decimal(env: Mapping[str, str], name: str, default: Decimal) -> Decimal:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise SettingsError(f"{name} must be a number such as 0.60, got {raw!r}") from None
    if not Decimal(0) < value <= Decimal(1):
        raise SettingsError(f"{name} must be between 0 and 1, got {raw}")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///jkp.sqlite3"
    telegram_token: str = ""
    telegram_api_base: str = "https://api.telegram.org"
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080
    timezone: str = "Asia/Jakarta"
    retention_days: int = 365
    consent_notice_version: str = "2026-11-28"
    telegram_per_second: float = 25.0
    telegram_chat_interval: float = 1.0  # seconds between messages to one chat (on average)
    telegram_chat_burst: int = 3  # messages one chat may get at once
    outbox_lease_seconds: int = 30  # a sender's claim on a message; after a crash it expires
    outbox_message_ttl_hours: int = 24  # how long an undelivered reply is still worth sending
    console_user: str = "console"
    encryption_keys: str = ""  # DATA_ENCRYPTION_KEY; see bot/storage/crypto.py
    log_level: str = "INFO"
    rules: RuleSettings = field(default_factory=RuleSettings)
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)

    @property
    def webhook_path(self) -> str:
        return urlparse(self.webhook_url).path or "/webhook"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def evidence_dir(self) -> Path:
        """Where evidence files live: ``EVIDENCE_DIR``, else ``<database>.files`` beside a
        SQLite file. A server database (or an in-memory one) needs ``EVIDENCE_DIR``: files
        must outlive the process and sit on a disk that is backed up with the database."""
        if self.evidence.directory:
            return Path(self.evidence.directory).expanduser()
        url = self.database_url
        path = url.split(":///", 1)[1] if url.startswith("sqlite") and ":///" in url else ""
        if path in ("", ":memory:"):
            raise SettingsError(
                "EVIDENCE_DIR must be set when DATABASE_URL is not a SQLite file "
                "(a directory for the encrypted evidence photos)"
            )
        return Path(path + ".files")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = cls()
        rules = RuleSettings(
            claim_window_months=_int(env, "CLAIM_WINDOW_MONTHS", 6, 1),
            min_contribution_months=_int(env, "MIN_CONTRIBUTION_MONTHS", 12, 1),
            min_consecutive_months=_int(env, "MIN_CONSECUTIVE_MONTHS", 6, 1),
            benefit_rate=_decimal(env, "BENEFIT_RATE", Decimal("0.60")),
            wage_cap=_int(env, "WAGE_CAP", 5_000_000, 1),
            benefit_months=_int(env, "BENEFIT_MONTHS", 6, 1),
            ledger_min_companies=_int(env, "LEDGER_MIN_COMPANIES", 5, 1),
            ledger_min_invitations=_int(env, "LEDGER_MIN_INVITATIONS", 1, 1),
            ledger_count=_ledger_count(env),
            ledger_cross_route=_bool(env, "LEDGER_CROSS_ROUTE", False),
            ledger_count_pending=_bool(env, "LEDGER_COUNT_PENDING", True),
            cuti_bersama_non_working=_bool(env, "CUTI_BERSAMA_NON_WORKING", False),
            placement_report_working_days=_int(env, "PLACEMENT_REPORT_WORKING_DAYS", 7, 1),
            placement_reminder_working_days=_ints(
                env, "PLACEMENT_REMINDER_WORKING_DAYS", (5, 3, 1, 0)
            ),
        )
        base = EvidenceSettings()
        evidence = EvidenceSettings(
            directory=env.get("EVIDENCE_DIR", "").strip(),
            max_bytes=_int(env, "EVIDENCE_MAX_BYTES", base.max_bytes, 1),
            min_side=_int(env, "EVIDENCE_MIN_SIDE", base.min_side, 1),
            max_pixels=_int(env, "EVIDENCE_MAX_PIXELS", base.max_pixels, 1),
            store_max_side=_int(env, "EVIDENCE_STORE_MAX_SIDE", base.store_max_side, 1),
            near_duplicate_distance=_int(
                env, "EVIDENCE_NEAR_DUPLICATE_DISTANCE", base.near_duplicate_distance, 0
            ),
            download_timeout=_int(env, "EVIDENCE_DOWNLOAD_TIMEOUT", base.download_timeout, 1),
        )
        settings = cls(
            database_url=env.get("DATABASE_URL", "").strip() or defaults.database_url,
            telegram_token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            telegram_api_base=(
                env.get("TELEGRAM_API_BASE", "").strip().rstrip("/") or defaults.telegram_api_base
            ),
            webhook_url=env.get("WEBHOOK_URL", "").strip(),
            webhook_secret=env.get("WEBHOOK_SECRET", "").strip(),
            webhook_host=env.get("WEBHOOK_HOST", "").strip() or defaults.webhook_host,
            webhook_port=_int(env, "WEBHOOK_PORT", defaults.webhook_port, 1),
            timezone=env.get("JKP_TIMEZONE", "").strip() or defaults.timezone,
            retention_days=_int(env, "DATA_RETENTION_DAYS", defaults.retention_days, 1),
            consent_notice_version=(
                env.get("CONSENT_NOTICE_VERSION", "").strip() or defaults.consent_notice_version
            ),
            telegram_per_second=float(_int(env, "TELEGRAM_PER_SECOND", 25, 1)),
            telegram_chat_interval=_float(env, "TELEGRAM_CHAT_INTERVAL", 1.0, 0.0),
            telegram_chat_burst=_int(env, "TELEGRAM_CHAT_BURST", 3, 1),
            outbox_lease_seconds=_int(env, "OUTBOX_LEASE_SECONDS", 30, 5),
            outbox_message_ttl_hours=_int(env, "OUTBOX_MESSAGE_TTL_HOURS", 24, 1),
            console_user=env.get("CONSOLE_USER", "").strip() or defaults.console_user,
            encryption_keys=env.get("DATA_ENCRYPTION_KEY", "").strip(),
            log_level=env.get("LOG_LEVEL", "").strip().upper() or defaults.log_level,
            rules=rules,
            evidence=evidence,
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"JKP_TIMEZONE is not a time zone: {self.timezone!r}") from None
        local = self.webhook_url.startswith(("http://127.0.0.1", "http://localhost"))
        if self.webhook_url and not self.webhook_url.startswith("https://") and not local:
            raise SettingsError("WEBHOOK_URL must start with https:// (Telegram requires it)")
        if self.webhook_url and len(self.webhook_secret) < 16:
            raise SettingsError(
                "WEBHOOK_SECRET must be set (16 to 256 characters: A-Z, a-z, 0-9, _ and -) "
                "when WEBHOOK_URL is set"
            )
        ev = self.evidence
        if ev.min_side * ev.min_side > ev.max_pixels:
            raise SettingsError("EVIDENCE_MAX_PIXELS must be at least EVIDENCE_MIN_SIDE squared")
        if ev.store_max_side < ev.min_side:
            raise SettingsError("EVIDENCE_STORE_MAX_SIDE must be at least EVIDENCE_MIN_SIDE")
        if ev.near_duplicate_distance > 64:
            raise SettingsError("EVIDENCE_NEAR_DUPLICATE_DISTANCE is in bits of 64: 0 to 64")
        allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        if self.webhook_secret and not set(self.webhook_secret) <= allowed:
            raise SettingsError("WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and -")
