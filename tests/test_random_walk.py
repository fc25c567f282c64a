"""Never a crash, never silence: random walks through every dialog.

Each step either presses one of the buttons just offered, types one of the numbers shown,
or sends junk (emoji, 5,000 characters, a sticker, a stale button, a navigation word). Every
event must get at least one reply, and none may be the apology for an internal error.
"""

from __future__ import annotations

import random

import pytest

from bot.app import App
from bot.testing.client import ChatClient, consented

JUNK = [
    "🙂", "x" * 5000, "", "  ", "99", "0", "-1", "31-02-2025", "15-03-2025", "2019", "12",
    "operator produksi", "bekasi", "ya", "tidak", "gatau", "kembali", "bantuan", "menu",
    "batal", "'; DROP TABLE users; --", "<b>hai</b>", "{name}", "choice:menu:profile",
]  # fmt: skip
STALE = ["laid_off:yes", "inv:r1:5", "entry:7", "pick:9", "profile:nowhere", "/unknown"]
MEDIA = ["sticker", "voice", "location", "photo", "document"]
STARTS = ["menu:eligibility", "menu:assessment", "menu:jobseeker", "menu:profile"]


@pytest.fixture
def app(sqlite_app: App) -> App:
    return sqlite_app


@pytest.mark.parametrize("channel", ["console", "telegram"])
@pytest.mark.parametrize("seed", range(4))
async def test_random_walk(app: App, seed: int, channel: str) -> None:
    rng = random.Random(seed)
    client = await consented(ChatClient(app.engine, channel=channel, user=f"walker{seed}"))
    await client.click(STARTS[seed % len(STARTS)])
    for step in range(100):
        offered = client.last[-1].payloads() if client.last else []
        roll = rng.random()
        if offered and roll < 0.55:
            payload = rng.choice(offered)
            if channel == "console":
                await client.send(str(offered.index(payload) + 1))
            else:
                await client.click(payload)
        elif roll < 0.75:
            await client.send(rng.choice(JUNK))
        elif roll < 0.85:
            await client.click(rng.choice(STALE + STARTS))
        else:
            await client.media(rng.choice(MEDIA), attachment="AgACfile")
        said = client.said()
        where = f"seed {seed} step {step}: {said}"
        assert client.last, where
        assert "utter_error" not in said, where
        assert all(r.text for r in client.last), where
