"""A Telegram user for end-to-end tests: writes and presses buttons through the fake Bot API
(by ``getUpdates`` or by posting to the bot's webhook) and checks the exact sequence of
replies. Every reply is expected by a piece of its text, in order, so a lost reply, an extra
one or a duplicate fails the check.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import aiohttp

from bot.testing.fake_bot_api import FakeBotAPI, callback_update, text_update

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramUser:
    def __init__(
        self,
        api: FakeBotAPI,
        chat: int,
        *,
        webhook: str | None = None,
        secret: str = "",
        timeout: float = 30.0,
    ) -> None:
        """``webhook``: deliver updates by POSTing there (as Telegram does: again and again
        until it answers 200) instead of through ``getUpdates``."""
        self.api, self.chat = api, chat
        self.webhook, self.secret = webhook, secret
        self.timeout = timeout
        self.expected: list[str] = []
        self.in_flight: set[int] = set()  # replies that may arrive twice (kill -9)
        self.webhook_attempts = 0
        self.webhook_refusals: list[int] = []  # statuses other than 200

    # -- what arrived -----------------------------------------------------------------
    def may_repeat_last(self) -> None:
        """The last reply was sent just before a kill -9, maybe before it was marked sent:
        at-least-once delivery may bring it once more, right after itself (a chat's messages
        keep their order, so nothing can come between)."""
        self.in_flight.add(len(self.expected) - 1)

    def received(self) -> list[str]:
        """What arrived, without the one allowed repeat of a message in flight at a kill."""
        out: list[str] = []
        repeated: set[int] = set()
        for text in self.api.messages_to(self.chat):
            k = len(out) - 1
            if k in self.in_flight and k not in repeated and out[k] == text:
                repeated.add(k)
                continue
            out.append(text)
        return out

    def check(self) -> None:
        got = self.received()
        ok = len(got) == len(self.expected) and all(
            want in text for want, text in zip(self.expected, got, strict=True)
        )
        if not ok:
            rows = [
                f"{i}: want {w!r:40} got {g[:90]!r}"
                for i, (w, g) in enumerate(itertools.zip_longest(self.expected, got, fillvalue="-"))
            ]
            raise AssertionError(f"replies to chat {self.chat} differ:\n" + "\n".join(rows))

    async def settle(self) -> None:
        """Wait until as many replies as expected arrived (or the timeout), then check."""
        await self.api.wait_until(lambda: len(self.received()) >= len(self.expected), self.timeout)
        self.check()

    # -- what the user does -----------------------------------------------------------
    async def say(self, text: str, *replies: str, wait: bool = True) -> int:
        """Write ``text``; ``replies``: a piece of each reply expected. Returns the update id."""
        return await self.send(text_update(self.chat, text), replies, wait)

    async def press(self, data: str, *replies: str, wait: bool = True) -> int:
        """Press a button of the last message that had ``data`` among its buttons."""
        for call in reversed(self.api.calls_of("sendMessage")):
            if call.params.get("chat_id") != self.chat:
                continue
            markup = call.params.get("reply_markup") or {"inline_keyboard": []}
            if data in [b["callback_data"] for row in markup["inline_keyboard"] for b in row]:
                break
        else:
            raise AssertionError(f"no button {data!r} was shown to chat {self.chat}")
        update = callback_update(
            self.chat, data, message_id=1, message_text=call.params["text"], reply_markup=markup
        )
        return await self.send(update, replies, wait)

    async def send(self, update: dict[str, Any], replies: tuple[str, ...], wait: bool) -> int:
        self.expected.extend(replies)
        if self.webhook is None:
            uid = self.api.push_update(update)
        else:
            uid = await self.post(update)
        if wait:
            await self.settle()
        return uid

    async def post(self, update: dict[str, Any]) -> int:
        """Deliver by webhook as Telegram does: again (every second) until answered 200."""
        assert self.webhook is not None
        uid = next(_webhook_update_ids)
        update = {**update, "update_id": uid}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        headers = {SECRET_HEADER: self.secret}
        async with aiohttp.ClientSession() as http:
            while True:
                self.webhook_attempts += 1
                try:
                    async with http.post(self.webhook, json=update, headers=headers) as r:
                        if r.status == 200:
                            return uid
                        self.webhook_refusals.append(r.status)
                except aiohttp.ClientError:
                    self.webhook_refusals.append(0)
                if loop.time() > deadline:
                    raise AssertionError(f"the webhook never took update {update['update_id']}")
                await asyncio.sleep(1.0)


_webhook_update_ids = itertools.count(500_000)
