"""The ``staff`` outbox channel: messages to the counselors' forum supergroup.

Addresses (bot/counseling/store.py): ``general`` (the General topic), ``person:<id>`` (the
person's own topic: created with ``createForumTopic`` the first time, its id stored on the
person's record, reused across sessions, created again when a counselor deleted it and
reopened when closed), ``drop-topic:<topic id>`` (after HAPUS: the topic is deleted, a line
in General says so). Errors are sorted as for private chats, except that the group is never
"unreachable" for a whole queue: a 403 (the bot removed from the group) is retried, loudly.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import MessageEntity, User

from bot.channels.telegram import keyboard, split_text
from bot.core.domain import Domain, Rendered
from bot.core.types import OutboundMessage, Say, say
from bot.counseling import store
from bot.storage.db import Database
from scheduler.outbox import Rejected, RetryLater

log = logging.getLogger(__name__)
CHANNEL = "telegram"  # rendered as on Telegram
CAPTION = 1024
GONE_TOPIC = ("thread not found", "topic_deleted", "topic_id_invalid", "message thread")
CLOSED_TOPIC = ("topic_closed",)
TOPIC_NAME = 128


def mentions(message: OutboundMessage, text: str) -> list[MessageEntity]:
    """Free counselors named on an urgent card are mentioned (a notification even in a
    muted group): ``utter_staff_free_counselors`` carries their ids with the names."""
    out: list[MessageEntity] = []
    for part in message.parts:
        ids = [i for i in part.params.get("mention_ids", "").split(",") if i.isdigit()]
        names = [n.strip() for n in part.params.get("names", "").split(",")]
        if not ids or len(ids) != len(names):
            continue
        for uid, name in zip(ids, names, strict=True):
            at = text.rfind(name)
            if at < 0 or not name:
                continue
            offset = len(text[:at].encode("utf-16-le")) // 2
            length = len(name.encode("utf-16-le")) // 2
            user = User(id=int(uid), is_bot=False, first_name=name[:64])
            out.append(MessageEntity(type="text_mention", offset=offset, length=length, user=user))
    return out


class StaffDelivery:
    def __init__(
        self, bot: Bot, domain: Domain, db: Database, chat_id: int, *, deadline: float | None = None
    ) -> None:
        self.bot = bot
        self.domain = domain
        self.db = db
        self.chat_id = chat_id
        self.deadline = deadline

    async def __call__(self, address: str, message: OutboundMessage) -> None:
        try:
            async with asyncio.timeout(self.deadline):
                await self._deliver(address, message)
        except TelegramRetryAfter as e:
            raise RetryLater(e.retry_after) from e
        except (TelegramBadRequest, TelegramEntityTooLarge) as e:
            if "retry" in e.message.lower():
                raise
            raise Rejected(e.message) from e

    async def _deliver(self, address: str, message: OutboundMessage) -> None:
        if address.startswith("drop-topic:"):
            await self._drop(int(address.split(":", 1)[1]))
            await self._send(None, message)
            return
        if not address.startswith("person:"):
            await self._send(None, message)
            return
        person_id = int(address.split(":", 1)[1])
        thread = await self._topic(person_id)
        try:
            await self._send(thread, message)
        except TelegramBadRequest as e:
            problem = e.message.lower()
            if any(p in problem for p in CLOSED_TOPIC):
                await self.bot.reopen_forum_topic(self.chat_id, thread)
            elif any(p in problem for p in GONE_TOPIC):
                log.info("the topic of person %s is gone; making a new one", person_id)
                thread = await self._new_topic(person_id)
            else:
                raise
            await self._send(thread, message)

    async def _topic(self, person_id: int) -> int:
        async with self.db.read() as conn:
            topic = await store.topic_of(conn, person_id)
        return topic if topic is not None else await self._new_topic(person_id)

    async def _new_topic(self, person_id: int) -> int:
        async with self.db.read() as conn:
            who = await store.display_name(conn, person_id)
        created = await self.bot.create_forum_topic(self.chat_id, who[:TOPIC_NAME])
        thread = created.message_thread_id
        async with self.db.write() as conn:
            await store.set_topic(conn, person_id, thread)
        await self._send(thread, say("utter_staff_topic_header", who=who))
        return thread

    async def _drop(self, topic: int) -> None:
        try:
            await self.bot.delete_forum_topic(self.chat_id, topic)
        except (TelegramBadRequest, TelegramNotFound) as e:  # already gone
            log.info("topic %s was not there to delete: %s", topic, e.message)

    async def _send(self, thread: int | None, message: OutboundMessage) -> None:
        rendered: Rendered = self.domain.render(message, CHANNEL)
        markup = keyboard(rendered)
        text = rendered.text
        att = message.attachment
        if att is not None and att.ref.startswith("tg:"):
            file_id = att.ref.removeprefix("tg:")
            caption = text if len(text) <= CAPTION else None
            send = self.bot.send_photo if att.kind == "photo" else self.bot.send_document
            await send(
                self.chat_id, file_id, caption=caption, message_thread_id=thread,
                reply_markup=markup if caption is not None else None,
            )  # fmt: skip
            if caption is not None:
                return
        elif att is not None:  # a file the group cannot get: say so with the text
            text = self.domain.render(
                OutboundMessage((*message.parts, Say("utter_staff_person_file_not_shown"))),
                CHANNEL,
            ).text
        chunks = split_text(text)
        entities = mentions(message, text) if len(chunks) == 1 else []
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            await self.bot.send_message(
                self.chat_id, chunk, message_thread_id=thread,
                reply_markup=markup if last else None, entities=entities or None,
            )  # fmt: skip
