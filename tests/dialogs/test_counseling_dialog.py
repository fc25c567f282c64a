"""Konseling with a PETUGAS request open beside the counseling request: the menu shows and
cancels the request the person made there, a PETUGAS request does not stop them from asking
for counseling, and DATA names it for what it is (the pure dialog)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.types import Context, Input
from bot.counseling.config import CounselingSettings
from bot.counseling.model import (
    SCHEDULED_KIND,
    URGENT_KIND,
    WAITING,
    CancelRequest,
    CounselingQuery,
    CounselingRecord,
    RequestCounseling,
    SessionView,
)
from bot.dialogs.counseling import CounselingDialog

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
DIALOG = CounselingDialog(CounselingSettings(chat_id=-100123))
ASKED = SessionView(7, SCHEDULED_KIND, WAITING, NOW - timedelta(hours=2), reason="bingung kerja")
PETUGAS = SessionView(9, URGENT_KIND, WAITING, NOW - timedelta(minutes=5))


def ctx(*sessions: SessionView) -> Context:
    record = CounselingRecord(True, tuple(sessions))  # (newest first)
    return Context(NOW, answers={CounselingQuery(): record}, channel="console")


def keys(turn: object) -> list[str]:
    return [p.key for m in turn.messages for p in m.parts]  # type: ignore[attr-defined]


def test_cancel_takes_the_counseling_request_not_the_newer_petugas_one() -> None:
    context = ctx(PETUGAS, ASKED)
    asked = DIALOG.handle(context, {"step": "home"}, Input(choice="counseling:cancel"))
    assert asked.data == {"step": "confirm_cancel"}
    done = DIALOG.handle(context, asked.data, Input(choice="counseling:cancel_yes"))
    assert done.effects == (CancelRequest(ASKED.id),)


def test_a_petugas_request_alone_does_not_stop_a_counseling_request() -> None:
    context = ctx(PETUGAS)
    asked = DIALOG.handle(context, {"step": "home"}, Input(choice="counseling:ask"))
    assert asked.data == {"step": "reason"}
    sent = DIALOG.handle(context, asked.data, Input(text="saya bingung mau kerja apa"))
    assert sent.effects == (RequestCounseling("saya bingung mau kerja apa"),)
    # ...while an open counseling request does
    again = DIALOG.handle(ctx(PETUGAS, ASKED), {"step": "home"}, Input(choice="counseling:ask"))
    assert "utter_counseling_already_open" in keys(again) and again.data == {"step": "home"}


def test_data_names_a_petugas_request_as_such() -> None:
    lines = DIALOG.summary(ctx(PETUGAS, ASKED), {})
    assert [key for key, _ in lines] == [
        "utter_data_counseling_registered",
        "utter_data_counseling_urgent",
        "utter_data_counseling_waiting",
    ]
