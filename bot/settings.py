"""Configuration from the environment. Every setting has an embedded default except the
Telegram token, so `jkp-bot console` runs with nothing set."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.rules.config import RuleSettings


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
    console_user: str = "console"
    encryption_keys: str = ""  # DATA_ENCRYPTION_KEY; see bot/storage/crypto.py
    log_level: str = "INFO"
    vacancy_feed_url: str = ""  # VACANCY_FEED_URL: CSV or JSON Lines, fetched on a schedule
    vacancy_feed_minutes: int = 60  # VACANCY_FEED_INTERVAL_MINUTES
    rules: RuleSettings = field(default_factory=RuleSettings)

    @property
    def webhook_path(self) -> str:
        return urlparse(self.webhook_url).path or "/webhook"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

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
            console_user=env.get("CONSOLE_USER", "").strip() or defaults.console_user,
            encryption_keys=env.get("DATA_ENCRYPTION_KEY", "").strip(),
            log_level=env.get("LOG_LEVEL", "").strip().upper() or defaults.log_level,
            vacancy_feed_url=env.get("VACANCY_FEED_URL", "").strip(),
            vacancy_feed_minutes=_int(
                env, "VACANCY_FEED_INTERVAL_MINUTES", defaults.vacancy_feed_minutes, 5
            ),
            rules=rules,
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
        feed = urlparse(self.vacancy_feed_url)
        if self.vacancy_feed_url and (feed.scheme not in ("http", "https") or not feed.netloc):
            raise SettingsError(
                f"VACANCY_FEED_URL must be an http:// or https:// address, "
                f"got {self.vacancy_feed_url!r}"
            )
        allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        if self.webhook_secret and not set(self.webhook_secret) <= allowed:
            raise SettingsError("WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and -")
