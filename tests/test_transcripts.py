"""Golden conversations (tests/transcripts/*.yml), replayed on every channel and database.

Steps: ``user`` types text; ``choose`` picks a button offered by the last message by its payload
(``choose_title``: by its title; on the console by typing its number, on Telegram by
pressing it); ``choose_shown`` picks one of the last options shown, above later messages
without any (typing the number shown then); ``click`` presses a button that
may not be on screen (a stale one); ``media`` sends a sticker/voice/photo (``attachment``:
its file id); ``photo`` sends a sample file (bot/testing/images.py ``sample``) as a photo
(typed as a path on the console, through the app's intake elsewhere); ``long`` types N
characters; ``times: N`` sends the same ``user`` text N times; ``advance`` moves the frozen
clock (``{days: 9}``); ``sweep: monthly`` runs the monthly progress sweep (scheduler/monthly.py)
and takes what it queued as the turn's messages.
``expect`` lists the response keys of every message of the turn (the last, when repeated),
in order; ``contains`` checks the rendered text, ``absent`` what it must not say.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import App
from bot.testing.client import ChatClient
from bot.testing.clock import FrozenClock
from bot.testing.images import sample
from scheduler.monthly import monthly_sweep

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.yml"))
SCRIPTS = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in TRANSCRIPTS}


async def replay(
    client: ChatClient,
    steps: list[dict[str, Any]],
    files: Path | None = None,
    app: App | None = None,
) -> None:
    for number, step in enumerate(steps, 1):
        where = f"step {number} {step}"
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
            if client.channel == "console":
                await client.send(str(offered.index(payload) + 1))
            else:
                await client.click(payload)
        elif "choose_shown" in step:  # an option still on screen above a message without any
            payload = str(step["choose_shown"])
            shown = next(r for r in reversed(client.output.replies) if r.buttons)
            offered = shown.payloads()
            assert payload in offered, f"{where}: {payload!r} not shown; shown {offered}"
            if client.channel == "console":
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
        elif "advance" in step:
            clock = client.engine.clock
            assert isinstance(clock, FrozenClock), f"{where}: the clock is not frozen"
            clock.advance(**step["advance"])
            client.last = []
        elif "sweep" in step:
            assert app is not None and step["sweep"] == "monthly", where
            await monthly_sweep(app)
            before = len(client.output.replies)
            await client.sender.drain()
            client.last = client.output.replies[before:]
        assert client.said() == step["expect"], f"{where}\n{client.text()}"
        for fragment in step.get("contains", []):
            assert fragment in client.text(), f"{where}: {fragment!r} missing in\n{client.text()}"
        for fragment in step.get("absent", []):
            assert fragment not in client.text(), f"{where}: {fragment!r} said in\n{client.text()}"


@pytest.mark.parametrize("channel", ["console", "telegram"])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
async def test_transcript(app: App, name: str, channel: str, tmp_path: Path) -> None:
    script = SCRIPTS[name]
    client = ChatClient(app.engine, channel=channel, user="4242", intake=app.intake)
    await replay(client, script["steps"], tmp_path, app)
