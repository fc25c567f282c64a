"""The placement report dialog, pure: state + input + context -> new state, response keys,
effects. No engine, no database: records come as answers to its queries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.core.types import Context, Input, SystemEvent, Turn, Upload
from bot.dialogs.placement import (
    EDIT,
    SKIP_PHOTO,
    YES,
    PlacementDialog,
    accepts_upload,
)
from bot.records.evidence_model import DiscardUploads, StageUpload, UploadSeenQuery
from bot.records.placement_model import (
    REMIND,
    REPORTED,
    STARTED,
    DropPlacement,
    PlacementRecord,
    PlacementsQuery,
    ReportPlacement,
    StartPlacement,
)
from bot.rules.config import RuleSettings

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # Monday
DIALOG = PlacementDialog(RuleSettings())
D_HIRED, D_DEADLINE = date(2025, 5, 30), date(2025, 6, 11)
PHOTO = Upload(ref="ab" * 16, sha256="c" * 64, phash="0" * 16, dhash="0" * 16, mime="image/jpeg")


def ctx(*records: PlacementRecord, channel: str = "telegram", seen: bool = False,
        now: datetime = NOW) -> Context:  # fmt: skip
    answers: dict[Any, Any] = {PlacementsQuery(): tuple(records)}
    answers[UploadSeenQuery(PHOTO.sha256)] = seen
    return Context(now, answers=answers, channel=channel)


def keys(turn: Turn) -> list[str]:
    return [p.key for m in turn.messages for p in m.parts]


def params(turn: Turn, key: str) -> dict[str, str]:
    return next(dict(p.params) for m in turn.messages for p in m.parts if p.key == key)


def record(status: str = STARTED, deadline: date = date(2025, 6, 11), **kw: Any) -> PlacementRecord:
    base: dict[str, Any] = dict(
        id=1, status=status, hired_on=date(2025, 5, 30), deadline=deadline, company="",
        position="", photos=0, started_at=datetime(2025, 6, 2, 3, tzinfo=UTC), reported_at=None,
    )  # fmt: skip
    return PlacementRecord(**{**base, **kw})


def run(inputs: list[Input], c: Context | None = None) -> tuple[dict[str, Any], list[Turn]]:
    c = c or ctx()
    turn = DIALOG.start(c, {})
    turns = [turn]
    for inp in inputs:
        turn = DIALOG.handle(c, turn.data, inp)
        turns.append(turn)
    return turn.data, turns


HIRED_TO_POSITION = [Input(text="30-05-2025"), Input(text="PT Maju Jaya"),
                     Input(text="Operator produksi")]  # fmt: skip


def test_start_asks_the_hire_date_first() -> None:
    turn = DIALOG.start(ctx(), {})
    assert keys(turn) == ["utter_placement_intro", "utter_ask_hired_on"]
    assert params(turn, "utter_placement_intro") == {"days": "7"}
    assert turn.data == {"step": "hired_on"} and not turn.effects


def test_the_hire_date_shows_the_deadline_and_starts_the_report() -> None:
    data, turns = run([Input(text="30-05-2025")])
    turn = turns[-1]
    assert keys(turn) == ["utter_placement_deadline", "utter_ask_placement_company"]
    # Fri 30 May 2025 + 7 working days (Idul Adha Fri 6 Jun skipped) = Wed 11 Jun; from
    # Mon 2 Jun: 3, 4, 5, 9, 10, 11 Jun are left.
    assert params(turn, "utter_placement_deadline") == {
        "hired": "30 Mei 2025",
        "deadline": "11 Juni 2025",
        "days": "7",
        "left": "6",
    }
    assert turn.effects == (StartPlacement(date(2025, 5, 30), date(2025, 6, 11), NOW.date()),)
    assert data == {"step": "placement_company", "hired_on": "2025-05-30",
                    "deadline": "2025-06-11"}  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "key"),
    [("16-05-2025", "utter_placement_deadline_passed"),  # deadline 27 May 2025
     ("21-05-2025", "utter_placement_deadline_today")],  # Ascension 29 May: deadline 2 Jun
)  # fmt: skip
def test_a_deadline_today_or_past_is_said_so(typed: str, key: str) -> None:
    _, turns = run([Input(text=typed)])
    assert keys(turns[-1])[0] == key


def test_a_loose_date_is_read_back_not_taken() -> None:
    data, turns = run([Input(text="kemarin")])
    assert keys(turns[-1]) == ["utter_confirm_date", "utter_ask_hired_on"]
    assert data == {"step": "hired_on"} and not turns[-1].effects
    data, turns = run([Input(text="kemarin"), Input(choice="confirm:hired_on:2025-06-01")])
    assert data["hired_on"] == "2025-06-01"


def test_full_report_with_a_photo() -> None:
    data, turns = run([*HIRED_TO_POSITION, Input(media="photo", upload=PHOTO), Input(choice=YES)])
    assert keys(turns[3]) == ["utter_ask_placement_photo"]
    assert keys(turns[4]) == [
        "utter_placement_photo_received",
        "utter_placement_summary",
        "utter_placement_summary_photo",
        "utter_ask_placement_confirm",
    ]
    assert turns[4].effects == (StageUpload(PHOTO),)
    assert params(turns[4], "utter_placement_summary") == {
        "company": "PT Maju Jaya", "position": "Operator produksi", "hired": "30 Mei 2025",
        "deadline": "11 Juni 2025"}  # fmt: skip
    last = turns[-1]
    assert last.done and data == {}
    assert keys(last) == ["utter_placement_reported"]
    assert last.effects == (ReportPlacement("PT Maju Jaya", "Operator produksi", date(2025, 5, 30),
                                            date(2025, 6, 11), PHOTO.ref),)  # fmt: skip


def test_full_report_without_a_photo() -> None:
    _, turns = run([*HIRED_TO_POSITION, Input(choice=SKIP_PHOTO), Input(intent="affirm")])
    assert "utter_placement_summary_no_photo" in keys(turns[4])
    report = ReportPlacement("PT Maju Jaya", "Operator produksi", D_HIRED, D_DEADLINE, "")
    assert turns[-1].effects == (report,)


def test_sms_skips_the_photo() -> None:
    _, turns = run(HIRED_TO_POSITION, ctx(channel="sms"))
    assert keys(turns[-1])[-1] == "utter_ask_placement_confirm"
    assert DIALOG.back(ctx(channel="sms"), turns[-1].data).data["step"] == "placement_position"


def test_bad_input_keeps_the_step() -> None:
    data, turns = run([Input(text="30-05-2025"), Input(media="sticker")])
    assert keys(turns[-1]) == ["utter_invalid_media", "utter_ask_placement_company"]
    assert data["step"] == "placement_company"
    data, turns = run([*HIRED_TO_POSITION, Input(text="halo")])
    assert keys(turns[-1]) == ["utter_invalid_placement_photo", "utter_ask_placement_photo"]
    data, turns = run([*HIRED_TO_POSITION, Input(choice="ev:done")])
    assert keys(turns[-1])[0] == "utter_invalid_stale_button"
    _, turns = run([*HIRED_TO_POSITION, Input(choice=SKIP_PHOTO), Input(choice="ev:done")])
    assert keys(turns[-1])[0] == "utter_invalid_stale_button" and not turns[-1].effects
    _, turns = run([Input(text="x" * 300)])
    assert keys(turns[-1])[0].startswith("utter_invalid_date_")


def test_photos_refused_or_seen_are_not_staged() -> None:
    refused = Upload(refused="not_image")
    _, turns = run([*HIRED_TO_POSITION, Input(media="photo", upload=refused)])
    assert keys(turns[-1])[0] == "utter_evidence_refused_not_image" and not turns[-1].effects
    _, turns = run([*HIRED_TO_POSITION, Input(media="photo", upload=PHOTO)], ctx(seen=True))
    assert keys(turns[-1])[0] == "utter_evidence_refused_duplicate" and not turns[-1].effects


def test_a_second_photo_replaces_the_first() -> None:
    data, _ = run([*HIRED_TO_POSITION, Input(media="photo", upload=PHOTO)])
    back = DIALOG.back(ctx(), data)
    assert back.data["step"] == "placement_photo"
    other = Upload(ref="cd" * 16, sha256="d" * 64)
    c = Context(NOW, answers={PlacementsQuery(): (), UploadSeenQuery(other.sha256): False})
    turn = DIALOG.handle(c, back.data, Input(media="photo", upload=other))
    assert turn.effects == (DiscardUploads((PHOTO.ref,)), StageUpload(other))


def test_edit_goes_back_to_the_hire_date() -> None:
    data, turns = run([*HIRED_TO_POSITION, Input(choice=SKIP_PHOTO), Input(choice=EDIT)])
    assert data["step"] == "hired_on" and keys(turns[-1]) == ["utter_ask_hired_on"]


def test_back_and_cancel() -> None:
    data, _ = run([Input(text="30-05-2025")])
    assert keys(DIALOG.back(ctx(), data)) == ["utter_back_ok", "utter_ask_hired_on"]
    assert keys(DIALOG.back(ctx(), {"step": "hired_on"}))[0] == "utter_back_at_start"
    cancelled = DIALOG.cancel(ctx(), data)
    assert cancelled.done and cancelled.data == {} and cancelled.effects == (DropPlacement(),)
    data, _ = run([*HIRED_TO_POSITION, Input(media="photo", upload=PHOTO)])
    assert DIALOG.cancel(ctx(), data).effects == (DiscardUploads((PHOTO.ref,)), DropPlacement())


def test_resume_here_or_from_the_started_record() -> None:
    data, _ = run(HIRED_TO_POSITION[:2])
    turn = DIALOG.start(ctx(record()), data)
    assert keys(turn) == ["utter_placement_resume", "utter_ask_placement_position"]
    turn = DIALOG.start(ctx(record()), {})  # another channel, or the state was lost
    assert keys(turn) == ["utter_placement_resume", "utter_placement_deadline",
                          "utter_ask_placement_company"]  # fmt: skip
    assert turn.data["hired_on"] == "2025-05-30" and not turn.effects


def test_an_earlier_report_is_mentioned() -> None:
    done = record(REPORTED, company="PT A", position="Kasir", photos=1,
                  reported_at=datetime(2025, 5, 1, 3, tzinfo=UTC))  # fmt: skip
    turn = DIALOG.start(ctx(done), {})
    assert keys(turn) == ["utter_placement_intro", "utter_placement_last_report",
                          "utter_ask_hired_on"]  # fmt: skip


def reminder(deadline: str = "2025-06-11", offset: int = 3) -> SystemEvent:
    return SystemEvent(9, REMIND, {"deadline": deadline, "offset": offset}, key="k",
                       essential=True)  # fmt: skip


def test_reminder_says_how_long_is_left_with_a_button_back() -> None:
    turn = DIALOG.system(ctx(record()), {"step": "placement_company"}, reminder())
    assert keys(turn) == ["utter_placement_reminder"]
    assert params(turn, "utter_placement_reminder") == {
        "deadline": "11 Juni 2025",
        "hired": "30 Mei 2025",
        "left": "3",
    }
    assert turn.data == {"step": "placement_company"} and not turn.activate
    on_the_day = ctx(record(), now=datetime(2025, 6, 11, 9, tzinfo=ZoneInfo("Asia/Jakarta")))
    assert keys(DIALOG.system(on_the_day, {}, reminder(offset=0))) == [
        "utter_placement_reminder_today"
    ]


@pytest.mark.parametrize(
    "records",
    [(), (record(REPORTED, reported_at=NOW),), (record(deadline=date(2025, 6, 20)),)],
    ids=["dropped", "reported", "another_hire_date"],
)
def test_no_reminder_once_finished_dropped_or_moved(records: tuple[PlacementRecord, ...]) -> None:
    turn = DIALOG.system(ctx(*records), {}, reminder())
    assert turn.messages == ()


def test_data_shows_reports_started_and_draft() -> None:
    done = record(REPORTED, company="PT A", position="Kasir", photos=1,
                  reported_at=datetime(2025, 5, 1, 3, tzinfo=UTC))  # fmt: skip
    data, _ = run([*HIRED_TO_POSITION, Input(media="photo", upload=PHOTO)])
    lines = DIALOG.summary(ctx(record(), done), data)
    assert [k for k, _ in lines] == ["utter_data_placement_started",
                                     "utter_data_placement_reported",
                                     "utter_data_placement_draft"]  # fmt: skip
    assert lines[1][1]["company"] == "PT A" and lines[1][1]["photos"] == "1"
    assert lines[2][1] == {"company": "PT Maju Jaya", "position": "Operator produksi",
                           "photos": "1"}  # fmt: skip
    assert DIALOG.summary(ctx(), {}) == []


def test_the_channel_downloads_a_photo_only_at_the_photo_step() -> None:
    data, _ = run(HIRED_TO_POSITION)
    assert accepts_upload({"active": "placement", "dialogs": {"placement": data}})
    assert not accepts_upload({"active": "evidence", "dialogs": {"placement": data}})
    assert not accepts_upload({"active": "placement", "dialogs": {"placement": {"step": "x"}}})
    assert not accepts_upload(None)
