"""Operators change an application's status (`jkp-bot applications status` and
`import-status`): the person is told through the outbox, once per change, on SQLite and
PostgreSQL; bad CSV rows are reported with their line numbers and good rows still load."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from bot.cli import _parser, main
from bot.records.model import RecordApplication
from bot.storage.models import Application, OutboxMessage, table
from bot.testing.client import ChatClient, consented
from bot.testing.clock import FrozenClock
from bot.testing.db import apply_effects, count, snapshot
from bot.vacancies.status import ApplicationStatuses, StatusError
from bot.vacancies.status_cli import run_applications


async def applicant(
    app: App, user: str, *vacancies: str, channel: str = "console"
) -> tuple[ChatClient, int]:
    client = await consented(ChatClient(app.engine, channel=channel, user=user))
    snap = await snapshot(app, channel, user)
    assert snap is not None
    effects = [
        RecordApplication("karirhub", v, f"Operator {v}", f"PT {v}", on=date(2025, 5, 28))
        for v in vacancies
    ]
    await apply_effects(app, snap.person.id, *effects)
    return client, snap.person.id


async def status_of(app: App, person: int, source_id: str) -> str:
    A = table(Application)
    async with app.db.read() as conn:
        stmt = select(A.c.status).where(A.c.person_id == person, A.c.source_id == source_id)
        return str((await conn.execute(stmt)).scalar_one())


async def delivered(client: ChatClient) -> list[str]:
    """What reached the person since the last turn (the outbox drained as a channel does)."""
    before = len(client.output.replies)
    await client.sender.drain()
    return [k for r in client.output.replies[before:] for k in r.keys]


async def cli(app: App, *words: str) -> int:
    return await run_applications(app, _parser().parse_args(["applications", *words]))


async def test_the_status_command_tells_the_person_once(
    app: App, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    client, person = await applicant(app, "s1", "v1", "v2")
    assert await cli(app, "status", "karirhub:v1", str(person), "diundang") == 0
    assert f"of person {person} is now invited; the person was told" in capsys.readouterr().out
    assert await status_of(app, person, "v1") == "invited"
    assert await delivered(client) == ["utter_application_status_invited", "utter_portfolio_open"]
    assert "PT v1" in client.output.replies[-1].text
    clock.advance(minutes=5)
    assert await cli(app, "status", "karirhub:v1", str(person), "invited") == 0  # again
    assert "already invited; nothing new to tell" in capsys.readouterr().out
    assert await delivered(client) == []
    await client.click("menu:portfolio")
    assert "utter_portfolio_item_invited" in client.said()
    assert "Status: diundang tes/wawancara" in client.text()


async def test_bad_arguments_are_refused(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    _, person = await applicant(app, "s2", "v1")
    assert await cli(app, "status", "karirhub:v9", str(person), "seen") == 2
    assert f"person {person} has no application to karirhub:v9" in capsys.readouterr().out
    assert await cli(app, "status", "karirhub:v1", str(person), "hired") == 2
    assert "unknown status 'hired'" in capsys.readouterr().out
    assert await cli(app, "status", "v1", str(person), "seen") == 2
    assert "SOURCE:SOURCE_ID" in capsys.readouterr().out
    assert await cli(app, "status", "karirhub:v1", "budi", "seen") == 2
    assert "PERSON must be a person's number" in capsys.readouterr().out
    assert await status_of(app, person, "v1") == "sent"


async def test_an_import_loads_good_rows_reports_bad_ones_and_notifies_once(
    app: App, tmp_path: Path, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    one, first = await applicant(app, "i1", "v1", "v2")
    two, second = await applicant(app, "802", "v1", channel="telegram")  # another outbox
    csv = tmp_path / "statuses.csv"
    csv.write_text(
        "source,source_id,person,status\n"
        f"karirhub,v1,{first},dilihat\n"
        f"karirhub,v2,{first},nonsense\n"  # line 3
        f"karirhub,v1,{second},rejected\n"
        f"karirhub,v9,{second},seen\n"  # line 5: no such application
        "karirhub,v1\n"  # line 6: too few fields
        f"karirhub,v1,x{first},seen\n",  # line 7: not a person's number
        encoding="utf-8",
    )
    assert await cli(app, "import-status", str(csv)) == 1
    out = capsys.readouterr().out
    assert "line 3: unknown status 'nonsense'" in out
    assert f"line 5: person {second} has no application to karirhub:v9" in out
    assert "line 6: wrong number of fields" in out
    assert "line 7: PERSON must be a person's number" in out
    assert "2 row(s) applied (2 changed, 2 person(s) told), 4 rejected" in out
    assert await status_of(app, first, "v1") == "seen"
    assert await status_of(app, first, "v2") == "sent"
    assert await status_of(app, second, "v1") == "rejected"
    assert await delivered(one) == ["utter_application_status_seen", "utter_portfolio_open"]
    assert await delivered(two) == ["utter_application_status_rejected", "utter_portfolio_open"]
    queued = await count(app, OutboxMessage)
    clock.advance(hours=1)
    assert await cli(app, "import-status", str(csv)) == 1  # the same file again
    assert "2 row(s) applied (0 changed, 0 person(s) told), 4 rejected" in capsys.readouterr().out
    assert await count(app, OutboxMessage) == queued
    assert await delivered(one) == [] and await delivered(two) == []


async def test_a_change_not_told_before_a_crash_is_told_on_the_next_import(app: App) -> None:
    client, person = await applicant(app, "c1", "v1")
    statuses = ApplicationStatuses(app)
    real = app.engine.handle_system

    async def crash(event: object) -> int:
        raise RuntimeError("killed between the change and the message")

    app.engine.handle_system = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await statuses.change("karirhub", "v1", person, "accepted")
    app.engine.handle_system = real  # type: ignore[method-assign]
    assert await status_of(app, person, "v1") == "accepted"
    change = await statuses.change("karirhub", "v1", person, "diterima")
    assert not change.changed and change.notified == 1
    assert await delivered(client) == ["utter_application_status_accepted", "utter_portfolio_open"]
    assert (await statuses.change("karirhub", "v1", person, "accepted")).notified == 0


async def test_stop_silences_news_but_not_an_invitation(
    app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    client, person = await applicant(app, "q1", "v1", "v2")
    await client.send("stop")
    statuses = ApplicationStatuses(app)
    assert await cli(app, "status", "karirhub:v1", str(person), "seen") == 0
    assert "is now seen; the person was not told (they said STOP" in capsys.readouterr().out
    assert (await statuses.change("karirhub", "v2", person, "invited")).notified == 1
    assert await delivered(client) == ["utter_application_status_invited", "utter_portfolio_open"]
    with pytest.raises(StatusError):
        await statuses.change("karirhub", "v1", person, "maybe")


async def test_an_import_without_the_columns_says_which_are_missing(
    app: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("source,id,status\nkarirhub,v1,seen\n", encoding="utf-8")
    assert await cli(app, "import-status", str(csv)) == 1
    assert "line 1: missing column(s): source_id, person" in capsys.readouterr().out
    assert await cli(app, "import-status", str(tmp_path / "none.csv")) == 2


def test_jkp_bot_applications_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'jkp.sqlite3'}")
    monkeypatch.delenv("EVIDENCE_DIR", raising=False)
    monkeypatch.delenv("DATA_ENCRYPTION_KEY", raising=False)
    assert main(["applications", "status", "karirhub:v1", "5", "seen"]) == 2
    assert "person 5 has no application to karirhub:v1" in capsys.readouterr().out
    empty = tmp_path / "empty.csv"
    empty.write_text("source,source_id,person,status\n", encoding="utf-8")
    assert main(["applications", "import-status", str(empty)]) == 0
    assert "0 row(s) applied" in capsys.readouterr().out
