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
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.engine import KeyedLocks
from bot.core.types import EventKind, InboundEvent, Upload
from bot.dialogs.evidence import accepts_upload
from bot.dialogs.placement import accepts_upload as accepts_placement_photo
from bot.evidence.config import EvidenceSettings
from bot.evidence.files import (
    EvidenceRefused,
    EvidenceStore,
    copy_local_file,
    download_telegram_file,
    prepare_received,
)
from bot.evidence.refusals import Refusal
from bot.storage import people
from bot.storage.db import Database

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.types import Message

log = logging.getLogger(__name__)
Fetch = Callable[[Path], Awaitable[Path]]  # copies or downloads a file into a folder

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
        if snap is None or snap.person.consent != "granted":
            return None
        if not (accepts_upload(snap.state) or accepts_placement_photo(snap.state)):
            return None
        return snap.person.id

    # -- any channel ------------------------------------------------------------------
    async def receive(
        self, event: InboundEvent, fetch: Fetch, *, media: str = "photo", group: str = ""
    ) -> InboundEvent:
        """A file a channel can fetch (``fetch(folder)`` copies or downloads it into that
        private folder and returns its path, raising :class:`EvidenceRefused`), passed on as
        an upload when evidence is awaited; the event as it is otherwise. The WhatsApp
        channel plugs its media download in here."""
        person_id = await self.waiting_person(event)
        if person_id is None:
            return event
        return await self._receive(person_id, _as_media(event, media), fetch, group)

    async def _receive(
        self, person_id: int, event: InboundEvent, fetch: Fetch, group: str
    ) -> InboundEvent:
        try:
            path = await fetch(self.store.tmp_dir)
            image = await prepare_received(path, self.settings)
        except EvidenceRefused as e:
            log.info("evidence file refused: %s", e.reason.value)
            return replace(event, upload=Upload(refused=e.reason.value, group=group))
        try:
            stored = await self.store.put(owner_of(person_id), image)
        except OSError:
            log.exception("could not store an evidence photo")
            upload = Upload(refused=Refusal.DOWNLOAD_FAILED.value, group=group)
            return replace(event, upload=upload)
        upload = Upload(
            ref=stored.ref, sha256=stored.sha256, phash=stored.phash, dhash=stored.dhash,
            mime=stored.mime,
            width=stored.width, height=stored.height, size=stored.size, group=group,
        )  # fmt: skip
        return replace(event, upload=upload)

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

        async def download(folder: Path) -> Path:
            return await download_telegram_file(
                bot, file_id, folder, self.settings, declared_size=declared
            )

        return await self._receive(person_id, event, download, group)

    # -- console ------------------------------------------------------------------------
    async def console(self, event: InboundEvent) -> InboundEvent:
        """A typed file path becomes an upload when evidence is awaited."""
        text = event.text.strip()
        if event.kind is not EventKind.TEXT or not _PATHLIKE.search(text):
            return event
        return await self.receive(event, self._copy(text), media="document")

    async def local_file(self, event: InboundEvent, path: Path, group: str = "") -> InboundEvent:
        """A file on this machine sent as a photo (tests, transcripts, an importer): the
        same checks as a download."""
        received = await self.receive(event, self._copy(str(path)), group=group)
        return received if received.upload else _as_media(event, "photo")

    def _copy(self, raw: str) -> Fetch:
        async def copy(folder: Path) -> Path:
            return await copy_local_file(raw, folder, self.settings.max_bytes)

        return copy


def _as_media(event: InboundEvent, media: str) -> InboundEvent:
    return replace(event, kind=EventKind.MEDIA, media=media, text="")


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
