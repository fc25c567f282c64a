"""The console channel: a terminal chat, or one message per line when stdin is a pipe.

It shares plain-text rendering (numbered options) with SMS; a reply of "2" picks option 2.
In a terminal the conversation greets first (as Telegram's /start); piped, the first line is
the person's first message. Ctrl-D (end of input) and Ctrl-C end it at once: stdin is read by
a daemon thread, so nothing waits for one more line after Ctrl-C.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path
from typing import TextIO

from bot.app import App
from bot.core.domain import Domain
from bot.core.plaintext import render_plain
from bot.core.types import EventKind, InboundEvent, OutboundMessage, Say
from bot.cv.model import StoredFiles
from scheduler.outbox import OutboxSender

CHANNEL = "console"


class ConsoleOutput:
    """Delivers rendered messages to a text stream. A file the application made (a CV,
    ``store:<ref>``) is written, decrypted, into ``folder`` (the current folder by default)
    under its name, readable by you only; the message says where; the stored copy is then
    deleted."""

    def __init__(
        self,
        domain: Domain,
        out: TextIO,
        files: StoredFiles | None = None,
        folder: Path | None = None,
    ) -> None:
        self.domain = domain
        self.out = out
        self.files = files
        self.folder = folder

    async def __call__(self, address: str, message: OutboundMessage) -> None:
        att = message.attachment
        if att is not None and att.ref.startswith("store:") and self.files is not None:
            message = await self._save(message, att.ref.removeprefix("store:"), att.name)
        text = render_plain(self.domain.render(message, CHANNEL), self.domain, CHANNEL)
        self.out.write(text + "\n\n")
        self.out.flush()

    async def _save(self, message: OutboundMessage, ref: str, name: str) -> OutboundMessage:
        assert self.files is not None
        try:
            data = await self.files.read(ref)
        except (FileNotFoundError, ValueError):
            return OutboundMessage((*message.parts, Say("utter_cv_file_gone")))
        folder = self.folder or Path.cwd()
        path = (folder / (Path(name).name or "file")).resolve()
        await asyncio.to_thread(_write_private, path, data)
        await self.files.delete(ref)
        return OutboundMessage((*message.parts, Say("utter_cv_saved_to", {"path": str(path)})))


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


async def run_console(app: App, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    user = app.settings.console_user
    sender = OutboxSender(
        app.db, CHANNEL, ConsoleOutput(app.engine.domain, stdout, app.files), app.engine.clock,
        per_second=0, chat_interval=0,
    )  # fmt: skip
    interactive = stdin.isatty()

    async def send(event: InboundEvent) -> None:
        await app.engine.handle(await app.intake.console(event))  # a typed photo path
        await sender.drain()

    await sender.drain()  # anything queued before a restart
    if interactive:
        await send(InboundEvent(CHANNEL, user, EventKind.START))
    lines = read_lines(stdin)
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = await lines.get()
        if line is None:
            break
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        await send(InboundEvent(CHANNEL, user, EventKind.TEXT, text=line))


def read_lines(stdin: TextIO) -> asyncio.Queue[str | None]:
    """Lines of ``stdin`` as they come (None at the end), read by a daemon thread: a
    blocking read in the loop's default executor would keep the process alive after Ctrl-C
    until one more line arrived (asyncio waits for that executor when it shuts down)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        while True:
            try:
                line: str | None = stdin.readline() or None
            except (OSError, ValueError):  # closed under us at exit
                line = None
            try:
                loop.call_soon_threadsafe(queue.put_nowait, line)
            except RuntimeError:  # the loop is gone: the console has ended
                return
            if line is None:
                return

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    return queue
