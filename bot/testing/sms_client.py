"""SMS and WhatsApp end to end for tests: the real webhook (signed as Twilio signs), the
engine, the outbox, the senders, and the fake gateway's REST API receiving what goes out.

:func:`sms_harness` runs an app's :class:`~bot.channels.sms.runtime.SmsRuntime` on
127.0.0.1 against a :class:`~bot.testing.fake_sms_gateway.FakeSmsGateway`;
:class:`SmsChatClient` has :class:`~bot.testing.client.ChatClient`'s interface (``send``,
``click``, ``media``, ``photo``, ``said``, ``text``, ``last``, ``output.replies``), so the
golden transcripts replay over SMS and WhatsApp. Each reply records the response keys of the
message (a response cut across pages by its first piece, under its own key: see
:func:`~bot.core.paging.shown_key`) and the bodies the fake received for it (``bodies``,
aligned with ``output.replies``), and checks they are the delivery's own parts.
"""

from __future__ import annotations

import asyncio
import itertools
import mimetypes
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from bot.channels.sms.delivery import RENDER_CHANNEL, SmsDelivery
from bot.channels.sms.gateway import SmsChannel
from bot.channels.sms.text import turn_segments
from bot.core.paging import ASK_PIECE_KEY, MORE_KEY, PIECE_KEY, shown_key
from bot.core.types import OutboundMessage
from bot.settings import SmsSettings
from bot.testing.client import Reply
from bot.testing.fake_sms_gateway import FakeSmsGateway

if TYPE_CHECKING:
    from bot.app import App
    from bot.channels.sms.runtime import SmsRuntime

_numbers = itertools.count(1)
_NOT_SAID = frozenset({MORE_KEY, PIECE_KEY, ASK_PIECE_KEY})  # later pieces of a response
# What a transcript's ``media`` step sends as an attachment: a sticker is a WebP image on
# WhatsApp, a voice note an Ogg file.
MEDIA_TYPES = {"photo": "image/jpeg", "sticker": "image/webp", "voice": "audio/ogg",
               "video": "video/mp4", "document": "application/pdf"}  # fmt: skip


def new_number() -> str:
    """A fresh Indonesian mobile number (E.164) for one test person."""
    return f"+62812{next(_numbers):08d}"


def sms_settings(fake: FakeSmsGateway, **changes: object) -> SmsSettings:
    base = SmsSettings(
        provider="twilio", twilio_account_sid=fake.account_sid,
        twilio_auth_token=fake.auth_token, sms_from=fake.number,
        whatsapp_from=fake.whatsapp_number, api_base=fake.base_url,
        api_token=fake.api_token, webhook_secret=fake.webhook_secret,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


@dataclass
class SmsHarness:
    app: App
    runtime: SmsRuntime
    fake: FakeSmsGateway
    url: str  # the webhook's URL

    async def drain(self) -> int:
        return sum([await sender.drain() for sender in self.runtime.senders])


@asynccontextmanager
async def sms_harness(app: App, **settings: object) -> AsyncIterator[SmsHarness]:
    """The app's SMS/WhatsApp channels served on 127.0.0.1 against a fake gateway;
    ``settings``: SmsSettings fields to change (``whatsapp_template_sid``, ``sms_from``,
    ``provider="json"`` for the generic JSON format...)."""
    from bot.channels.sms.providers import build_gateway
    from bot.channels.sms.runtime import SmsRuntime

    async with FakeSmsGateway() as fake:
        sms = sms_settings(fake, **settings)
        configured = replace(app, settings=replace(app.settings, sms=sms))
        gateway = build_gateway(sms)
        runtime = SmsRuntime(configured, gateway, per_second=0, chat_interval=0)
        web_app = web.Application()
        runtime.add_routes(web_app)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = int(runner.addresses[0][1])
        try:
            yield SmsHarness(configured, runtime, fake, f"http://127.0.0.1:{port}{runtime.path}")
        finally:
            await runner.cleanup()
            await runtime.close()


class _Recording:
    """Wraps a sender's delivery: records each message's keys and the bodies the fake got."""

    def __init__(self, inner: SmsDelivery, fake: FakeSmsGateway, client: SmsChatClient) -> None:
        self.inner, self.fake, self.client = inner, fake, client

    async def __call__(self, address: str, message: OutboundMessage) -> None:
        before = len(self.fake.sent)
        await self.inner(address, message)
        bodies = tuple(m.body for m in self.fake.sent[before:])
        if address == self.client.number:
            rendered = self.inner.domain.render(message, RENDER_CHANNEL)
            self.client.output.replies.append(
                Reply(tuple(shown_key(p) or p.key for p in message.parts), rendered.text,
                      rendered.buttons, self.inner.text(message))
            )  # fmt: skip
            self.client.bodies.append(bodies)
            self.client.expected.append(tuple(self.inner.parts(message)))


class _Output:
    def __init__(self) -> None:
        self.replies: list[Reply] = []


class SmsChatClient:
    """One person texting the bot, by SMS or (``whatsapp``) WhatsApp."""

    def __init__(self, harness: SmsHarness, number: str | None = None, *,
                 whatsapp: bool = False) -> None:  # fmt: skip
        self.harness = harness
        self.number = number or new_number()
        self.whatsapp = whatsapp
        self.channel = (SmsChannel.WHATSAPP if whatsapp else SmsChannel.SMS).value
        self.output = _Output()
        self.bodies: list[tuple[str, ...]] = []
        self.expected: list[tuple[str, ...]] = []
        self.last: list[Reply] = []
        self.last_bodies: list[str] = []  # what the fake received in the last turn
        self.exchanges: list[int] = []  # segments of each exchange of the last turn
        self.follow = True  # reply LAGI to a paged reply (False: see the pages one by one)
        self.statuses: list[int] = []
        for sender in harness.runtime.senders:  # the last client of a channel records it
            if sender.channel == self.channel:
                inner = sender.deliver
                if isinstance(inner, _Recording):
                    inner = inner.inner
                assert isinstance(inner, SmsDelivery)
                sender.deliver = _Recording(inner, harness.fake, self)

    async def _exchange(
        self, text: str, media: list[tuple[str, str]] | None, sid: str | None
    ) -> tuple[list[Reply], list[str]]:
        """One message in, what came back (replies, and the bodies the fake received)."""
        before, bodies = len(self.output.replies), len(self.bodies)
        fake = self.harness.fake
        if self.harness.app.settings.sms.provider == "json":
            status, body = await fake.post_json_inbound(
                self.harness.url, self.number, text, whatsapp=self.whatsapp,
                media=media or [], message_id=sid,
            )  # fmt: skip
        else:
            status, body = await fake.post_inbound(
                self.harness.url, self.number, text, whatsapp=self.whatsapp,
                media=media or [], message_sid=sid,
            )  # fmt: skip
        self.statuses.append(status)
        assert status == 200, f"webhook answered {status}: {body}"
        await self.harness.drain()
        sent = [b for message in self.bodies[bodies:] for b in message]
        return self.output.replies[before:], sent

    async def _post(
        self, text: str, *, media: list[tuple[str, str]] | None = None, sid: str | None = None
    ) -> list[Reply]:
        """Send, then (``follow``) reply LAGI while a page says there is more: ``last`` is
        the whole reply, ``exchanges`` the segments each exchange cost."""
        replies, sent = await self._exchange(text, media, sid)
        self.last, self.last_bodies, self.exchanges = replies, sent, [turn_segments(sent)]
        while self.follow and replies and replies[-1].keys[-1:] == (MORE_KEY,):
            replies, sent = await self._exchange("LAGI", None, None)
            self.last = [*self.last, *replies]
            self.last_bodies = [*self.last_bodies, *sent]
            self.exchanges.append(turn_segments(sent))
        return self.last

    async def send(self, text: str, *, event_id: str | None = None) -> list[Reply]:
        return await self._post(text, sid=event_id)

    def shown(self) -> list[str]:
        """The payloads of the options last shown, numbered 1, 2, 3..."""
        replies = [r for r in self.output.replies if r.buttons]
        return replies[-1].payloads() if replies else []

    async def click(self, payload: str) -> list[Reply]:
        """Reply with the number of the option ``payload`` (it must be shown)."""
        shown = self.shown()
        assert payload in shown, f"{payload!r} is not among the options shown {shown}"
        return await self.send(str(shown.index(payload) + 1))

    async def media(self, kind: str, attachment: str = "") -> list[Reply]:
        content_type = MEDIA_TYPES.get(kind, "application/octet-stream")
        url = self.harness.fake.add_media(b"\x00" * 64, content_type)
        return await self._post("", media=[(url, content_type)])

    async def photo(self, path: Path, *, group: str = "") -> list[Reply]:
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = await asyncio.to_thread(path.read_bytes)
        url = self.harness.fake.add_media(data, content_type)
        return await self._post("", media=[(url, content_type)])

    def segments(self) -> int:
        """SMS segments the costliest exchange of the last turn cost (each body its own
        message; a paged reply is several exchanges)."""
        return max(self.exchanges, default=0)

    def said(self) -> list[str]:
        """Response keys of the last turn, pages joined (without the "LAGI" prompts; a
        response cut across pages once)."""
        return [k for r in self.last for k in r.keys if k not in _NOT_SAID]

    def text(self) -> str:
        return "\n\n".join(r.plain for r in self.last)

    def sent_as_expected(self) -> bool:
        """Whether every message went out as the delivery's own parts, nothing else."""
        return self.bodies == self.expected
