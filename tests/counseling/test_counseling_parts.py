"""Counseling's parts: office hours and slots, its settings, verbatim words, the operator's
commands."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.core.domain import load_default_domain
from bot.core.types import say
from bot.counseling import cli as counseling_cli
from bot.counseling.hours import OfficeHours, format_when
from bot.settings import Settings, SettingsError
from bot.testing.clock import FrozenClock

HOURS = OfficeHours(time(8), time(16), "Asia/Jakarta")
WIB = HOURS.tz


def at(day: int, hour: int, minute: int = 0, month: int = 6) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=WIB)


def test_office_hours_are_working_days_between_the_times() -> None:
    assert HOURS.is_open(at(2, 8))  # Monday 08:00
    assert not HOURS.is_open(at(2, 16))  # closed at 16:00
    assert not HOURS.is_open(at(7, 10))  # Saturday
    assert not HOURS.is_open(at(1, 10, month=5))  # 1 May: Hari Buruh
    assert HOURS.next_open(at(6, 17)) == at(9, 8)  # Friday evening -> Monday
    assert HOURS.next_open(at(30, 17, month=4)) == at(2, 8, month=5)  # over 1 May
    assert HOURS.next_open(at(2, 9)) == at(2, 9)  # open now


def test_slots_start_an_hour_ahead_on_the_grid_and_skip_the_busy() -> None:
    now = at(2, 14, 30)
    slots = HOURS.slots(now, timedelta(hours=1), 3, taken=[at(3, 9).astimezone(UTC)])
    assert slots == [at(3, 8), at(3, 10), at(3, 11)]
    assert HOURS.slots(at(6, 15), timedelta(hours=1), 1) == [at(9, 8)]


def test_when_is_said_in_the_persons_zone() -> None:
    moment = at(2, 11)
    assert format_when(moment, WIB) == "Senin, 2 Juni 2025 pukul 11.00 WIB"
    from zoneinfo import ZoneInfo

    assert format_when(moment, ZoneInfo("Asia/Makassar")).endswith("pukul 12.00 WITA")
    assert format_when(moment, ZoneInfo("Asia/Jayapura")).endswith("pukul 13.00 WIT")


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"COUNSELOR_CHAT_ID": "12345"}, "COUNSELOR_CHAT_ID"),
        ({"COUNSELOR_CHAT_ID": "-12345"}, "COUNSELOR_CHAT_ID"),
        ({"COUNSELING_OFFICE_HOURS": "16:00-08:00"}, "COUNSELING_OFFICE_HOURS"),
        ({"COUNSELING_OFFICE_HOURS": "pagi"}, "COUNSELING_OFFICE_HOURS"),
        ({"COUNSELING_OFFICE_HOURS": "08:00-09:00", "COUNSELING_SLOT_MINUTES": "90"},
         "COUNSELING_SLOT_MINUTES"),
        ({"COUNSELING_TAKEOVER_WAIT_MINUTES": "0"}, "COUNSELING_TAKEOVER_WAIT_MINUTES"),
        ({"COUNSELING_SLOTS_OFFERED": "20"}, "COUNSELING_SLOTS_OFFERED"),
    ],
)  # fmt: skip
def test_settings_that_cannot_be_used_are_named(env: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        Settings.from_env(env)


def test_settings_read() -> None:
    c = Settings.from_env({"COUNSELOR_CHAT_ID": "-1001234567890",
                           "COUNSELING_OFFICE_HOURS": "07.30-15.00"}).counseling  # fmt: skip
    assert (c.chat_id, c.opens, c.closes, c.staffed) == (-1001234567890, time(7, 30),
                                                         time(15), True)  # fmt: skip
    assert not Settings.from_env({}).counseling.staffed


def test_a_persons_words_are_shown_as_they_are() -> None:
    domain = load_default_domain()
    for words in ("choice:menu:profile", "{} {0} {name} {{x}}", "100%"):
        message = say("utter_counselor_says", counselor="Siti", words=words)
        for channel in ("telegram", "console", "sms"):
            assert domain.render(message, channel).text == f"Siti: {words}"


async def test_counselors_add_list_remove_and_the_audit(settings: Settings) -> None:
    async def run(*argv: str) -> tuple[int, str]:
        from bot.cli import _parser

        args: argparse.Namespace = _parser().parse_args(list(argv))
        out = io.StringIO()
        code = await counseling_cli.run_async(args, settings, out)
        return code, out.getvalue()

    assert (await run("counselors", "add", "9001", "Siti", "Rahma", "--office", "Disnaker"))[0] == 0
    code, listed = await run("counselors", "list")
    assert code == 0 and "9001" in listed and "Siti Rahma" in listed and "1 active" in listed
    assert (await run("counselors", "remove", "9001"))[0] == 0
    assert (await run("counselors", "remove", "9001"))[0] == 1  # already removed
    code, listed = await run("counselors", "list")
    assert "removed" in listed and "0 active" in listed
    code, audit = await run("audit")
    assert code == 0 and "0 audit row(s)" in audit
    code, missing = await run("counseling", "export", "999")
    assert code == 1 and "no counseling session #999" in missing


async def test_in_session_the_words_go_to_the_counselor_and_navigation_still_works(
    settings: Settings, clock: FrozenClock
) -> None:
    from dataclasses import replace

    from sqlalchemy import insert, select

    from bot.app import build_app
    from bot.counseling import store
    from bot.counseling.config import CounselingSettings
    from bot.counseling.model import BeginSession
    from bot.counseling.tables import CounselingEntry, CounselingSession
    from bot.storage import people
    from bot.storage.models import table
    from bot.testing.client import ChatClient, consented

    app = await build_app(replace(settings, counseling=CounselingSettings(chat_id=-1001)),
                          clock=clock)  # fmt: skip
    try:
        client = await consented(ChatClient(app.engine, user="budi"))
        await client.click("menu:eligibility")
        async with app.db.write() as conn:
            snap = await people.snapshot(conn, "console", "budi")
            assert snap is not None and snap.in_session is None
            person = snap.person.id
            session = (await conn.execute(insert(table(CounselingSession)).values(
                person_id=person, kind="urgent", status="waiting", requested_at=clock(),
                reminded=0, wait_told=True, data={}).returning(table(CounselingSession).c.id)
            )).scalar_one()  # fmt: skip
            await store.apply_begin(conn, person, BeginSession(session), clock())
        async with app.db.read() as conn:
            snap = await people.snapshot(conn, "console", "budi")
        assert snap is not None and snap.in_session == session  # the takeover flag, joined

        assert await client.send("saya mau tanya {x}") == []  # to the counselor, no reply
        async with app.db.read() as conn:
            words = list(await conn.scalars(select(table(CounselingEntry).c.data)))
        assert words == [{"words": "saya mau tanya {x}", "file": ""}]
        await client.send("bantuan")
        assert client.said() == ["utter_counseling_help_in_session"]
        await client.send("petugas")
        assert client.said() == ["utter_counseling_already_with_counselor"]
        await client.send("menu")
        assert client.said() == ["utter_counseling_in_session"]
        await client.click("counsel:end")  # the person ends it: the paused question comes back
        assert client.said() == ["utter_counseling_ended_by_you", "utter_ask_laid_off"]

        async with app.db.write() as conn:  # another session: HAPUS asked, then not wanted
            again = (await conn.execute(insert(table(CounselingSession)).values(
                person_id=person, kind="urgent", status="waiting", requested_at=clock(),
                reminded=0, wait_told=True, data={}).returning(table(CounselingSession).c.id)
            )).scalar_one()  # fmt: skip
            await store.apply_begin(conn, person, BeginSession(again), clock())
        await client.send("hapus")
        assert client.said() == ["utter_ask_delete_confirm"]
        await client.click("delete:no")
        assert client.said() == ["utter_delete_cancelled", "utter_counseling_in_session"]
    finally:
        await app.close()
