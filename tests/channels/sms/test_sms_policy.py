"""WhatsApp's 24-hour window and the monthly SMS budget (pure, time as an argument)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.channels.sms.policy import (
    DEFAULT_MARGIN,
    SmsBudget,
    WhatsAppSend,
    budget_month,
    whatsapp_send_mode,
    whatsapp_window,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
WROTE = datetime(2025, 6, 10, 9, 0, tzinfo=JAKARTA)
H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("last_inbound", "now", "margin", "open_"),
    [
        (None, WROTE, DEFAULT_MARGIN, False),  # never wrote: template only
        (WROTE, WROTE, DEFAULT_MARGIN, True),
        (WROTE, WROTE + 23 * H, DEFAULT_MARGIN, True),
        (WROTE, WROTE + 24 * H - 11 * M, DEFAULT_MARGIN, True),
        (WROTE, WROTE + 24 * H - 10 * M, DEFAULT_MARGIN, False),  # within the safety margin
        (WROTE, WROTE + 24 * H - 1 * M, timedelta(0), True),
        (WROTE, WROTE + 24 * H, timedelta(0), False),  # the window is [wrote, wrote + 24h)
        (WROTE, WROTE + 72 * H, DEFAULT_MARGIN, False),
        # the same instant written in another zone
        (WROTE.astimezone(UTC), WROTE + 23 * H, DEFAULT_MARGIN, True),
    ],
)
def test_whatsapp_window(
    last_inbound: datetime | None, now: datetime, margin: timedelta, open_: bool
) -> None:
    state = whatsapp_window(last_inbound, now, margin=margin)
    assert state.open is open_
    if last_inbound is None:
        assert state.closes_at is None
    else:
        assert state.closes_at == last_inbound + timedelta(hours=24) - margin


@pytest.mark.parametrize(
    ("last_inbound", "template", "mode"),
    [
        (WROTE, "HX1", WhatsAppSend.FREE_FORM),
        (WROTE, "", WhatsAppSend.FREE_FORM),
        (WROTE - 30 * H, "HX1", WhatsAppSend.TEMPLATE),
        (WROTE - 30 * H, "", WhatsAppSend.SMS),
        (None, "HX1", WhatsAppSend.TEMPLATE),
        (None, "", WhatsAppSend.SMS),
    ],
)
def test_send_mode(last_inbound: datetime | None, template: str, mode: WhatsAppSend) -> None:
    assert whatsapp_send_mode(last_inbound, WROTE, template_sid=template) is mode


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        whatsapp_window(datetime(2025, 6, 10, 9), WROTE)
    with pytest.raises(ValueError):
        whatsapp_window(WROTE, datetime(2025, 6, 10, 9))
    with pytest.raises(ValueError):
        budget_month(datetime(2025, 6, 10, 9), JAKARTA)


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        (datetime(2025, 6, 10, 9, tzinfo=JAKARTA), (2025, 6), (2025, 7)),
        (datetime(2025, 12, 31, 23, 59, tzinfo=JAKARTA), (2025, 12), (2026, 1)),
        # 20:00 UTC on 31 January is 1 February 03:00 in Jakarta: February's budget
        (datetime(2025, 1, 31, 20, tzinfo=UTC), (2025, 2), (2025, 3)),
        (datetime(2024, 2, 29, 12, tzinfo=JAKARTA), (2024, 2), (2024, 3)),
    ],
)
def test_budget_month(now: datetime, start: tuple[int, int], end: tuple[int, int]) -> None:
    first, after = budget_month(now, JAKARTA)
    assert first == datetime(*start, 1, tzinfo=JAKARTA)
    assert after == datetime(*end, 1, tzinfo=JAKARTA)
    assert first <= now < after


@pytest.mark.parametrize(
    ("monthly", "used", "segments", "allowed", "remaining"),
    [
        (None, 10**9, 3, True, None),
        (100, 0, 3, True, 100),
        (100, 97, 3, True, 3),
        (100, 98, 3, False, 2),  # a message goes whole or not at all
        (100, 150, 1, False, 0),
        (0, 0, 1, False, 0),
        (0, 0, 0, True, 0),
    ],
)
def test_budget(
    monthly: int | None, used: int, segments: int, allowed: bool, remaining: int | None
) -> None:
    budget = SmsBudget(monthly)
    assert budget.allows(used, segments) is allowed
    assert budget.remaining(used) == remaining


def test_budget_refuses_negative_counts() -> None:
    with pytest.raises(ValueError):
        SmsBudget(10).allows(-1, 1)
