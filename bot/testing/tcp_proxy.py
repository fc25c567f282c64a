"""A TCP proxy that a test can cut, hang and restore: a database outage on demand.

Put it between the bot and PostgreSQL (``DATABASE_URL`` pointing at the proxy's port):

    async with TcpProxy("127.0.0.1", 5432) as proxy:
        url = f"postgresql://postgres@127.0.0.1:{proxy.port}/jkp"
        ...
        proxy.cut()      # every open connection is reset, new ones are refused at once
        proxy.hang()     # connections stay open but nothing goes through (a stalled server)
        proxy.restore()  # back to normal; a hung connection is reset, new ones work

It runs in the test's event loop and serves any number of client processes.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Literal

Mode = Literal["open", "cut", "hang"]


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.mode: Mode = "open"
        self.connections = 0  # accepted so far
        self._server: asyncio.Server | None = None
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._reset_all()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def port(self) -> int:
        assert self._server is not None, "use `async with TcpProxy(...)`"
        return int(self._server.sockets[0].getsockname()[1])

    # -- control ----------------------------------------------------------------------
    def cut(self) -> None:
        """Reset every connection; refuse new ones until :meth:`restore`."""
        self.mode = "cut"
        self._flowing.set()
        self._reset_all()

    def hang(self) -> None:
        """Keep connections open but pass no byte until :meth:`restore`."""
        self.mode = "hang"
        self._flowing.clear()

    def restore(self) -> None:
        if self.mode == "hang":
            self._reset_all()  # a client stuck mid-query gets an error, not stale bytes
        self.mode = "open"
        self._flowing.set()

    # -- plumbing ---------------------------------------------------------------------
    def _reset_all(self) -> None:
        for client, server in list(self._pairs):
            for writer in (client, server):
                transport = writer.transport
                with contextlib.suppress(Exception):
                    transport.abort()
        self._pairs.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.mode == "cut":
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        pair = (writer, up_writer)
        self._pairs.add(pair)
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst, pair))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(
        self,
        src: asyncio.StreamReader,
        dst: asyncio.StreamWriter,
        pair: tuple[asyncio.StreamWriter, asyncio.StreamWriter],
    ) -> None:
        try:
            while data := await src.read(65536):
                await self._flowing.wait()
                if pair not in self._pairs:
                    return
                dst.write(data)
                await dst.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            if pair in self._pairs:
                self._pairs.discard(pair)
                for writer in pair:
                    with contextlib.suppress(Exception):
                        writer.close()
