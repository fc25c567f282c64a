"""The cost of a turn, side by side (issue 15).

Five pipelines get the same Telegram Update JSON, one process, one run:

- **project**: ``Dispatcher.feed_raw_update`` on the project's own dispatcher
  (bot/channels/telegram.py ``build_dispatcher``) → engine → state saved and replies queued in
  the outbox (one transaction) → the project's outbox sender → ``TelegramDelivery`` →
  ``send_message`` on a mocked Bot session: no socket, but the request form is still built
  (``AiohttpSession.build_form_data``) and the reply parsed (``check_response``);
- **aiogram**: a bare aiogram dispatcher answering the same updates with one
  ``send_message`` each on the same mocked session;
- **floor**: a bare SQLAlchemy Core transaction per turn doing the same durable work (select
  the user row, update a 900-byte state, insert an outbox row), on the same database;
- **bound**: the least any pipeline on this stack pays: bare aiogram making the project's Bot
  API calls (answer a press, mark the chosen option, reply with a keyboard) around the floor's
  transaction (on SQLite on the project's faster driver), and nothing else: no dedupe, no
  version, no sent mark, no encryption, no dialog. ``bound/floor`` is the highest
  project/floor the stack allows; **bound, no edit** is the same without marking the option.

Each is measured with 1 user (turns one after another) and with 50 users at once: turns/s,
latency p50/p95/p99, and this process's CPU per turn. Repetitions are interleaved (project,
aiogram, floor, ..., project, ...) and the ratios project/aiogram, project/floor and
bound/floor reported as min/median over them: the machine is shared and noisy; ratios hold
where absolute numbers drift. The walk is tests/transcripts/eligible_pkwt.yml (buttons
pressed, answers typed), and every project conversation must end at the eligibility verdict,
or the run FAILs.

    python benchmarks/bench_pipeline.py                  # both databases, 3 repetitions
    python benchmarks/bench_pipeline.py --db sqlite --reps 5 --users 50 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import aiosqlite
import yaml
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from cryptography.fernet import Fernet
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import App, build_app  # noqa: E402
from bot.channels.telegram import (  # noqa: E402
    CHANNEL,
    KeptResponses,
    TelegramDelivery,
    build_dispatcher,
)
from bot.settings import Settings  # noqa: E402
from bot.storage.crypto import address_hash  # noqa: E402
from bot.storage.db import make_engine  # noqa: E402
from bot.storage.models import Id  # noqa: E402
from bot.testing.clock import FrozenClock  # noqa: E402
from bot.testing.db import stored_state  # noqa: E402
from scheduler.outbox import OutboxSender  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"
PG = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TRANSCRIPT = ROOT / "tests" / "transcripts" / "eligible_pkwt.yml"


# -- the mocked Bot API session ----------------------------------------------------------
class MockedSession(BaseSession):
    """No socket: the request form is built as aiohttp would build it, a canned reply is
    parsed by aiogram's own ``check_response``. Calls are counted per chat. (The project's
    pipeline uses :class:`ProjectSession`: the same, with what the bot's own session adds.)"""

    def __init__(self) -> None:
        super().__init__()
        self._forms = AiohttpSession()
        self.sent: dict[int, int] = defaultdict(int)
        self.waiters: dict[int, list[tuple[int, asyncio.Future[None]]]] = defaultdict(list)
        self._ids = itertools.count(1)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> Any:
        self._forms.build_form_data(bot, method)
        name = method.__api_method__
        chat = getattr(method, "chat_id", None)
        if name in ("sendMessage", "editMessageText"):
            result: Any = {
                "message_id": next(self._ids), "date": 0,
                "chat": {"id": chat, "type": "private", "first_name": "B"},
                "text": getattr(method, "text", ""),
            }  # fmt: skip
        else:
            result = True
        response = self.check_response(
            bot=bot, method=method, status_code=200,
            content=json.dumps({"ok": True, "result": result}),
        )  # fmt: skip
        if name == "sendMessage" and isinstance(chat, int):
            self.sent[chat] += 1
            done = [w for w in self.waiters[chat] if self.sent[chat] >= w[0]]
            for w in done:
                self.waiters[chat].remove(w)
                if not w[1].done():
                    w[1].set_result(None)
        return response.result

    def until(self, chat: int, count: int) -> Awaitable[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.sent[chat] >= count:
            future.set_result(None)
        else:
            self.waiters[chat].append((count, future))
        return future

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    async def close(self) -> None:
        await self._forms.close()


class ProjectSession(KeptResponses, MockedSession):
    """The mocked session with the bot's own session behaviour (bot/channels/telegram.py
    ``BotSession``: reply models kept, not rebuilt after a garbage collection)."""


# -- the walk ------------------------------------------------------------------------------
@functools.cache
def walk() -> list[tuple[str, str]]:
    """(kind, value) per turn: ("text", typed) or ("press", payload)."""
    steps = yaml.safe_load(TRANSCRIPT.read_text(encoding="utf-8"))["steps"]
    turns = []
    for step in steps:
        if "user" in step:
            turns.append(("text", str(step["user"])))
        elif "choose" in step:
            turns.append(("press", str(step["choose"])))
    return turns


_update_ids = itertools.count(1)


def update_json(chat: int, kind: str, value: str) -> dict[str, Any]:
    user = {"id": chat, "is_bot": False, "first_name": "Budi"}
    private = {"id": chat, "type": "private", "first_name": "Budi"}
    if kind == "text":
        return {"update_id": next(_update_ids), "message": {
            "message_id": next(_update_ids), "date": 0, "chat": private, "from": user,
            "text": value}}  # fmt: skip
    markup = {"inline_keyboard": [[{"text": "Pilihan", "callback_data": value}]]}
    return {"update_id": next(_update_ids), "callback_query": {
        "id": str(next(_update_ids)), "from": user, "chat_instance": "ci", "data": value,
        "message": {"message_id": 1, "date": 0, "chat": private, "text": "Pertanyaan",
                    "from": {"id": 123456, "is_bot": True, "first_name": "JKP"},
                    "reply_markup": markup}}}  # fmt: skip


@dataclass
class Result:
    turns: int
    seconds: float
    cpu: float
    latencies: list[float]

    def row(self) -> dict[str, float]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

        return {
            "turns_per_s": self.turns / self.seconds, "p50_ms": pct(0.50), "p95_ms": pct(0.95),
            "p99_ms": pct(0.99), "cpu_ms_per_turn": self.cpu * 1000 / self.turns,
        }  # fmt: skip


async def measure(users: int, run_user: Callable[[int], Awaitable[list[float]]]) -> Result:
    start, cpu = time.perf_counter(), time.process_time()
    lists = await asyncio.gather(*(run_user(u) for u in range(users)))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    latencies = [x for lst in lists for x in lst]
    return Result(len(latencies), seconds, cpu, latencies)


# -- the three pipelines ---------------------------------------------------------------------
class Project:
    def __init__(self, app: App) -> None:
        self.app = app
        self.session = ProjectSession()
        self.bot = Bot(TOKEN, session=self.session)
        self.dp = build_dispatcher(app)
        self.sender = OutboxSender(
            app.db, CHANNEL, TelegramDelivery(self.bot, app.engine.domain), app.engine.clock,
            per_second=0, chat_interval=0,
        )  # fmt: skip
        self.queued: dict[str, int] = defaultdict(int)
        handle = app.engine.handle

        async def counting(event: Any) -> int:
            n = await handle(event)
            self.queued[event.sender_id] += n
            return n

        app.engine.handle = counting  # type: ignore[method-assign]
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.app.engine.on_queued = self.sender.wake
        self.app.engine.attach_sender(self.sender)
        self.task = asyncio.create_task(self.sender.run(self.stop))

    async def close(self) -> None:
        self.stop.set()
        self.sender.wake()
        if self.task:
            await self.task
        await self.bot.session.close()

    def user(self, base: int) -> Callable[[int], Awaitable[list[float]]]:
        async def run(u: int) -> list[float]:
            chat = base + u
            latencies = []
            for kind, value in walk():
                t0 = time.perf_counter()
                await self.dp.feed_raw_update(self.bot, update_json(chat, kind, value))
                await self.session.until(chat, self.queued[str(chat)])
                latencies.append(time.perf_counter() - t0)
            return latencies

        return run


class Fed:
    """A bare dispatcher fed the walk's updates one after the other (its handlers answer)."""

    dp: Dispatcher
    bot: Bot

    def user(self, base: int) -> Callable[[int], Awaitable[list[float]]]:
        async def run(u: int) -> list[float]:
            latencies = []
            for kind, value in walk():
                t0 = time.perf_counter()
                await self.dp.feed_raw_update(self.bot, update_json(base + u, kind, value))
                latencies.append(time.perf_counter() - t0)
            return latencies

        return run


class BareAiogram(Fed):
    def __init__(self) -> None:
        self.session = MockedSession()
        self.bot = Bot(TOKEN, session=self.session)
        self.dp = Dispatcher()
        router = Router()

        @router.message()
        async def on_message(message: Message, bot: Bot) -> None:
            await bot.send_message(message.chat.id, "ok")

        @router.callback_query()
        async def on_press(query: CallbackQuery, bot: Bot) -> None:
            await query.answer()
            assert query.message is not None
            await bot.send_message(query.message.chat.id, "ok")

        self.dp.include_router(router)


class Bound(Fed):
    """What any pipeline on this stack pays at least: bare aiogram making the project's Bot API
    calls for the same updates (a typed answer: one reply with a keyboard; a press: answer the
    press, mark the chosen option, reply with a keyboard) around the floor's transaction, on
    the fastest driver the project has (SQLite: the project's own). It keeps no guarantee the
    project keeps (no dedupe, no version, no sent mark, no encryption, no dialog): the best
    the project could do, so ``bound/floor`` is the highest project/floor this stack allows."""

    REPLY = "Terima kasih. " * 12  # about the length of a question

    def __init__(self, floor: Floor, *, edit: bool = True) -> None:
        self.floor = floor
        self.session = MockedSession()
        self.bot = Bot(TOKEN, session=self.session)
        self.dp = Dispatcher()
        router = Router()
        markup = InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text=f"Pilihan {i}", callback_data=f"q:{i}")] for i in range(3)
        ])  # fmt: skip

        @router.message()
        async def on_message(message: Message, bot: Bot) -> None:
            await self.floor.transaction((message.chat.id - 1) % 1000 + 1)
            await bot.send_message(message.chat.id, self.REPLY, reply_markup=markup)

        @router.callback_query()
        async def on_press(query: CallbackQuery, bot: Bot) -> None:
            assert isinstance(query.message, Message)
            chat = query.message.chat.id
            await self.floor.transaction((chat - 1) % 1000 + 1)
            await bot.send_message(chat, self.REPLY, reply_markup=markup)
            await query.answer()
            if edit:
                await bot.edit_message_text(chat_id=chat, message_id=query.message.message_id,
                                            text=f"{query.message.text}\n\n» Pilihan",
                                            reply_markup=None)  # fmt: skip

        self.dp.include_router(router)


class Floor:
    """The durable work of a turn as one bare Core transaction."""

    STATE: ClassVar[dict[str, Any]] = {
        "v": 2, "dialogs": {"eligibility": {"answers": {"x": "y" * 850}}},
    }  # fmt: skip

    def __init__(self, url: str, *, stock: bool = True) -> None:
        # stock: SQLAlchemy's own aiosqlite adapter (the bare floor); else the project's
        # (bot/storage/sqlite_driver.py). PostgreSQL: asyncpg either way.
        extra: dict[str, Any] = {}
        if stock and url.startswith("sqlite"):
            extra["module"] = AsyncAdapt_aiosqlite_dbapi(aiosqlite, sqlite3)
        self.engine = make_engine(url, **extra)
        meta = MetaData()
        self.users = Table("floor_users", meta, Column("id", Id, primary_key=True),
                           Column("address", String(64)), Column("state", JSON))  # fmt: skip
        self.outbox = Table("floor_outbox", meta, Column("id", Id, primary_key=True),
                            Column("address", String(64)), Column("body", JSON))  # fmt: skip
        self.meta = meta
        self.state = self.STATE

    async def setup(self, users: int) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(self.meta.create_all)
            await conn.execute(insert(self.users), [
                {"id": i, "address": str(i), "state": {}} for i in range(1, users + 1)
            ])  # fmt: skip

    def user(self, base: int) -> Callable[[int], Awaitable[list[float]]]:
        async def run(u: int) -> list[float]:
            latencies = []
            for _ in walk():
                t0 = time.perf_counter()
                await self.transaction(u + 1)
                latencies.append(time.perf_counter() - t0)
            return latencies

        return run

    async def transaction(self, user: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(select(self.users).where(self.users.c.id == user))
            await conn.execute(
                update(self.users).where(self.users.c.id == user).values(state=self.state)
            )
            await conn.execute(insert(self.outbox).values(address=str(user), body={"parts": []}))

    async def close(self) -> None:
        await self.engine.dispose()


# -- stored users (flat with users) ---------------------------------------------------------
async def store_users(app: App, n: int, first_chat: int) -> None:
    """``n`` more beneficiaries with what a person accumulates over the months: identity,
    benefit months (bot/testing/beneficiaries.py), a 900-byte conversation state, 10 handled
    update ids and 5 sent messages each. Inserted in bulk, already encrypted."""
    from bot.storage import crypto
    from bot.storage.models import UTCDateTime
    from bot.testing.beneficiaries import CHUNK, month_two_start, populate

    await populate(app, n, start=month_two_start(), first_chat=first_chat)
    cipher, now = crypto.current(), app.engine.clock()
    meta = MetaData()
    at = UTCDateTime()
    conv = Table("conversations", meta, Column("identity_id", Id), Column("person_id", Id),
                 Column("state", JSON), Column("updated_at", at))  # fmt: skip
    events = Table("processed_events", meta, Column("channel", String), Column("event_id", String),
                   Column("at", at))  # fmt: skip
    out = Table("outbox", meta, *(Column(c, String) for c in ("channel", "chat_key", "address",
                "status")), Column("person_id", Id), Column("body", JSON), Column("essential",
                Boolean), Column("attempts", Integer), *(Column(c, at) for c in ("not_before",
                "created_at", "sent_at")))  # fmt: skip
    ident = Table("identities", meta, Column("id", Id), Column("person_id", Id),
                  Column("address", String), Column("address_hash", String))  # fmt: skip
    state = cipher.seal(Floor.STATE)
    body = cipher.seal({})
    chats = [str(first_chat + i) for i in range(n)]
    for lo in range(0, n, CHUNK):
        hashes = {address_hash("telegram", c): c for c in chats[lo : lo + CHUNK]}
        async with app.db.write() as conn:
            which = select(ident.c.id, ident.c.person_id, ident.c.address_hash)
            rows = (await conn.execute(which.where(ident.c.address_hash.in_(list(hashes))))).all()
            await conn.execute(insert(conv), [
                {"identity_id": i, "person_id": p, "state": state, "updated_at": now}
                for i, p, _ in rows])  # fmt: skip
            await conn.execute(insert(events), [
                {"channel": "telegram", "event_id": f"{hashes[h]}:{k}", "at": now}
                for _, _, h in rows for k in range(10)])  # fmt: skip
            await conn.execute(insert(out), [
                {"channel": "telegram", "chat_key": h, "address": cipher.seal_text(hashes[h]),
                 "status": "sent", "person_id": p, "body": body, "essential": False,
                 "attempts": 1, "not_before": now, "created_at": now, "sent_at": now}
                for _, p, h in rows for _ in range(5)])  # fmt: skip


async def run_stored(url: str, users: int, reps: int, sizes: list[int]) -> dict[str, Any]:
    """The project (and the floor, to see the machine drift) at each number of stored
    beneficiaries, growing."""
    settings = replace(Settings(), database_url=url, encryption_keys=Fernet.generate_key().decode())
    files = tempfile.mkdtemp(prefix="bench-evidence-")
    settings = replace(settings, evidence=replace(settings.evidence, directory=files))
    app = await build_app(settings, clock=FrozenClock())
    project = Project(app)
    await project.start()
    floor = Floor(url)
    await floor.setup(users)
    results: dict[int, dict[str, dict[int, list[dict[str, float]]]]] = {}
    base = itertools.count(1, 1000)
    stored = 0
    try:
        await warm_up(project, floor, base)
        for size in sizes:
            if size > stored:
                await store_users(app, size - stored, 10_000_000 + stored)
                stored = size
            by = results[size] = defaultdict(lambda: defaultdict(list))
            for _ in range(reps):
                for concurrency in (1, users):
                    for name, pipeline in (("project", project), ("floor", floor)):
                        result = await measure(concurrency, pipeline.user(next(base)))
                        by[name][concurrency].append(result.row())
    finally:
        await project.close()
        await floor.close()
        await app.close()
    return {"stored": results}


def summarise_stored(db: str, data: dict[str, Any], users: int) -> list[str]:
    lines = []
    for size, by in data["stored"].items():
        for concurrency in (1, users):
            p = {k: statistics.median(r[k] for r in by["project"][concurrency])
                 for k in by["project"][concurrency][0]}  # fmt: skip
            pairs = zip(by["project"][concurrency], by["floor"][concurrency], strict=True)
            ratios = [a["turns_per_s"] / f["turns_per_s"] for a, f in pairs]
            lines.append(
                f"| {db} | {size:,} | {concurrency} | {p['turns_per_s']:.0f} | "
                f"{p['p99_ms']:.1f} | {p['cpu_ms_per_turn']:.2f} | "
                f"{statistics.median(ratios):.2f} |"
            )
    return lines


async def warm_up(project: Project, floor: Floor, base: Any) -> None:
    """One walk of each, not measured: the first turns build caches (compiled statements,
    pydantic validators, the NLU) that every later turn finds."""
    await measure(1, project.user(next(base)))
    await measure(1, floor.user(0))


# -- a run on one database ------------------------------------------------------------------
async def run_db(url: str, users: int, reps: int) -> dict[str, Any]:
    settings = replace(Settings(), database_url=url, encryption_keys=Fernet.generate_key().decode())
    files = tempfile.mkdtemp(prefix="bench-evidence-")  # evidence photos (unused here)
    settings = replace(settings, evidence=replace(settings.evidence, directory=files))
    app = await build_app(settings, clock=FrozenClock())
    project = Project(app)
    await project.start()
    bare = BareAiogram()
    floor = Floor(url)
    await floor.setup(users)
    pipelines: list[tuple[str, Any]] = [("project", project), ("aiogram", bare), ("floor", floor)]
    fastest = floor
    if url.startswith("sqlite"):
        fastest = Floor(url, stock=False)
        pipelines.append(("floor, project's driver", fastest))
    pipelines += [("bound", Bound(fastest)), ("bound, no edit", Bound(fastest, edit=False))]
    results: dict[str, dict[int, list[dict[str, float]]]] = defaultdict(lambda: defaultdict(list))
    base = itertools.count(1, 1000)
    problems: list[str] = []
    try:
        await warm_up(project, floor, base)
        for _ in range(reps):
            for concurrency in (1, users):
                for name, pipeline in pipelines:
                    start = next(base)
                    result = await measure(concurrency, pipeline.user(start))
                    results[name][concurrency].append(result.row())
                    if name == "project":
                        for u in range(concurrency):
                            state = await stored_state(app, CHANNEL, str(start + u))
                            if state.get("dialogs", {}).get("eligibility", {}).get("step") != (
                                "result"
                            ):
                                problems.append(f"user {start + u} did not reach the verdict")
    finally:
        await project.close()
        for name, pipeline in pipelines:
            if name.startswith("floor"):
                await pipeline.close()
        for name, pipeline in pipelines:
            if name.startswith(("aiogram", "bound")):
                await pipeline.session.close()
        await app.close()
    return {"results": results, "problems": problems}


def summarise(db: str, data: dict[str, Any], users: int) -> list[str]:
    lines = []
    res = data["results"]

    def ratios(concurrency: int, other: str, of: str = "project") -> str:
        each = [
            p["turns_per_s"] / o["turns_per_s"]
            for p, o in zip(res[of][concurrency], res[other][concurrency], strict=True)
        ]
        digits = 3 if other == "aiogram" else 2
        return f"{of}/{other} {min(each):.{digits}f} / {statistics.median(each):.{digits}f}"

    for concurrency in (1, users):
        for name in res:
            runs = res[name][concurrency]
            r = {k: statistics.median(x[k] for x in runs) for k in runs[0]}
            lines.append(
                f"| {db} | {concurrency} | {name} | {r['turns_per_s']:.0f} | {r['p50_ms']:.1f} | "
                f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['cpu_ms_per_turn']:.2f} |"
            )
        more = [ratios(concurrency, name) for name in res if name.startswith("floor, ")]
        lines.append(
            f"| {db} | {concurrency} | **ratios** | {ratios(concurrency, 'aiogram')} | "
            f"{ratios(concurrency, 'floor')} | {' | '.join(more) or ''} | (min / median) | |"
        )
        lines.append(
            f"| {db} | {concurrency} | **ceiling** | {ratios(concurrency, 'floor', 'bound')} | "
            f"{ratios(concurrency, 'floor', 'bound, no edit')} | "
            f"{ratios(concurrency, 'bound')} | (min / median) | |"
        )
    return lines


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--stored", help="instead: the project with this many stored beneficiaries, growing "
        "(e.g. 1000,100000): cost must not grow with them",
    )  # fmt: skip
    args = parser.parse_args()
    if args.stored:
        return await main_stored(args)
    out: dict[str, Any] = {}
    lines = ["| DB | users | pipeline | turns/s | p50 ms | p95 ms | p99 ms | CPU ms/turn |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    failed = False
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            data = await run_db(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args.users, args.reps)
        out["sqlite"] = data
        lines += summarise("SQLite", data, args.users)
        failed |= bool(data["problems"])
    if args.db in ("postgres", "both"):
        async with scratch_postgres() as url:
            data = await run_db(url, args.users, args.reps)
        out["postgres"] = data
        lines += summarise("PostgreSQL", data, args.users)
        failed |= bool(data["problems"])
    print("\n".join(lines))
    for db, data in out.items():
        for problem in data["problems"][:5]:
            print(f"FAIL {db}: {problem}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
    return 1 if failed else 0


async def main_stored(args: argparse.Namespace) -> int:
    sizes = [int(x) for x in args.stored.split(",")]
    lines = ["| DB | stored beneficiaries | users | turns/s | p99 ms | CPU ms/turn | "
             "project/floor (median) |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    out: dict[str, Any] = {}
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            out["sqlite"] = await run_stored(url, args.users, args.reps, sizes)
        lines += summarise_stored("SQLite", out["sqlite"], args.users)
    if args.db in ("postgres", "both"):
        async with scratch_postgres() as url:
            out["postgres"] = await run_stored(url, args.users, args.reps, sizes)
        lines += summarise_stored("PostgreSQL", out["postgres"], args.users)
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
    return 0


@contextlib.asynccontextmanager
async def scratch_postgres() -> AsyncIterator[str]:
    """A database of its own on the PostgreSQL server, dropped afterwards."""
    import asyncpg  # type: ignore[import-untyped]

    name = f"jkp_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
