"""Unduh CV, the pure dialog: it asks for the CV only where a file can go, and the reply
carries the file as a ``store:`` document."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.types import Attachment, Context, Input, NeedAnswers
from bot.cv.model import CvFile, CvQuery
from bot.dialogs.cv import CvDialog

NOW = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)
DIALOG = CvDialog()


def test_the_cv_goes_with_the_reply_as_a_document() -> None:
    made = CvFile("ab" * 32, "CV Siti Rahmawati.pdf")
    ctx = Context(NOW, answers={CvQuery(): made}, channel="telegram")
    turn = DIALOG.start(ctx, {})
    assert turn.done and turn.data == {} and turn.effects == ()
    (message,) = turn.messages
    assert [p.key for p in message.parts] == ["utter_cv_ready"]
    assert message.attachment == Attachment(
        "document", f"store:{'ab' * 32}", "CV Siti Rahmawati.pdf", "application/pdf"
    )


def test_it_asks_for_the_cv_only_where_a_file_can_go() -> None:
    with pytest.raises(NeedAnswers) as asked:
        DIALOG.start(Context(NOW, channel="console"), {})
    assert asked.value.queries == (CvQuery(),)
    sms = DIALOG.start(Context(NOW, channel="sms"), {})  # nothing asked, nothing made
    assert [p.key for m in sms.messages for p in m.parts] == ["utter_cv_no_files_here"]
    assert sms.done


def test_no_name_in_the_profile_points_to_it() -> None:
    ctx = Context(NOW, answers={CvQuery(): None}, channel="console")
    turn = DIALOG.start(ctx, {})
    assert [p.key for m in turn.messages for p in m.parts] == ["utter_cv_needs_profile"]
    assert turn.messages[0].attachment is None and turn.done


def test_nothing_waits_for_an_answer() -> None:
    ctx = Context(NOW, answers={CvQuery(): None}, channel="console")
    assert DIALOG.handle(ctx, {"step": "old"}, Input(text="halo")).done
    for turn in (DIALOG.back(ctx, {}), DIALOG.cancel(ctx, {}), DIALOG.reprompt(ctx, {})):
        assert turn.done and turn.messages == ()
    assert DIALOG.summary(ctx, {}) == []
