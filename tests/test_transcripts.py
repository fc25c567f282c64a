"""Golden conversations (tests/transcripts/*.yml), replayed on every channel and database.

Steps: ``user`` types text; ``choose`` picks a button offered by the last message by its payload
(``choose_title``: by its title; on the console by typing its number, on Telegram by
pressing it); ``choose_shown`` picks one of the last options shown, above later messages
without any (typing the number shown then); ``click`` presses a button that
may not be on screen (a stale one); ``media`` sends a sticker/voice/photo (``attachment``:
its file id); ``photo`` sends a sample file (bot/testing/images.py ``sample``) as a photo
(typed as a path on the console, through the app's intake elsewhere); ``long`` types N
characters; ``times: N`` sends the same ``user`` text N times. ``apply`` records an
application for the person as "Lamar sekarang" does (``{source_id, title, company, day}``);
``operator_status`` changes one as ``jkp-bot applications status`` does
(``{source_id, status}``), and ``expect`` then lists what reached the person. A script with
``catalogue: relevance`` starts with the test catalogue of tests/vacancies/data loaded (84
vacancies, posted around the frozen clock's 2 June 2025).
``advance`` moves the frozen clock (``{days: 9}``); ``sweep: monthly`` runs the monthly
progress sweep (scheduler/monthly.py) and takes what it queued as the turn's messages.
``expect`` lists the response keys of every message of the turn (the last, when repeated),
in order; ``contains`` checks the rendered text, ``absent`` what it must not say.
``text_messages`` holds what differs by SMS and WhatsApp (``expect``, ``contains``,
``absent``, an option's title), where a screen is shorter: 3 vacancies a page, each a
numbered option, 5 job groups at a time (bot/dialogs/vacancies.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import App
from bot.core.domain import PLAIN_CHANNELS
from bot.records.model import RecordApplication
from bot.settings import SmsSettings
from bot.testing.client import ChatClient
from bot.testing.clock import FrozenClock
from bot.testing.db import apply_effects, snapshot
from bot.testing.images import sample
from bot.testing.sms_client import SmsChatClient, sms_harness
from bot.vacancies.status import ApplicationStatuses
from scheduler.monthly import monthly_sweep

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.yml"))
CATALOGUE = Path(__file__).parent / "vacancies" / "data" / "relevance_catalogue.csv"
SCRIPTS = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in TRANSCRIPTS}


async def replay(
    client: ChatClient | SmsChatClient,
    steps: list[dict[str, Any]],
    files: Path | None = None,
    app: App | None = None,
    turns: list[tuple[int, list[str]]] | None = None,
) -> None:
    """``turns``: collects each turn's SMS segments and response keys (SMS clients)."""
    typed = client.channel in PLAIN_CHANNELS  # options are chosen by typing their number
    for number, step in enumerate(steps, 1):
        if isinstance(client, SmsChatClient):
            step = {**step, **step.get("text_messages", {})}
        where = f"step {number} {step}"
        if "click" in step and isinstance(client, SmsChatClient):
            continue  # a stale button has no form in a text message (an old digit: "9")
        for _ in range(int(step.get("times", 1)) - 1):  # the same answer, repeated
            await client.send(str(step["user"]))
        if "user" in step:
            await client.send(str(step["user"]))
        elif "choose" in step or "choose_title" in step:
            buttons = client.last[-1].buttons if client.last else ()
            titles = {b.title: b.payload for b in buttons}
            payload = step.get("choose") or titles.get(step["choose_title"], "?")
            offered = client.last[-1].payloads() if client.last else []
            assert payload in offered, f"{where}: {payload!r} not offered; offered {offered}"
            if typed:
                await client.send(str(offered.index(payload) + 1))
            else:
                await client.click(payload)
        elif "choose_shown" in step:  # an option still on screen above a message without any
            payload = str(step["choose_shown"])
            shown = next(r for r in reversed(client.output.replies) if r.buttons)
            offered = shown.payloads()
            assert payload in offered, f"{where}: {payload!r} not shown; shown {offered}"
            if typed:
                await client.send(str(offered.index(payload) + 1))
            else:
                await client.click(payload)
        elif "click" in step:
            await client.click(step["click"])
        elif "media" in step:
            await client.media(step["media"], attachment=step.get("attachment", ""))
        elif "photo" in step:
            assert files is not None, f"{where}: photos need a folder"
            data, suffix = sample(str(step["photo"]))
            path = files / f"{step['photo']}{suffix}"
            path.write_bytes(data)
            await client.photo(path)
        elif "long" in step:
            await client.send("x" * int(step["long"]))
        elif "apply" in step or "operator_status" in step:
            assert app is not None, f"{where}: records need the app"
            await _operator(app, client, step)
        elif "advance" in step:
            assert app is not None, f"{where}: the clock is the app's"
            clock = app.engine.clock
            assert isinstance(clock, FrozenClock), f"{where}: the clock is not frozen"
            clock.advance(**step["advance"])
            client.last = []
        elif "sweep" in step:
            assert app is not None and step["sweep"] == "monthly", where
            await monthly_sweep(app)
            await _drain(client)
        if turns is not None and isinstance(client, SmsChatClient):
            turns.append((client.segments(), client.said()))
        assert client.said() == step["expect"], f"{where}\n{client.text()}"
        for fragment in step.get("contains", []):
            assert fragment in client.text(), f"{where}: {fragment!r} missing in\n{client.text()}"
        for fragment in step.get("absent", []):
            assert fragment not in client.text(), f"{where}: {fragment!r} said in\n{client.text()}"


async def _operator(app: App, client: ChatClient | SmsChatClient, step: dict[str, Any]) -> None:
    """What happens outside the chat: an application recorded, an operator's status change
    (the outbox drained as a channel does, ``client.last`` what arrived)."""
    user = client.number if isinstance(client, SmsChatClient) else client.user
    snap = await snapshot(app, client.channel, user)
    assert snap is not None, "nobody to apply for yet"
    if "apply" in step:
        a = step["apply"]
        on = date.fromisoformat(str(a["day"]))
        effect = RecordApplication(
            "karirhub", str(a["source_id"]), str(a["title"]), str(a["company"]), on=on
        )
        await apply_effects(app, snap.person.id, effect)
        client.last = []
        return
    change = step["operator_status"]
    await ApplicationStatuses(app).change("karirhub", str(change["source_id"]), snap.person.id,
                                          str(change["status"]))  # fmt: skip
    await _drain(client)


async def _drain(client: ChatClient | SmsChatClient) -> None:
    """Send what was queued outside a turn, as a channel does; ``client.last`` what arrived."""
    before = len(client.output.replies)
    if isinstance(client, SmsChatClient):
        await client.harness.drain()
    else:
        await client.sender.drain()
    client.last = client.output.replies[before:]


@pytest.mark.parametrize("channel", ["console", "telegram"])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
async def test_transcript(app: App, name: str, channel: str, tmp_path: Path) -> None:
    script = SCRIPTS[name]
    if script.get("catalogue") == "relevance":
        await load_catalogue(app)
    client = ChatClient(app.engine, channel=channel, user="4242", intake=app.intake)
    await replay(client, script["steps"], tmp_path, app)


async def load_catalogue(app: App) -> None:
    from bot.vacancies.importer import import_text

    now = app.engine.clock()
    text = CATALOGUE.read_text(encoding="utf-8")
    report = await import_text(app.db.engine, text, "csv", now=now, today=now.date())
    assert not report.errors


# Plain SMS carries no photo: the evidence hub says so and offers the other ways
# (tests/channels/sms/test_sms_dialogs.py); these journeys replay over WhatsApp instead.
NEEDS_PHOTOS = sorted(n for n, s in SCRIPTS.items() if any("photo" in st for st in s["steps"]))
# The placement report does not ask for a photo over plain SMS (tests/dialogs/
# test_placement_dialog.py): its transcript's photo step is skipped there, so it differs.
NEEDS_PHOTOS.append("placement_no_photo")

# The segment budget (SMS_SEGMENT_BUDGET, 3) holds for every exchange: a longer reply is
# paged ("Balas LAGI", bot/core/paging.py; the client replies LAGI and joins the pages), a
# single response longer than a page (the full privacy notice, a vacancy's card) cut inside
# its text; a page of vacancies and the job groups to browse are shorter by SMS.
# Journeys that end in a file only Telegram and the console receive; over SMS and WhatsApp
# they say so (tested in their own modules).
TELEGRAM_FILES = {"cv": "the CV is a PDF: SMS/WhatsApp are told to use Telegram "
                        "(tests/records/test_cv.py)"}  # fmt: skip


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
async def test_transcript_over_sms(app: App, name: str, channel: str, tmp_path: Path) -> None:
    """End to end: each message a webhook signed as Twilio signs it, each reply through the
    outbox and the sender to the fake gateway's REST API, sent as the delivery's parts."""
    if channel == "sms" and name in NEEDS_PHOTOS:
        pytest.skip("plain SMS carries no photo (replayed over WhatsApp)")
    if name in TELEGRAM_FILES:
        pytest.skip(TELEGRAM_FILES[name])
    if channel == "whatsapp" and any("advance" in step for step in SCRIPTS[name]["steps"]):
        # days pass: WhatsApp's 24-hour window closes and scheduled messages go as the
        # template (or by SMS), tested in tests/channels/sms/test_sms_dialogs.py
        pytest.skip("the clock moves past WhatsApp's 24-hour window")
    turns: list[tuple[int, list[str]]] = []
    if SCRIPTS[name].get("catalogue") == "relevance":
        await load_catalogue(app)
    async with sms_harness(app) as harness:
        client = SmsChatClient(harness, whatsapp=channel == "whatsapp")
        await replay(client, SCRIPTS[name]["steps"], tmp_path, app, turns)
        assert client.sent_as_expected()
        assert all(body for bodies in client.bodies for body in bodies)
    if channel == "sms":  # every dialog walked over SMS, each exchange within the budget
        budget = SmsSettings().segment_budget
        over = [(n, keys) for n, keys in turns if n > budget]
        assert over == [], over
