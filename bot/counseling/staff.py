"""The counselors' group on Telegram (``COUNSELOR_CHAT_ID``: a supergroup with topics, the
bot an administrator there). An aiogram router, included after the private-only guard and
before the engine (``TelegramRuntime(routers=[...])``).

- **Only registered counselors act** (``jkp-bot counselors add``). A message or a button
  press from anyone else in the group is ignored and logged.
- **Cards** arrive in the General topic: "Setujui dan pilih jadwal" offers the next free
  slots of the counselor who pressed (or ``/jadwal SESI YYYY-MM-DD HH:MM``); "Tolak dengan
  alasan" asks for the reason as a reply (or ``/tolak SESI ALASAN``); an urgent request has
  "Ambil alih sekarang".
- **A person's topic**: in session, whatever a counselor writes there (text, photo,
  document) goes to the person. Commands: ``/profil`` (the person's summary; audited),
  ``/rekomendasi ID`` or ``/rekomendasi KATA KUNCI`` (results as buttons), ``/catatan
  TEKS``, ``/selesai``, ``/bukti`` (evidence review, when wired).

Every action on a person is a :class:`~bot.core.types.SystemEvent` on their conversation
(the engine's door: their lock, one transaction, the outbox), keyed by the Telegram update,
so a redelivered update acts once. After it, the session is read again to tell the counselor
what happened (two counselors pressing at once: one wins, the other is told).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, ForceReply, Message, Update

from bot.channels.telegram import keyboard, split_text, where
from bot.core.engine import SYSTEM_CHANNEL, clean_text
from bot.core.types import OutboundMessage, Say, SystemEvent, combine, say
from bot.counseling import store
from bot.counseling.hours import format_when
from bot.counseling.model import (
    ACTIVE,
    DECLINE,
    END,
    RECOMMEND,
    SAY,
    SCHEDULE,
    SCHEDULED,
    TAKE,
    WAITING,
)
from bot.storage import people

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
CHANNEL = "telegram"
PREFIX = "cs"  # callback data of the group: cs:<action>:<session>[:<more>]
DECLINE_PROMPT = re.compile(r"#(\d+):")
EVIDENCE_PROMPT = re.compile(r"Bukti #(\d+)")
STAMP = "%Y%m%d%H%M"


class EvidenceReviewer(Protocol):
    """The evidence review of bot/evidence/review.py (``EvidenceReview``), as the group uses
    it."""

    async def pending(self, limit: int = 50) -> Sequence[Any]: ...  # entries with id, person_id

    async def accept(self, evidence_id: int, reviewer: str, *, notify: bool = True) -> Any: ...

    async def reject(self, evidence_id: int, reason: str, reviewer: str) -> Any: ...


@dataclass
class Actor:
    """The counselor acting, and where."""

    counselor: store.CounselorInfo
    thread: int | None


class StaffDesk:
    def __init__(
        self,
        app: App,
        chat_id: int,
        *,
        evidence: EvidenceReviewer | None = None,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.chat_id = chat_id
        self.evidence = evidence
        self.wake = wake or (lambda: None)
        settings = app.settings
        self.hours = settings.counseling.hours(
            settings.timezone, settings.rules.cuti_bersama_non_working
        )

    # -- wiring --------------------------------------------------------------------------
    def router(self) -> Router:
        router = Router(name="counselors")
        here = where(lambda x: x.chat.id == self.chat_id)

        @router.message(here)
        async def on_message(message: Message, event_update: Update, bot: Bot) -> None:
            await self.on_message(bot, message, event_update.update_id)

        @router.callback_query(
            where(lambda q: q.message is not None and q.message.chat.id == self.chat_id)
        )
        async def on_button(query: CallbackQuery, event_update: Update, bot: Bot) -> None:
            await self.on_button(bot, query, event_update.update_id)

        @router.my_chat_member(here)
        @router.chat_member(here)
        async def on_member(update: Any) -> None:  # the bot's own membership: nothing to do
            return

        return router

    async def _who(self, user_id: int | None) -> store.CounselorInfo | None:
        if user_id is None:
            return None
        async with self.app.db.read() as conn:
            return await store.counselor_by_telegram(conn, user_id)

    # -- saying things in the group ------------------------------------------------------
    async def reply(
        self, bot: Bot, thread: int | None, message: OutboundMessage, *, force_reply: bool = False,
        reply_to: int | None = None,
    ) -> int | None:  # fmt: skip
        rendered = self.app.engine.domain.render(message, CHANNEL)
        markup: Any = ForceReply(selective=True) if force_reply else keyboard(rendered)
        sent_id = None
        for chunk in split_text(rendered.text):
            sent = await bot.send_message(
                self.chat_id, chunk, message_thread_id=thread, reply_markup=markup,
                reply_to_message_id=reply_to,
            )  # fmt: skip
            sent_id = sent.message_id
        return sent_id

    async def edit(self, bot: Bot, message_id: int, message: OutboundMessage) -> None:
        text = self.app.engine.domain.render(message, CHANNEL).text
        with contextlib.suppress(Exception):  # an old or deleted message
            await bot.edit_message_text(
                text=split_text(text)[0], chat_id=self.chat_id, message_id=message_id,
                reply_markup=None,
            )  # fmt: skip

    # -- the engine's door ---------------------------------------------------------------
    async def act(self, person_id: int, kind: str, key: str, **params: Any) -> bool:
        """One counselor action as a system event on the person's conversation; False when
        it could not reach them (no consent, or no channel to write to)."""
        event = SystemEvent(person_id, kind, params, key=key, essential=True)
        await self.app.engine.handle_system(event)
        self.wake()
        async with self.app.db.read() as conn:
            return await people.is_processed(conn, SYSTEM_CHANNEL, key)

    # -- messages ------------------------------------------------------------------------
    async def on_message(self, bot: Bot, message: Message, update_id: int) -> None:
        user = message.from_user
        if user is None or user.is_bot:
            return
        counselor = await self._who(user.id)
        if counselor is None:
            log.warning("counselors' group: ignored a message from Telegram user %s, who is "
                        "not a registered counselor", user.id)  # fmt: skip
            return
        thread = message.message_thread_id if message.is_topic_message else None
        actor = Actor(counselor, thread)
        text = clean_text(message.text or message.caption or "").strip()
        key = f"staff:{self.chat_id}:{message.message_id}"
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.is_bot:
            prompt = replied.text or ""
            if (m := EVIDENCE_PROMPT.search(prompt)) and "alasan" in prompt and text:
                await self._evidence_reject(bot, actor, int(m.group(1)), text)
                return
            if (m := DECLINE_PROMPT.search(prompt)) and "alasan" in prompt and text:
                await self._decline(bot, actor, int(m.group(1)), text, key)
                return
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            await self._command(bot, actor, command.split("@")[0].lower(), rest.strip(), key)
            return
        if thread is None:
            return  # talk among counselors in General
        await self._say(bot, actor, message, text, key)

    async def _topic_person(self, bot: Bot, actor: Actor) -> tuple[int, int | None] | None:
        if actor.thread is None:
            await self.reply(bot, None, say("utter_staff_help"))
            return None
        async with self.app.db.read() as conn:
            found = await store.session_by_topic(conn, actor.thread)
        if found is None:
            await self.reply(bot, actor.thread, say("utter_staff_unknown_topic"))
        return found

    async def _say(self, bot: Bot, actor: Actor, message: Message, text: str, key: str) -> None:
        found = await self._topic_person(bot, actor)
        if found is None:
            return
        person_id, session_id = found
        if session_id is None:
            await self.reply(bot, actor.thread, say("utter_staff_not_delivered"))
            return
        file_kind, file_ref, file_name = "", "", ""
        if message.photo:
            file_kind, file_ref = "photo", message.photo[-1].file_id
        elif message.document:
            file_kind, file_ref = "document", message.document.file_id
            file_name = message.document.file_name or ""
        if not (text or file_ref):
            return  # a sticker, a service message
        c = actor.counselor
        reached = await self.act(
            person_id, SAY, key, session=session_id, counselor_id=c.id, counselor=c.name,
            words=text, file_kind=file_kind, file_ref=file_ref, file_name=file_name,
        )  # fmt: skip
        if not reached:
            await self.reply(bot, actor.thread, say("utter_staff_not_delivered"))

    async def _command(self, bot: Bot, actor: Actor, command: str, rest: str, key: str) -> None:
        usage = {
            "/jadwal": "Contoh: /jadwal 12 2025-06-03 10:00",
            "/tolak": "Contoh: /tolak 12 Jadwal penuh minggu ini",
            "/catatan": "Contoh: /catatan Peserta ingin pindah ke bidang logistik.",
            "/rekomendasi": "Contoh: /rekomendasi 123 atau /rekomendasi operator bekasi",
        }
        if command == "/jadwal":
            parts = rest.split()
            try:
                at = datetime.strptime(" ".join(parts[1:3]), "%Y-%m-%d %H:%M")
                asked = int(parts[0])
            except (ValueError, IndexError):
                await self._bad(bot, actor, usage[command])
                return
            await self._schedule(bot, actor, asked, at.replace(tzinfo=self.hours.tz), key, None)
            return
        if command == "/tolak":
            number, _, why = rest.partition(" ")
            if not number.isdigit() or not why.strip():
                await self._bad(bot, actor, usage[command])
                return
            await self._decline(bot, actor, int(number), why.strip(), key)
            return
        if command not in ("/profil", "/rekomendasi", "/catatan", "/selesai", "/bukti"):
            await self.reply(bot, actor.thread, say("utter_staff_help"))
            return
        found = await self._topic_person(bot, actor)
        if found is None:
            return
        person_id, session_id = found
        if command == "/profil":
            await self._profile(bot, actor, person_id, session_id)
        elif command == "/catatan":
            await self._note(bot, actor, person_id, session_id, rest, usage[command])
        elif command == "/selesai":
            if session_id is None:
                await self.reply(bot, actor.thread, say("utter_staff_no_session"))
                return
            c = actor.counselor
            await self.act(person_id, END, key, session=session_id, counselor_id=c.id,
                           counselor=c.name)  # fmt: skip
        elif command == "/rekomendasi":
            await self._recommend(bot, actor, person_id, session_id, rest, key, usage[command])
        else:
            await self._evidence_list(bot, actor, person_id)

    async def _bad(self, bot: Bot, actor: Actor, usage: str) -> None:
        await self.reply(bot, actor.thread, say("utter_staff_bad_command", usage=usage))

    async def _profile(
        self, bot: Bot, actor: Actor, person_id: int, session_id: int | None
    ) -> None:
        now = self.app.engine.clock()
        today = now.astimezone(self.app.settings.zone).date()
        async with self.app.db.write() as conn:
            who = await store.display_name(conn, person_id)
            summary = await store.person_summary(conn, person_id, today)
            await store.audit(conn, now, actor.counselor.id, "open", person_id=person_id,
                              session_id=session_id, detail="/profil")  # fmt: skip
        head = Say("utter_staff_topic_header", {"who": who})
        await self.reply(bot, actor.thread, combine(head, *summary))

    async def _note(
        self, bot: Bot, actor: Actor, person_id: int, session_id: int | None, text: str,
        usage: str,
    ) -> None:  # fmt: skip
        if not text:
            await self._bad(bot, actor, usage)
            return
        async with self.app.db.write() as conn:
            if session_id is None:
                latest = await store.latest_session(conn, person_id)
                session_id = latest.view.id if latest else None
            if session_id is None:
                await self.reply(bot, actor.thread, say("utter_staff_no_session"))
                return
            await store.add_note(conn, session_id, person_id, actor.counselor.id, text,
                                 self.app.engine.clock())  # fmt: skip
        await self.reply(bot, actor.thread, say("utter_staff_note_added", session=str(session_id)))

    async def _recommend(
        self, bot: Bot, actor: Actor, person_id: int, session_id: int | None, rest: str,
        key: str, usage: str,
    ) -> None:  # fmt: skip
        if session_id is None:
            await self.reply(bot, actor.thread, say("utter_staff_no_session"))
            return
        if not rest:
            await self._bad(bot, actor, usage)
            return
        c = actor.counselor
        if rest.isdigit():
            await self.act(person_id, RECOMMEND, key, session=session_id, counselor_id=c.id,
                           counselor=c.name, vacancy=int(rest))  # fmt: skip
            return
        from bot.vacancies.model import VacancyQuery
        from bot.vacancies.store import search

        today = self.app.engine.clock().astimezone(self.app.settings.zone).date()
        async with self.app.db.read() as conn:
            page = await search(conn, VacancyQuery(text=rest), today=today)
        if not page.hits:
            await self.reply(bot, actor.thread, say("utter_staff_no_results"))
            return
        choices = tuple(
            (f"{h.title} - {h.company}, {h.place}"[:60], f"{PREFIX}:rec:{session_id}:{h.id}")
            for h in page.hits
        )
        await self.reply(bot, actor.thread, OutboundMessage(
            (Say("utter_staff_search_results", choices=choices),)))  # fmt: skip

    # -- buttons -------------------------------------------------------------------------
    async def on_button(self, bot: Bot, query: CallbackQuery, update_id: int) -> None:
        counselor = await self._who(query.from_user.id)
        with contextlib.suppress(Exception):
            await query.answer()
        if counselor is None:
            log.warning("counselors' group: ignored a button pressed by Telegram user %s, who "
                        "is not a registered counselor", query.from_user.id)  # fmt: skip
            return
        message = query.message
        if not isinstance(message, Message):
            return
        thread = message.message_thread_id if message.is_topic_message else None
        actor = Actor(counselor, thread)
        parts = (query.data or "").split(":")
        if len(parts) < 3 or parts[0] != PREFIX:
            return
        action = parts[1]
        key = f"staff-button:{query.id}"
        if action == "ev" and len(parts) == 4 and parts[3].isdigit():
            await self._evidence_button(bot, actor, parts[2], int(parts[3]))
            return
        if not parts[2].isdigit():
            return
        session_id = int(parts[2])
        if action == "ok":
            await self._offer_slots(bot, actor, session_id, message.message_id)
        elif action == "no":
            prompt = say("utter_staff_decline_prompt", session=str(session_id))
            await self.reply(bot, thread, prompt, force_reply=True, reply_to=message.message_id)
        elif action == "take":
            await self._take(bot, actor, session_id, key, message.message_id)
        elif action == "slot" and len(parts) == 4:
            try:
                at = datetime.strptime(parts[3], STAMP).replace(tzinfo=self.hours.tz)
            except ValueError:
                return
            await self._schedule(bot, actor, session_id, at, key, message.message_id)
        elif action == "rec" and len(parts) == 4 and parts[3].isdigit():
            async with self.app.db.read() as conn:
                row = await store.session_row(conn, session_id)
            if row is None or row.view.status != ACTIVE:
                await self.reply(bot, thread, say("utter_staff_no_session"))
                return
            c = counselor
            await self.act(row.person_id, RECOMMEND, key, session=session_id, counselor_id=c.id,
                           counselor=c.name, vacancy=int(parts[3]))  # fmt: skip

    async def _session(self, session_id: int) -> store.SessionRow | None:
        async with self.app.db.read() as conn:
            return await store.session_row(conn, session_id)

    async def _closed(self, bot: Bot, message_id: int | None, row: store.SessionRow) -> None:
        note = say("utter_staff_card_closed", session=str(row.view.id), status=row.view.status)
        if message_id is not None:
            await self.edit(bot, message_id, note)

    async def _offer_slots(self, bot: Bot, actor: Actor, session_id: int, card_id: int) -> None:
        row = await self._session(session_id)
        if row is None or row.view.status != WAITING:
            if row is not None:
                await self._closed(bot, card_id, row)
            return
        settings = self.app.settings.counseling
        now = self.app.engine.clock()
        async with self.app.db.read() as conn:
            busy = await store.busy_slots(conn, actor.counselor.id, now)
        length = timedelta(minutes=settings.slot_minutes)
        slots = self.hours.slots(now, length, settings.slots_offered, busy)
        if not slots:
            await self.reply(bot, actor.thread, say("utter_staff_no_slot", session=str(session_id)))
            return
        choices = tuple(
            (format_when(s, self.hours.tz), f"{PREFIX}:slot:{session_id}:{s:{STAMP}}")
            for s in slots
        )
        params = {"session": str(session_id), "zone": format_when(now, self.hours.tz).split()[-1]}
        await self.reply(bot, actor.thread, OutboundMessage(
            (Say("utter_staff_pick_slot", params, choices),)), reply_to=card_id)  # fmt: skip

    async def _schedule(
        self, bot: Bot, actor: Actor, session_id: int, at: datetime, key: str,
        message_id: int | None,
    ) -> None:  # fmt: skip
        row = await self._session(session_id)
        if row is None:
            return
        if row.view.status != WAITING:
            await self._closed(bot, message_id, row)
            return
        settings = self.app.settings.counseling
        now = self.app.engine.clock()
        end = at + timedelta(minutes=settings.slot_minutes - 1)
        async with self.app.db.read() as conn:
            busy = await store.busy_slots(conn, actor.counselor.id, now)
        if at <= now or not (self.hours.is_open(at) and self.hours.is_open(end)) or at in busy:
            await self.reply(bot, actor.thread, say("utter_staff_slot_taken"))
            return
        c = actor.counselor
        await self.act(row.person_id, SCHEDULE, key, session=session_id, counselor_id=c.id,
                       counselor=c.name, at=at.isoformat())  # fmt: skip
        after = await self._session(session_id)
        if after is None or message_id is None:
            return
        if after.view.status == SCHEDULED and after.view.counselor_id == c.id:
            when = format_when(at, self.hours.tz)
            await self.edit(bot, message_id, say("utter_staff_card_scheduled",
                            session=str(session_id), counselor=c.name, when=when))  # fmt: skip
        else:
            await self._closed(bot, message_id, after)

    async def _take(self, bot: Bot, actor: Actor, session_id: int, key: str, card_id: int) -> None:
        row = await self._session(session_id)
        if row is None:
            return
        c = actor.counselor
        if row.view.status == WAITING:
            await self.act(row.person_id, TAKE, key, session=session_id, counselor_id=c.id,
                           counselor=c.name)  # fmt: skip
            row = await self._session(session_id) or row
        if row.view.status == ACTIVE and row.view.counselor_id == c.id:
            await self.edit(bot, card_id, say("utter_staff_card_taken", session=str(session_id),
                                              counselor=c.name))  # fmt: skip
        else:
            await self._closed(bot, card_id, row)

    async def _decline(self, bot: Bot, actor: Actor, session_id: int, why: str, key: str) -> None:
        row = await self._session(session_id)
        if row is None:
            return
        c = actor.counselor
        if row.view.status in (WAITING, SCHEDULED):
            await self.act(row.person_id, DECLINE, key, session=session_id, counselor_id=c.id,
                           counselor=c.name, reason=why[:300])  # fmt: skip
            row = await self._session(session_id) or row
        if row.view.status == "declined" and row.view.counselor_id == c.id:
            note = say("utter_staff_card_declined", session=str(session_id), counselor=c.name)
        else:
            note = say("utter_staff_card_closed", session=str(session_id), status=row.view.status)
        await self.reply(bot, actor.thread, note)

    # -- evidence (HOOK: bot/evidence/review.py) -----------------------------------------
    async def _evidence_list(self, bot: Bot, actor: Actor, person_id: int) -> None:
        if self.evidence is None:
            await self.reply(bot, actor.thread, say("utter_staff_evidence_unavailable"))
            return
        mine = [e for e in await self.evidence.pending(200) if e.person_id == person_id]
        if not mine:
            await self.reply(bot, actor.thread, say("utter_staff_evidence_none"))
            return
        choices: list[tuple[str, str]] = []
        for e in mine[:4]:
            choices += [(f"Terima #{e.id}", f"{PREFIX}:ev:ok:{e.id}"),
                        (f"Tolak #{e.id}", f"{PREFIX}:ev:no:{e.id}")]  # fmt: skip
        items = ", ".join(f"#{e.id}" for e in mine)
        await self.reply(bot, actor.thread, OutboundMessage(
            (Say("utter_staff_evidence_list", {"items": items}, tuple(choices)),)))  # fmt: skip
        await self._audit(actor, person_id, "open", "/bukti")

    async def _audit(self, actor: Actor, person_id: int | None, action: str, detail: str) -> None:
        async with self.app.db.write() as conn:
            await store.audit(conn, self.app.engine.clock(), actor.counselor.id, action,
                              person_id=person_id, detail=detail)  # fmt: skip

    async def _evidence_button(self, bot: Bot, actor: Actor, what: str, evidence_id: int) -> None:
        if self.evidence is None:
            await self.reply(bot, actor.thread, say("utter_staff_evidence_unavailable"))
            return
        if what == "no":
            status = "balas pesan ini dengan alasan penolakan"
            prompt = say("utter_staff_evidence_done", evidence=str(evidence_id), status=status)
            await self.reply(bot, actor.thread, prompt, force_reply=True)
            return
        decision = await self.evidence.accept(evidence_id, f"counselor:{actor.counselor.name}")
        await self._audit(actor, getattr(decision, "person_id", None), "evidence",
                          f"evidence {evidence_id} accepted")  # fmt: skip
        done = say("utter_staff_evidence_done", evidence=str(evidence_id), status="diterima")
        await self.reply(bot, actor.thread, done)

    async def _evidence_reject(self, bot: Bot, actor: Actor, evidence_id: int, why: str) -> None:
        if self.evidence is None:
            await self.reply(bot, actor.thread, say("utter_staff_evidence_unavailable"))
            return
        reviewer = f"counselor:{actor.counselor.name}"
        decision = await self.evidence.reject(evidence_id, why, reviewer)
        await self._audit(actor, getattr(decision, "person_id", None), "evidence",
                          f"evidence {evidence_id} rejected")  # fmt: skip
        done = say("utter_staff_evidence_done", evidence=str(evidence_id), status="ditolak")
        await self.reply(bot, actor.thread, done)
