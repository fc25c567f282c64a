"""Wiring the counselors' group into ``jkp-bot run``: the staff router after the
private-only guard, the ``staff`` outbox sender on the same bot, the counseling timers."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.counseling.delivery import StaffDelivery
from bot.counseling.staff import EvidenceReviewer, StaffDesk
from bot.counseling.store import STAFF
from scheduler.counseling import add_counseling_jobs
from scheduler.outbox import OutboxSender

if TYPE_CHECKING:
    from bot.app import App
    from bot.channels.telegram import TelegramRuntime

GROUP_INTERVAL = 3.0  # seconds between messages to the group (Telegram: ~20 a minute)


def counseling_runtime(app: App, *, evidence: EvidenceReviewer | None = None) -> TelegramRuntime:
    """The Telegram runtime, with the counselors' group when ``COUNSELOR_CHAT_ID`` is set;
    counselors review evidence there with the operators' review (bot/evidence/review.py)
    unless another ``evidence`` reviewer is given."""
    from bot.channels.telegram import TelegramRuntime
    from bot.evidence.review import EvidenceReview

    if evidence is None:
        evidence = EvidenceReview(app)

    chat_id = app.settings.counseling.chat_id
    if chat_id is None:
        return TelegramRuntime(app)
    desk = StaffDesk(app, chat_id, evidence=evidence)
    runtime = TelegramRuntime(app, staff_groups=[chat_id], routers=[desk.router()])
    settings = app.settings
    lease = settings.outbox_lease_seconds
    sender = OutboxSender(
        app.db, STAFF,
        StaffDelivery(runtime.bot, app.engine.domain, app.db, chat_id, deadline=lease * 0.8),
        app.engine.clock, per_second=1.0, chat_interval=GROUP_INTERVAL, chat_burst=3,
        lease=timedelta(seconds=lease), ttl=timedelta(days=3),
    )  # fmt: skip
    runtime.add_sender(sender)
    desk.wake = sender.wake
    add_counseling_jobs(runtime.jobs, app)
    return runtime
