"""Configuration from the environment. Every setting has an embedded default except the
Telegram token, so `jkp-bot console` runs with nothing set."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.counseling.config import CounselingSettings, CounselingSettingsError
from bot.evidence.config import EvidenceSettings
from bot.rules.config import LedgerCount, RuleSettings


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


APP_NAME = "pendamping-jkp"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_NOTICE_VERSION = 64  # persons.consent_version, consent_events.notice_version
MAX_CONSOLE_USER = 64


def default_database_url() -> str:
    """A SQLite file in the user's data folder (~/.local/share/pendamping-jkp on Linux), so
    starting the bot from another folder finds the same data rather than a new, empty one."""
    from platformdirs import user_data_path

    return f"sqlite:///{user_data_path(APP_NAME) / 'jkp.sqlite3'}"


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


_HOURS = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*-\s*(\d{1,2})[:.](\d{2})\s*$")


def _hours(env: Mapping[str, str], name: str, default: tuple[int, int]) -> tuple[int, int]:
    """A daily window as minutes after midnight, start inclusive, end exclusive
    (``08:00-20:00``; ``00:00-24:00`` is the whole day)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    m = _HOURS.match(raw)
    if not m:
        raise SettingsError(f"{name} must look like 08:00-20:00, got {raw!r}")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise SettingsError(f"{name}: no such time in {raw!r}")
    first, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= first:
        raise SettingsError(f"{name} must end after it starts, got {raw!r}")
    return first, end


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


SMS_PROVIDERS = ("twilio", "json")
# Variables that only mean something with SMS_PROVIDER set: setting one alone is a mistake.
_SMS_ONLY = (
    "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "SMS_FROM", "WHATSAPP_FROM", "SMS_WEBHOOK_URL",
    "SMS_API_BASE", "SMS_API_TOKEN", "SMS_WEBHOOK_SECRET", "WHATSAPP_TEMPLATE_SID",
)  # fmt: skip
_TWILIO_SID = re.compile(r"(?i)AC[0-9a-f]{32}")
_SERVICE_SID = re.compile(r"(?i)MG[0-9a-f]{32}")
_CONTENT_SID = re.compile(r"(?i)HX[0-9a-f]{32}")
_ALPHANUMERIC_SENDER = re.compile(r"[A-Za-z0-9 ]{1,11}")


def _local_or_https(url: str) -> bool:
    return url.startswith(("https://", "http://127.0.0.1", "http://localhost"))


@dataclass(frozen=True)
class SmsSettings:
    """SMS and WhatsApp (issue 12). Off unless ``SMS_PROVIDER`` is set."""

    provider: str = ""  # SMS_PROVIDER: twilio | json; empty: no SMS
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    sms_from: str = ""  # E.164 number, Messaging Service SID (MG...) or alphanumeric sender
    whatsapp_from: str = ""  # E.164 WhatsApp sender (or MG...); empty: no WhatsApp
    webhook_url: str = ""  # public URL the provider posts to (Twilio signs it)
    webhook_path_override: str = ""  # SMS_WEBHOOK_PATH
    api_base: str = ""  # SMS_API_BASE: Twilio's by default; the aggregator's for json
    api_token: str = ""  # json: Bearer token for sending
    webhook_secret: str = ""  # json: HMAC key of inbound X-Signature
    whatsapp_template_sid: str = ""  # used outside WhatsApp's 24-hour window
    monthly_budget: int | None = None  # SMS segments the bot may start per month; None: no cap
    segment_budget: int = 3  # segments per dialog turn
    per_second: float = 1.0  # the SMS outbox sender's rate
    link_code_minutes: int = 10  # LINK_CODE_MINUTES: a link code works this long
    person_monthly_budget: int | None = 10  # SMS_PERSON_MONTHLY_BUDGET: segments per person
    fallback_after_minutes: int = 60  # SMS_FALLBACK_AFTER_MINUTES: undelivered, then SMS

    @property
    def enabled(self) -> bool:
        return bool(self.provider)

    @property
    def whatsapp_enabled(self) -> bool:
        return self.enabled and bool(self.whatsapp_from)

    @property
    def webhook_path(self) -> str:
        return self.webhook_path_override or urlparse(self.webhook_url).path or "/sms"

    @property
    def api_url(self) -> str:
        if self.api_base:
            return self.api_base
        return "https://api.twilio.com" if self.provider == "twilio" else ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmsSettings:
        def text(name: str) -> str:
            return env.get(name, "").strip()

        provider = text("SMS_PROVIDER").lower()
        if not provider and (stray := [n for n in _SMS_ONLY if text(n)]):
            raise SettingsError(f"{stray[0]} is set but SMS_PROVIDER is not (twilio or json)")
        raw_budget = text("SMS_MONTHLY_BUDGET")
        return cls(
            provider=provider,
            twilio_account_sid=text("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=text("TWILIO_AUTH_TOKEN"),
            sms_from=text("SMS_FROM"),
            whatsapp_from=text("WHATSAPP_FROM"),
            webhook_url=text("SMS_WEBHOOK_URL"),
            webhook_path_override=text("SMS_WEBHOOK_PATH"),
            api_base=text("SMS_API_BASE").rstrip("/"),
            api_token=text("SMS_API_TOKEN"),
            webhook_secret=text("SMS_WEBHOOK_SECRET"),
            whatsapp_template_sid=text("WHATSAPP_TEMPLATE_SID"),
            monthly_budget=_int(env, "SMS_MONTHLY_BUDGET", 0, 0) if raw_budget else None,
            segment_budget=_int(env, "SMS_SEGMENT_BUDGET", 3, 1),
            per_second=float(_int(env, "SMS_PER_SECOND", 1, 1)),
            link_code_minutes=_int(env, "LINK_CODE_MINUTES", 10, 1),
            person_monthly_budget=(
                _int(env, "SMS_PERSON_MONTHLY_BUDGET", 10, 0)
                if text("SMS_PERSON_MONTHLY_BUDGET").lower() != "none"
                else None
            ),
            fallback_after_minutes=_int(env, "SMS_FALLBACK_AFTER_MINUTES", 60, 1),
        )

    def validate(self) -> None:
        if not self.enabled:
            return
        if self.provider not in SMS_PROVIDERS:
            raise SettingsError(f"SMS_PROVIDER must be twilio or json, got {self.provider!r}")
        from bot.channels.sms.phone import is_e164  # phonenumbers only when SMS is on

        if not (self.sms_from or self.whatsapp_from):
            raise SettingsError("SMS_FROM or WHATSAPP_FROM must be set with SMS_PROVIDER")
        if self.sms_from and not (
            is_e164(self.sms_from)
            or _SERVICE_SID.fullmatch(self.sms_from)
            or (_ALPHANUMERIC_SENDER.fullmatch(self.sms_from) and not self.sms_from.isdigit())
        ):
            raise SettingsError(
                "SMS_FROM must be a number in E.164 (+62...), a Messaging Service SID (MG...) "
                f"or a sender name of at most 11 letters and digits, got {self.sms_from!r}"
            )
        if self.whatsapp_from and not (
            is_e164(self.whatsapp_from) or _SERVICE_SID.fullmatch(self.whatsapp_from)
        ):
            raise SettingsError(
                f"WHATSAPP_FROM must be a number in E.164 (+62...), got {self.whatsapp_from!r}"
            )
        if self.webhook_url and not _local_or_https(self.webhook_url):
            raise SettingsError("SMS_WEBHOOK_URL must start with https://")
        if not self.webhook_path.startswith("/"):
            raise SettingsError(f"SMS_WEBHOOK_PATH must start with /, got {self.webhook_path!r}")
        if self.api_base and not self.api_base.startswith(("https://", "http://")):
            raise SettingsError(f"SMS_API_BASE must be an http(s) URL, got {self.api_base!r}")
        if self.provider == "twilio":
            if not _TWILIO_SID.fullmatch(self.twilio_account_sid):
                raise SettingsError("TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits")
            if not self.twilio_auth_token or any(c.isspace() for c in self.twilio_auth_token):
                raise SettingsError("TWILIO_AUTH_TOKEN must be set (the account's Auth Token)")
            if self.whatsapp_template_sid and not _CONTENT_SID.fullmatch(
                self.whatsapp_template_sid
            ):
                raise SettingsError(
                    "WHATSAPP_TEMPLATE_SID must be a Content SID: HX followed by 32 hex digits"
                )
        else:
            if not self.api_base:
                raise SettingsError("SMS_API_BASE must be set with SMS_PROVIDER=json")
            if not self.api_token:
                raise SettingsError("SMS_API_TOKEN must be set with SMS_PROVIDER=json")
            if len(self.webhook_secret) < 16:
                raise SettingsError(
                    "SMS_WEBHOOK_SECRET must be set (at least 16 characters) with SMS_PROVIDER=json"
                )
        if self.whatsapp_template_sid and not self.whatsapp_from:
            raise SettingsError("WHATSAPP_TEMPLATE_SID is set but WHATSAPP_FROM is not")


def _counseling(env: Mapping[str, str]) -> CounselingSettings:
    try:
        counseling = CounselingSettings.from_env(env)
    except CounselingSettingsError as e:
        raise SettingsError(str(e)) from None
    day = (counseling.closes.hour * 60 + counseling.closes.minute) - (
        counseling.opens.hour * 60 + counseling.opens.minute
    )
    if counseling.slot_minutes > day:
        raise SettingsError("COUNSELING_SLOT_MINUTES must fit within COUNSELING_OFFICE_HOURS")
    return counseling


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=lambda: default_database_url())
    telegram_token: str = ""
    telegram_api_base: str = "https://api.telegram.org"
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080
    timezone: str = "Asia/Jakarta"
    retention_days: int = 365
    consent_notice_version: str = "2026-12-01b"
    telegram_per_second: float = 25.0
    telegram_chat_interval: float = 1.0  # seconds between messages to one chat (on average)
    telegram_chat_burst: int = 3  # messages one chat may get at once
    outbox_lease_seconds: int = 30  # a sender's claim on a message; after a crash it expires
    outbox_message_ttl_hours: int = 24  # how long an undelivered reply is still worth sending
    console_user: str = "console"
    encryption_keys: str = ""  # DATA_ENCRYPTION_KEY; see bot/storage/crypto.py
    log_level: str = "INFO"
    # Where the free-text classifier is cached: "" = $XDG_CACHE_HOME/pendamping-jkp (or
    # ~/.cache/pendamping-jkp); "none" = keep it in memory only (nlu/model.py).
    nlu_cache_dir: str = ""
    vacancy_feed_url: str = ""  # VACANCY_FEED_URL: CSV or JSON Lines, fetched on a schedule
    vacancy_feed_minutes: int = 60  # VACANCY_FEED_INTERVAL_MINUTES
    # Monthly progress updates (scheduler/monthly.py): sent only within these local hours
    # (minutes after midnight, end exclusive) of the person's zone; swept this often.
    monthly_hours: tuple[int, int] = (8 * 60, 20 * 60)  # MONTHLY_UPDATE_HOURS
    monthly_sweep_minutes: int = 15  # MONTHLY_SWEEP_MINUTES
    rules: RuleSettings = field(default_factory=RuleSettings)
    sms: SmsSettings = field(default_factory=SmsSettings)
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)
    counseling: CounselingSettings = field(default_factory=CounselingSettings)

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
            nlu_cache_dir=env.get("NLU_CACHE_DIR", "").strip(),
            vacancy_feed_url=env.get("VACANCY_FEED_URL", "").strip(),
            vacancy_feed_minutes=_int(
                env, "VACANCY_FEED_INTERVAL_MINUTES", defaults.vacancy_feed_minutes, 5
            ),
            monthly_hours=_hours(env, "MONTHLY_UPDATE_HOURS", defaults.monthly_hours),
            monthly_sweep_minutes=_int(
                env, "MONTHLY_SWEEP_MINUTES", defaults.monthly_sweep_minutes, 1
            ),
            rules=rules,
            sms=SmsSettings.from_env(env),
            evidence=evidence,
            counseling=_counseling(env),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        if not self.database_url.startswith(("sqlite", "postgres")):
            raise SettingsError(
                f"DATABASE_URL must be sqlite:///FILE or postgresql://..., got "
                f"{self.database_url.split('://')[0]!r}"
            )
        if self.log_level not in LOG_LEVELS:
            raise SettingsError(
                f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}"
            )
        if not 1 <= len(self.consent_notice_version) <= MAX_NOTICE_VERSION:
            raise SettingsError(
                f"CONSENT_NOTICE_VERSION must be 1 to {MAX_NOTICE_VERSION} characters, got "
                f"{len(self.consent_notice_version)}"
            )
        if len(self.console_user) > MAX_CONSOLE_USER:
            raise SettingsError(f"CONSOLE_USER must be at most {MAX_CONSOLE_USER} characters")
        if not self.telegram_api_base.startswith(("https://", "http://")):
            raise SettingsError("TELEGRAM_API_BASE must be an http(s) URL")
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
        feed = urlparse(self.vacancy_feed_url)
        if self.vacancy_feed_url and (feed.scheme not in ("http", "https") or not feed.netloc):
            raise SettingsError(
                f"VACANCY_FEED_URL must be an http:// or https:// address, "
                f"got {self.vacancy_feed_url!r}"
            )
        allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        if self.webhook_secret and not set(self.webhook_secret) <= allowed:
            raise SettingsError("WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and -")
        self.sms.validate()
