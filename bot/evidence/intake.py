"""Photos into evidence, before the engine's turn: the channel's one call for a file.

Why before: downloading (up to 20 MB, up to ``EVIDENCE_DOWNLOAD_TIMEOUT`` seconds) and
cleaning a picture (Pillow) are slow; a dialog is pure and a turn's write transaction must
stay short. So a channel hands each incoming message to :meth:`Intake.telegram` or
:meth:`Intake.console` first. They look (one read) whether the conversation is at the step
that takes evidence photos (:func:`bot.dialogs.evidence.accepts_upload`); only then is the
file fetched, checked and cleaned (bot/evidence/files.py), stored encrypted, and the event
passed on carrying an :class:`~bot.core.types.Upload`: the stored file's reference and
hashes, or the reason it was refused (which the dialog turns into a friendly reply). Any
other message passes untouched: a profile photo is never downloaded.

Order: :meth:`Intake.in_order` holds a lock per chat around the reception *and* the
engine's turn, so a chat's messages are handled in the order they arrived even when one of
them waits for a download: the photos of an album (one message each) are all in the piece
before a "Selesai" pressed after them is handled. Other chats are not held up.

A stored file whose turn never records it (the piece is abandoned, the process stops) has
no database row; ``sweep_orphans`` deletes it after the daily purge.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.engine import KeyedLocks
from bot.core.types import EventKind, InboundEvent, Upload
from bot.dialogs.evidence import accepts_upload
from bot.evidence.config import EvidenceSettings
from bot.evidence.files import (
    EvidenceRefused,
    EvidenceStore,
    PreparedImage,
    receive_local,
    receive_telegram,
)
from bot.evidence.refusals import Refusal
from bot.storage import people
from bot.storage.db import Database

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.types import Message

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".jfif")
# What a typed console line must look like to be read as a file path.
_PATHLIKE = re.compile(r"[/\\]|^~|^file:|\.(jpe?g|png|webp|heic|heif|jfif)['\"]?$", re.IGNORECASE)


def owner_of(person_id: int) -> str:
    """Whose files a stored name belongs to (bot/evidence/files.py ``ref_for``)."""
    return f"person:{person_id}"


class Intake:
    def __init__(self, db: Database, store: EvidenceStore, settings: EvidenceSettings) -> None:
        self.db, self.store, self.settings = db, store, settings
        self.order = KeyedLocks()

    @asynccontextmanager
    async def in_order(self, event: InboundEvent) -> AsyncIterator[None]:
        """Hold the chat's turn: receive (if needed) and handle one message at a time."""
        async with self.order.hold(f"{event.channel}:{event.sender_id}"):
            yield

    async def waiting_person(self, event: InboundEvent) -> int | None:
        """The person whose conversation waits for an evidence photo, if it does (and the
        event is not a redelivery the engine will drop)."""
        async with self.db.read() as conn:
            if event.event_id and await people.is_processed(conn, event.channel, event.event_id):
                return None
            snap = await people.snapshot(conn, event.channel, event.sender_id)
        if snap is None or snap.person.consent != "granted" or not accepts_upload(snap.state):
            return None
        return snap.person.id

    # -- Telegram ----------------------------------------------------------------------
    async def telegram(self, bot: Bot, message: Message, event: InboundEvent) -> InboundEvent:
        """A photo, or an image sent as a file, becomes an upload when evidence is awaited."""
        if event.kind is not EventKind.MEDIA or not (message.photo or message.document):
            return event
        person_id = await self.waiting_person(event)
        if person_id is None:
            return event
        group = message.media_group_id or ""
        if message.photo:
            size = message.photo[-1]  # the largest
            file_id, declared = size.file_id, size.file_size
        else:
            document = message.document
            assert document is not None
            refused = _document_refusal(document.mime_type or "", document.file_name or "")
            if refused is not None:
                return replace(event, upload=Upload(refused=refused.value, group=group))
            file_id, declared = document.file_id, document.file_size
        try:
            image = await receive_telegram(
                bot, file_id, self.store, self.settings, declared_size=declared
            )
        except EvidenceRefused as e:
            log.info("evidence photo refused: %s", e.reason.value)
            return replace(event, upload=Upload(refused=e.reason.value, group=group))
        return replace(event, upload=await self._store(person_id, image, group))

    # -- console ------------------------------------------------------------------------
    async def console(self, event: InboundEvent) -> InboundEvent:
        """A typed file path becomes an upload when evidence is awaited."""
        text = event.text.strip()
        if event.kind is not EventKind.TEXT or not _PATHLIKE.search(text):
            return event
        person_id = await self.waiting_person(event)
        if person_id is None:
            return event
        media = replace(event, kind=EventKind.MEDIA, media="document", text="")
        try:
            image = await receive_local(text, self.store, self.settings)
        except EvidenceRefused as e:
            log.info("evidence file refused: %s", e.reason.value)
            return replace(media, upload=Upload(refused=e.reason.value))
        return replace(media, upload=await self._store(person_id, image, ""))

    async def local_file(self, event: InboundEvent, path: Path, group: str = "") -> InboundEvent:
        """A file already on this machine, sent as a photo (tests, transcripts, importers):
        the same checks as a download."""
        media = replace(event, kind=EventKind.MEDIA, media="photo", text="")
        person_id = await self.waiting_person(event)
        if person_id is None:
            return media
        try:
            image = await receive_local(str(path), self.store, self.settings)
        except EvidenceRefused as e:
            return replace(media, upload=Upload(refused=e.reason.value, group=group))
        return replace(media, upload=await self._store(person_id, image, group))

    async def _store(self, person_id: int, image: PreparedImage, group: str) -> Upload:
        try:
            stored = await self.store.put(owner_of(person_id), image)
        except OSError:
            log.exception("could not store an evidence photo")
            return Upload(refused=Refusal.DOWNLOAD_FAILED.value, group=group)
        return Upload(
            ref=stored.ref, sha256=stored.sha256, phash=stored.phash, mime=stored.mime,
            width=stored.width, height=stored.height, size=stored.size, group=group,
        )  # fmt: skip


def _document_refusal(mime: str, name: str) -> Refusal | None:
    """A file that is plainly not a photo is refused without downloading it."""
    mime, name = mime.lower(), name.lower()
    if mime.startswith("image/") or name.endswith(IMAGE_SUFFIXES):
        return None
    if mime == "application/pdf" or name.endswith(".pdf"):
        return Refusal.PDF
    if mime in ("", "application/octet-stream"):
        return None  # unknown: let the content decide
    return Refusal.NOT_IMAGE
