"""When and how much: WhatsApp's 24-hour customer-service window and the monthly SMS budget.
Pure functions; the time comes in as an argument (timezone-aware).

WhatsApp lets a business send free text only within 24 hours of the person's last message;
outside that window only a pre-approved template may start a conversation. The budget caps
the SMS segments the bot itself starts (scheduled messages, fallback when Telegram fails) in a
calendar month of the bot's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

WHATSAPP_WINDOW = timedelta(hours=24)
# A message decided on now is sent a little later (queue, rate limit, retries): treat the
# window as closing this much earlier, so free text never arrives after it closed.
DEFAULT_MARGIN = timedelta(minutes=10)


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True)
class WindowState:
    open: bool  # free text may be sent now
    closes_at: datetime | None  # when free text stops being allowed (margin included)


def whatsapp_window(
    last_inbound: datetime | None, now: datetime, *, margin: timedelta = DEFAULT_MARGIN
) -> WindowState:
    """Whether free text may go to a WhatsApp user whose last message came at
    ``last_inbound`` (None: never wrote), and until when."""
    _aware(now, "now")
    if last_inbound is None:
        return WindowState(False, None)
    _aware(last_inbound, "last_inbound")
    closes_at = last_inbound + WHATSAPP_WINDOW - margin
    return WindowState(now < closes_at, closes_at)


class WhatsAppSend(StrEnum):
    FREE_FORM = "free_form"  # the window is open: the message as it is
    TEMPLATE = "template"  # closed: the configured template
    SMS = "sms"  # closed and no template configured: by SMS instead


def whatsapp_send_mode(
    last_inbound: datetime | None,
    now: datetime,
    *,
    template_sid: str,
    margin: timedelta = DEFAULT_MARGIN,
) -> WhatsAppSend:
    """How a message to a WhatsApp user goes out now."""
    if whatsapp_window(last_inbound, now, margin=margin).open:
        return WhatsAppSend.FREE_FORM
    return WhatsAppSend.TEMPLATE if template_sid else WhatsAppSend.SMS


def budget_month(now: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """The calendar month of ``now`` in ``zone``: start (inclusive), end (exclusive)."""
    _aware(now, "now")
    local = now.astimezone(zone)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start, start.replace(year=year, month=month)


@dataclass(frozen=True)
class SmsBudget:
    """At most ``monthly_segments`` segments a month; None: no limit."""

    monthly_segments: int | None

    def remaining(self, used: int) -> int | None:
        if self.monthly_segments is None:
            return None
        return max(0, self.monthly_segments - used)

    def allows(self, used: int, segments: int) -> bool:
        """Whether a message of ``segments`` still fits after ``used`` this month (a message
        is sent whole or not at all)."""
        if segments < 0 or used < 0:
            raise ValueError("segments and used cannot be negative")
        remaining = self.remaining(used)
        return remaining is None or segments <= remaining
