"""A chat client for tests: ``send`` text, ``click`` a button, read what came back.

It drives the real engine and database, then drains the outbox through a collecting
delivery, so what a test sees is exactly what a channel would have sent.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.domain import Button, Domain
from bot.core.engine import Engine
from bot.core.plaintext import render_plain
from bot.core.types import EventKind, InboundEvent, OutboundMessage
from scheduler.outbox import OutboxSender

if TYPE_CHECKING:
    from bot.evidence.intake import Intake

_ids = itertools.count(1)


@dataclass(frozen=True)
class Reply:
    keys: tuple[str, ...]
    text: str
    buttons: tuple[Button, ...]
    plain: str

    def payloads(self) -> list[str]:
        return [b.payload for b in self.buttons]


class CollectingOutput:
    def __init__(self, domain: Domain, channel: str) -> None:
        self.domain = domain
        self.channel = channel
        self.replies: list[Reply] = []

    async def __call__(self, address: str, message: OutboundMessage) -> None:
        rendered = self.domain.render(message, self.channel)
        self.replies.append(
            Reply(
                tuple(p.key for p in message.parts),
                rendered.text,
                rendered.buttons,
                render_plain(rendered, self.domain, self.channel),
            )
        )


class ChatClient:
    """``intake`` (the app's): messages pass through it as a channel passes them, so a path
    typed on the console, or :meth:`photo` elsewhere, arrives as a stored evidence photo."""

    def __init__(
        self,
        engine: Engine,
        *,
        channel: str = "console",
        user: str = "u1",
        intake: Intake | None = None,
    ) -> None:
        self.engine = engine
        self.channel = channel
        self.user = user
        self.intake = intake
        self.output = CollectingOutput(engine.domain, channel)
        self.sender = OutboxSender(
            engine.db, channel, self.output, engine.clock, per_second=0, chat_interval=0
        )
        self.last: list[Reply] = []

    async def _event(self, event: InboundEvent) -> list[Reply]:
        if self.intake is not None and self.channel == "console":
            event = await self.intake.console(event)
        await self.engine.handle(event)
        before = len(self.output.replies)
        await self.sender.drain()
        self.last = self.output.replies[before:]
        return self.last

    async def send(self, text: str, *, event_id: str | None = None) -> list[Reply]:
        eid = event_id if event_id is not None else f"e{next(_ids)}"
        return await self._event(
            InboundEvent(self.channel, self.user, EventKind.TEXT, text=text, event_id=eid)
        )

    async def click(self, payload: str) -> list[Reply]:
        return await self._event(
            InboundEvent(
                self.channel,
                self.user,
                EventKind.CHOICE,
                payload=payload,
                event_id=f"e{next(_ids)}",
            )
        )

    async def media(self, kind: str, attachment: str = "") -> list[Reply]:
        event = InboundEvent(
            self.channel, self.user, EventKind.MEDIA, media=kind, attachment=attachment,
            event_id=f"e{next(_ids)}",
        )  # fmt: skip
        return await self._event(event)

    async def photo(self, path: Path, *, group: str = "") -> list[Reply]:
        """Send the file at ``path`` as a photo: typed as a path on the console, elsewhere
        received as the channel's intake would (``group``: an album's id)."""
        if self.channel == "console":
            return await self.send(str(path))
        assert self.intake is not None, "photos need the app's intake"
        event = InboundEvent(
            self.channel, self.user, EventKind.MEDIA, media="photo", event_id=f"e{next(_ids)}"
        )
        return await self._event(await self.intake.local_file(event, path, group))

    async def start(self) -> list[Reply]:
        return await self._event(InboundEvent(self.channel, self.user, EventKind.START))

    def said(self) -> list[str]:
        """Response keys of the last turn's messages, in order."""
        return [k for r in self.last for k in r.keys]

    def text(self) -> str:
        return "\n\n".join(r.plain for r in self.last)


async def consented(client: ChatClient) -> ChatClient:
    """Walk a client through consent to the main menu."""
    await client.send("halo")
    await client.click("consent:agree")
    return client


async def eligible_until_contributions(client: ChatClient, phk_date: str = "15-03-2025") -> None:
    """From the menu, answer the eligibility check as an eligible PKWTT worker up to (not
    including) the contribution-months question."""
    await client.click("menu:eligibility")
    for payload in ("laid_off:yes", "reason:employer", "citizen:yes", "age_ok:yes",
                    "contract:pkwtt"):  # fmt: skip
        await client.click(payload)
    await client.send(phk_date)
    for payload in ("phi_pending:no", "proof_letter:yes", "willing:yes", "member:yes"):
        await client.click(payload)
