"""Benchmark the engine as a deployment sees it: real engine, real database, outbox drained.

    python benchmarks/bench_engine.py [--db sqlite|postgres|both] [--users N]
                                      [--concurrency C] [--json out.json]

Each database runs in its own child process (so peak RSS is per database) and goes through:

1. latency: N users, one after another, each walking tests/transcripts/eligible_pkwt.yml
   (consent → menu → 13 questions → verdict → estimate); one turn = ``engine.handle`` +
   ``OutboxSender.drain`` (deliveries rendered, not sent anywhere, no rate limit);
2. concurrency: C users at once (``asyncio.gather``), same walk; then every conversation
   must rest at the result step and the outbox must hold nothing pending;
3. redelivery: first-contact events each fed twice, one after the other (--events, 300 by
   default; the full run uses 1,000), and --racing more fed twice at the same moment; a
   duplicate must queue nothing and add no outbox row;
4. memory: peak RSS, and the Python memory (tracemalloc) still held per conversation once
   it is idle, plus ``len(engine.locks)`` (expected 0).

A script, not a test: it asserts correctness (a FAIL line and a non-zero exit), never time.
The clock is frozen at 2 June 2025 10:00 WIB, so the verdicts are those of the transcript.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import logging
import math
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml
from cryptography.fernet import Fernet
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.core.plaintext import render_plain
from bot.core.types import EventKind, InboundEvent, OutboundMessage
from bot.settings import Settings
from bot.storage import outbox as outbox_store
from bot.storage import people
from bot.storage.models import OutboxMessage, ProcessedEvent
from bot.storage.models import table as table_of
from bot.testing.clock import FrozenClock
from scheduler.outbox import OutboxSender

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPT = ROOT / "tests" / "transcripts" / "eligible_pkwt.yml"
PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
Step = dict[str, Any]


class Failure(Exception):
    """A correctness check failed: the numbers of this run mean nothing."""


# -- the transcript ------------------------------------------------------------------------


def load_steps() -> list[Step]:
    """The eligibility transcript up to the estimate: the conversation then rests at the
    result step (the transcript's final "menu" is left out)."""
    steps: list[Step] = yaml.safe_load(TRANSCRIPT.read_text(encoding="utf-8"))["steps"]
    last = max(i for i, s in enumerate(steps) if "utter_estimate" in s["expect"])
    return steps[: last + 1]


# -- log tally: the engine swallows exceptions (and apologises), so count them -------------


class Tally(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.counts: Counter[str] = Counter()
        self.samples: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[record.levelname] += 1
        if "redelivered" in str(record.msg):
            self.counts["redelivered"] += 1
        if record.levelno >= logging.WARNING and len(self.samples) < 5:
            text = f"{record.levelname} {record.name}: {record.getMessage()}"
            if record.exc_info and record.exc_info[1] is not None:
                text += f" ({record.exc_info[1]!r})"[:300]
            self.samples.append(text)


# -- the harness ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivered:
    keys: tuple[str, ...]
    text: str
    payloads: tuple[str, ...]


@dataclass
class Timings:
    total: list[float] = field(default_factory=list)  # handle + drain (or delivery), ms
    handle: list[float] = field(default_factory=list)
    drain: list[float] = field(default_factory=list)
    # SQL statements and transactions issued by handle / drain (meaningful one user at a time)
    sql: Counter[str] = field(default_factory=Counter)


class Harness:
    """One engine, one outbox sender for the channel (as in a deployment), a delivery that
    renders each message the way a channel would and files it under its address."""

    def __init__(self, app: App, channel: str) -> None:
        self.app = app
        self.engine = app.engine
        self.channel = channel
        self.inbox: dict[str, list[Delivered]] = defaultdict(list)
        self.sender = OutboxSender(
            app.db, channel, self.deliver, self.engine.clock, per_second=0, chat_interval=0
        )
        self.tag = uuid.uuid4().hex[:6]
        self.ids = itertools.count()
        self.problems: list[str] = []
        self.background = False  # True: the sender runs on its own, woken by the engine
        self._arrived: dict[str, asyncio.Event] = {}
        self.statements = 0
        self.transactions = 0
        sa_event.listen(app.db.engine.sync_engine, "before_cursor_execute", self._on_statement)
        sa_event.listen(app.db.engine.sync_engine, "begin", self._on_begin)

    def _on_statement(self, *args: Any) -> None:
        if not str(args[2]).startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE is counted below
            self.statements += 1

    def _on_begin(self, *args: Any) -> None:
        self.transactions += 1

    async def deliver(self, address: str, message: OutboundMessage) -> None:
        domain = self.engine.domain
        rendered = domain.render(message, self.channel)
        self.inbox[address].append(
            Delivered(
                tuple(p.key for p in message.parts),
                render_plain(rendered, domain, self.channel),
                tuple(b.payload for b in rendered.buttons),
            )
        )
        if (arrived := self._arrived.get(address)) is not None:
            arrived.set()

    @asynccontextmanager
    async def sender_in_background(self) -> AsyncIterator[None]:
        """As the Telegram channel runs it: one sender task, woken when messages are queued;
        a turn then lasts until its messages have been delivered."""
        stop = asyncio.Event()
        task = asyncio.create_task(self.sender.run(stop))
        self.engine.on_queued = self.sender.wake
        self.background = True
        try:
            yield
        finally:
            self.background = False
            self.engine.on_queued = None
            stop.set()
            self.sender.wake()
            await asyncio.wait_for(task, 30)

    async def _delivered(self, user: str, count: int) -> None:
        while len(self.inbox.get(user, ())) < count:
            arrived = self._arrived[user] = asyncio.Event()
            try:
                await asyncio.wait_for(arrived.wait(), 30)
            finally:
                del self._arrived[user]

    def make_event(self, user: str, step: Step, offered: tuple[str, ...]) -> InboundEvent:
        eid = f"{self.tag}:{next(self.ids)}"
        if "user" in step:
            return InboundEvent(self.channel, user, EventKind.TEXT, text=str(step["user"]),
                                event_id=eid)  # fmt: skip
        payload = str(step.get("choose") or step["click"])
        if "choose" in step and self.channel in ("console", "sms"):
            if payload not in offered:
                raise Failure(f"{user}: {payload!r} not offered; offered {offered}")
            text = str(offered.index(payload) + 1)
            return InboundEvent(self.channel, user, EventKind.TEXT, text=text, event_id=eid)
        return InboundEvent(self.channel, user, EventKind.CHOICE, payload=payload, event_id=eid)

    async def turn(self, event: InboundEvent, timings: Timings) -> None:
        s0, x0 = self.statements, self.transactions
        t0 = time.perf_counter()
        queued = await self.engine.handle(event)
        t1 = time.perf_counter()
        s1, x1 = self.statements, self.transactions
        if self.background:
            await self._delivered(event.sender_id, queued)
        else:
            await self.sender.drain()
        t2 = time.perf_counter()
        timings.handle.append((t1 - t0) * 1000)
        timings.drain.append((t2 - t1) * 1000)
        timings.total.append((t2 - t0) * 1000)
        timings.sql.update(
            handle_statements=s1 - s0,
            handle_transactions=x1 - x0,
            drain_statements=self.statements - s1,
            drain_transactions=self.transactions - x1,
            messages=queued,
        )

    async def walk(self, user: str, steps: list[Step], timings: Timings) -> None:
        """One user through the transcript; every turn's replies are checked."""
        offered: tuple[str, ...] = ()
        for number, step in enumerate(steps, 1):
            try:
                await self.turn(self.make_event(user, step, offered), timings)
            except (Failure, TimeoutError) as e:
                self.problems.append(f"{user} step {number}: {e!r}")
                return
            replies = self.inbox.pop(user, [])
            keys = [k for r in replies for k in r.keys]
            if keys != step["expect"]:
                self.problems.append(f"{user} step {number}: got {keys}, expected {step['expect']}")
                return
            text = "\n\n".join(r.text for r in replies)
            for fragment in step.get("contains", []):
                if fragment not in text:
                    self.problems.append(f"{user} step {number}: {fragment!r} missing")
            offered = replies[-1].payloads if replies else ()

    async def count(self, model: Any, *where: Any) -> int:
        async with self.app.db.read() as conn:
            stmt = select(func.count()).select_from(table_of(model)).where(*where)
            return int(await conn.scalar(stmt) or 0)

    async def check_resting(self, users: list[str], phase: str) -> None:
        """Every user's conversation is at the result step; nothing is left pending."""
        async with self.app.db.read() as conn:
            states = {}
            for address in users:
                snap = await people.snapshot(conn, self.channel, address)
                states[address] = snap.state if snap else None
            pending = await outbox_store.pending_count(conn, self.channel)
        wrong = [
            u for u in users
            if (st := states.get(u)) is None
            or st.get("active") != "eligibility"
            or st.get("dialogs", {}).get("eligibility", {}).get("step") != "result"
        ]  # fmt: skip
        if wrong:
            sample = {u: states.get(u) for u in wrong[:2]}
            self.problems.append(
                f"{phase}: {len(wrong)}/{len(users)} conversations not at the result step, "
                f"e.g. {sample}"
            )
        if pending:
            self.problems.append(f"{phase}: {pending} outbox messages still pending")


# -- statistics ----------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(timings: Timings, seconds: float) -> dict[str, Any]:
    t = timings.total
    tenth = max(1, len(t) // 10)
    return {
        "turns": len(t),
        "seconds": round(seconds, 3),
        "turns_per_s": round(len(t) / seconds, 1),
        "p50_ms": round(pct(t, 50), 2),
        "p95_ms": round(pct(t, 95), 2),
        "p99_ms": round(pct(t, 99), 2),
        "max_ms": round(max(t), 2),
        "mean_ms": round(sum(t) / len(t), 2),
        "handle_p50_ms": round(pct(timings.handle, 50), 2),
        "handle_p95_ms": round(pct(timings.handle, 95), 2),
        "drain_p50_ms": round(pct(timings.drain, 50), 2),
        "drain_p95_ms": round(pct(timings.drain, 95), 2),
        # does a turn get slower as the tables grow?
        "first_tenth_p50_ms": round(pct(t[:tenth], 50), 2),
        "last_tenth_p50_ms": round(pct(t[-tenth:], 50), 2),
        "per_turn": {k: round(v / len(t), 2) for k, v in sorted(timings.sql.items())},
    }


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


# -- the phases ----------------------------------------------------------------------------


def live_objects() -> Counter[str]:
    """Objects the garbage collector tracks (containers, instances), by type."""
    gc.collect()
    return Counter(type(o).__qualname__ for o in gc.get_objects())


async def phase_latency(h: Harness, steps: list[Step], users: int) -> dict[str, Any]:
    timings = Timings()
    names = [f"{100000 + i}" for i in range(users)]
    objects_before = live_objects()
    start, cpu = time.perf_counter(), time.process_time()
    for name in names:
        await h.walk(name, steps, timings)
    cpu = time.process_time() - cpu
    result = summary(timings, time.perf_counter() - start)
    # CPU of this process (event loop + aiosqlite threads; not the PostgreSQL server): less
    # disturbed than wall time when something else runs on the machine.
    result["cpu_ms_per_turn"] = round(cpu * 1000 / len(timings.total), 2)
    # Untraced, so free: a per-conversation leak of dicts, locks... would show here.
    objects_after = live_objects()
    grown = objects_after.copy()
    grown.subtract(objects_before)
    result["gc_objects_per_conversation"] = round(
        (objects_after.total() - objects_before.total()) / users, 2
    )
    result["gc_objects_grown"] = {k: v for k, v in grown.most_common(4) if v > 0}
    await h.check_resting(names, "latency")
    return result


async def phase_concurrency(
    h: Harness, steps: list[Step], users: int, sender: str
) -> dict[str, Any]:
    timings = Timings()
    names = [f"{200000 + i}" for i in range(users)]
    walks = [h.walk(name, steps, timings) for name in names]
    if sender == "background":
        async with h.sender_in_background():
            start = time.perf_counter()
            results = await asyncio.gather(*walks, return_exceptions=True)
            seconds = time.perf_counter() - start
    else:
        start = time.perf_counter()
        results = await asyncio.gather(*walks, return_exceptions=True)
        seconds = time.perf_counter() - start
    for name, r in zip(names, results, strict=True):
        if isinstance(r, BaseException):
            h.problems.append(f"concurrency: {name} raised {r!r}")
    result = summary(timings, seconds)
    del result["per_turn"]  # statements of concurrent turns interleave: not attributable
    result["users"] = users
    result["sender"] = sender
    await h.check_resting(names, "concurrency")
    return result


def first_contact(h: Harness, user: str, event_id: str) -> InboundEvent:
    return InboundEvent(h.channel, user, EventKind.TEXT, text="halo", event_id=event_id)


async def phase_redelivery(h: Harness, events: int, races: int) -> dict[str, Any]:
    """Each event twice: the duplicate must queue nothing and add no outbox row."""
    engine = h.engine
    rows_before = await h.count(OutboxMessage)
    processed_before = await h.count(ProcessedEvent)
    dropped_before = _tally().counts["redelivered"]
    first_ms: list[float] = []
    dup_ms: list[float] = []
    first_queued: list[int] = []
    dup_queued = 0
    dup_processed = 0
    for i in range(events):
        event = first_contact(h, f"{300000 + i}", f"{h.tag}:r{i}")
        t0 = time.perf_counter()
        first_queued.append(await engine.handle(event))
        t1 = time.perf_counter()
        queued = await engine.handle(event)
        t2 = time.perf_counter()
        dup_queued += queued
        dup_processed += bool(queued)
        first_ms.append((t1 - t0) * 1000)
        dup_ms.append((t2 - t1) * 1000)
    rows_added = await h.count(OutboxMessage) - rows_before
    per_event = first_queued[0]

    # The same update twice at the same moment (a retry racing the original).
    racing = [first_contact(h, f"{400000 + i}", f"{h.tag}:x{i}") for i in range(races)]
    race_queued = await asyncio.gather(*(engine.handle(e) for e in racing for _ in range(2)))
    race_both = sum(1 for a, b in zip(race_queued[::2], race_queued[1::2], strict=True) if a and b)
    race_rows = await h.count(OutboxMessage) - rows_before - rows_added
    processed_added = await h.count(ProcessedEvent) - processed_before
    dropped = _tally().counts["redelivered"] - dropped_before
    await h.sender.drain()
    h.inbox.clear()

    expected_rows = events * per_event
    ok = (
        per_event > 0
        and all(q == per_event for q in first_queued)
        and dup_queued == 0
        and race_both == 0
        and rows_added == expected_rows
        and race_rows == races * per_event
        and sum(race_queued) == races * per_event
        and processed_added == events + races
        and dropped == events + races
    )
    if not ok:
        h.problems.append(
            f"redelivery: rows added {rows_added} (expected {expected_rows}), duplicates queued "
            f"{dup_queued}, racing pairs both processed {race_both}, added {race_rows} rows "
            f"(expected {races * per_event}), "
            f"processed_events +{processed_added}, dropped {dropped}"
        )
    return {
        "events": events,
        "racing_pairs": races,
        "outbox_rows_added": rows_added,
        "outbox_rows_expected": expected_rows,
        "duplicates_processed": dup_processed + race_both,
        "first_p50_ms": round(pct(first_ms, 50), 2),
        "dup_p50_ms": round(pct(dup_ms, 50), 2),
        "dup_p95_ms": round(pct(dup_ms, 95), 2),
        "dup_mean_ms": round(sum(dup_ms) / len(dup_ms), 2),
    }


PROJECT_CODE = tuple(str(ROOT / d) + "/" for d in ("bot", "nlu", "scheduler"))


async def phase_memory(h: Harness, steps: list[Step], users: int) -> dict[str, Any]:
    """Python memory still allocated after ``users`` more conversations went idle.

    Traced in two halves: what grows with every conversation grows in both; caches warming
    up (SQLAlchemy's, the sqlite3 statement cache, asyncpg's prepared statements, re's,
    CPython's method cache) grow once. Allocations made in the project's own code (bot/,
    nlu/, scheduler/) are counted apart: that is where a per-conversation leak would sit.
    """
    half = max(1, users // 2)
    gc.collect()
    tracemalloc.start(1)
    try:
        for i in range(3):  # warm-up under tracing (tracing is slow: about 3x)
            await h.walk(f"{500000 + i}", steps, Timings())
        snapshots = []
        for window in range(2):
            gc.collect()
            snapshots.append(tracemalloc.take_snapshot())
            for i in range(half):
                await h.walk(f"{510000 + window * half + i}", steps, Timings())
        gc.collect()
        snapshots.append(tracemalloc.take_snapshot())
    finally:
        tracemalloc.stop()
    ignore = [
        tracemalloc.Filter(False, tracemalloc.__file__),
        tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
        tracemalloc.Filter(False, "<unknown>"),
    ]
    first, mid, last = (snap.filter_traces(ignore) for snap in snapshots)
    stats = last.compare_to(first, "lineno")
    growth = sum(s.size_diff for s in stats)
    project = sum(s.size_diff for s in stats if s.traceback[0].filename.startswith(PROJECT_CODE))
    halves = [
        sum(s.size_diff for s in after.compare_to(before, "lineno"))
        for before, after in ((first, mid), (mid, last))
    ]
    top = [
        f"{s.traceback[0].filename.removeprefix(str(ROOT) + '/').split('site-packages/')[-1]}"
        f":{s.traceback[0].lineno} {s.size_diff:+d} B"
        for s in sorted(stats, key=lambda s: -s.size_diff)[:4]
        if s.size_diff > 0
    ]
    return {
        "users": 2 * half,
        "python_growth_bytes": growth,
        "bytes_per_idle_conversation": round(growth / (2 * half), 1),
        "per_conversation_by_half": [round(g / half, 1) for g in halves],
        "project_bytes_per_idle_conversation": round(project / (2 * half), 1),
        "top_growth": top,
        "engine_locks_after": len(h.engine.locks),
        "undelivered_in_harness": sum(len(v) for v in h.inbox.values()),
    }


# -- databases -----------------------------------------------------------------------------


async def _pg(sql: str, *, fetch: bool = False) -> Any:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        return await conn.fetchval(sql) if fetch else await conn.execute(sql)
    finally:
        await conn.close()


async def _pg_version() -> str:
    return str(await _pg("SHOW server_version", fetch=True))


@asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """The URL of a fresh database (a temporary SQLite file, or a throw-away PostgreSQL
    database), removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="jkp_bench_") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return
    name = f"jkp_bench_{uuid.uuid4().hex[:12]}"
    await _pg(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        await _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_TALLY: list[Tally] = []


def _tally() -> Tally:
    if not _TALLY:
        tally = Tally()
        logging.getLogger().addHandler(tally)
        logging.getLogger().setLevel(logging.WARNING)
        logging.getLogger("bot").setLevel(logging.INFO)
        logging.getLogger("scheduler").setLevel(logging.INFO)
        _TALLY.append(tally)
    return _TALLY[0]


async def timed(label: str, kind: str, phase: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    start = time.perf_counter()
    result = await phase
    print(f"  {kind:8} {label:12} done in {time.perf_counter() - start:5.1f}s", flush=True)
    return result


async def run_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    tally = _tally()
    steps = load_steps()
    clock = FrozenClock()  # 2 June 2025, 10:00 WIB
    try:
        version = sqlite3.sqlite_version if kind == "sqlite" else await _pg_version()
    except Exception as e:
        return {"db": kind, "skipped": f"{type(e).__name__}: {e}"}
    result: dict[str, Any] = {"db": kind, "server_version": version}
    result["load_before"] = round(os.getloadavg()[0], 2)
    async with database(kind) as url:
        settings = replace(Settings(), database_url=url)
        if "evidence" in {f.name for f in fields(Settings)}:  # evidence photos (unused here)
            files = tempfile.mkdtemp(prefix="jkp-bench-files-")
            settings = replace(settings, evidence=replace(settings.evidence, directory=files))
        if "encryption_keys" in {f.name for f in fields(Settings)}:
            # State and outbox bodies are encrypted at rest (bot/storage/crypto.py).
            settings = replace(settings, encryption_keys=Fernet.generate_key().decode())
        app = await build_app(settings, clock=clock)
        try:
            h = Harness(app, args.channel)
            pool = app.db.engine.pool
            result["pool"] = f"{type(pool).__name__} size={getattr(pool, 'size', lambda: '?')()}"
            for i in range(3):  # warm-up: connections, statement caches, imports
                await h.walk(f"{900000 + i}", steps, Timings())
            result["latency"] = await timed("latency", kind, phase_latency(h, steps, args.users))
            result["concurrency"] = await timed(
                "concurrency", kind, phase_concurrency(h, steps, args.concurrency, args.sender)
            )
            result["redelivery"] = await timed(
                "redelivery", kind, phase_redelivery(h, args.events, args.racing)
            )
            result["peak_rss_mb"] = peak_rss_mb()
            result["memory"] = await timed(
                "memory", kind, phase_memory(h, steps, args.memory_users)
            )
            if result["memory"]["engine_locks_after"]:
                h.problems.append(
                    f"engine.locks holds {result['memory']['engine_locks_after']} locks when idle"
                )
            result["problems"] = h.problems
        finally:
            await app.close()
    result["log_counts"] = dict(tally.counts)
    result["log_samples"] = tally.samples
    return result


# -- the parent: one child per database, then the table ------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "load_1min": round(os.getloadavg()[0], 2),
    }


def table(results: list[dict[str, Any]], concurrency: int) -> str:
    head = (
        "| DB | turn p50 | p95 | p99 | max | turns/s (1 user) "
        f"| turns/s ({concurrency} users) | p95 ({concurrency} users) "
        "| duplicate cost | duplicates processed | peak RSS | Python memory per idle conversation "
        "| locks when idle |"
    )
    rows = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in results:
        if "skipped" in r:
            rows.append(f"| {r['db']} | skipped: {r['skipped']} |")
            continue
        lat, con, red, mem = r["latency"], r["concurrency"], r["redelivery"], r["memory"]
        rows.append(
            f"| {r['db']} {r['server_version']} | {lat['p50_ms']:.1f} ms | {lat['p95_ms']:.1f} ms "
            f"| {lat['p99_ms']:.1f} ms | {lat['max_ms']:.1f} ms | {lat['turns_per_s']:.0f} "
            f"| {con['turns_per_s']:.0f} | {con['p95_ms']:.1f} ms | {red['dup_p50_ms']:.2f} ms "
            f"| {red['duplicates_processed']} / {red['events'] + red['racing_pairs']} "
            f"| {r['peak_rss_mb']:.0f} MB | {mem['bytes_per_idle_conversation'] / 1024:+.1f} KB "
            f"({mem['project_bytes_per_idle_conversation']:+.0f} B from project code) "
            f"| {mem['engine_locks_after']} |"
        )
    return "\n".join(rows)


def details(r: dict[str, Any]) -> str:
    lat, con, red, mem = r["latency"], r["concurrency"], r["redelivery"], r["memory"]
    sql = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in lat["per_turn"].items())
    return "\n".join(
        [
            f"{r['db']}: pool {r['pool']}; load average before {r['load_before']}",
            f"  latency     {lat['turns']} turns: handle p50 {lat['handle_p50_ms']} / p95 "
            f"{lat['handle_p95_ms']} ms, drain p50 {lat['drain_p50_ms']} / p95 "
            f"{lat['drain_p95_ms']} ms; this process's CPU {lat['cpu_ms_per_turn']} ms per turn",
            f"              p50 of the first tenth of the turns {lat['first_tenth_p50_ms']} ms, "
            f"of the last tenth {lat['last_tenth_p50_ms']} ms",
            f"              per turn: {sql}",
            f"              live objects after the walks: {lat['gc_objects_per_conversation']:+} "
            f"per conversation (largest growth: {lat['gc_objects_grown'] or '-'})",
            f"  concurrency {con['turns']} turns in {con['seconds']} s ({con['sender']} sender): "
            f"p50 {con['p50_ms']}, p99 {con['p99_ms']}, max {con['max_ms']} ms; handle p95 "
            f"{con['handle_p95_ms']}, until delivered p95 {con['drain_p95_ms']} ms",
            f"  redelivery  first contact p50 {red['first_p50_ms']} ms, duplicate p50 "
            f"{red['dup_p50_ms']} / p95 {red['dup_p95_ms']} ms; outbox rows "
            f"{red['outbox_rows_added']} (expected {red['outbox_rows_expected']})",
            f"  memory      {mem['users']} more conversations grew Python memory by "
            f"{mem['python_growth_bytes']} B (per conversation, by half: "
            f"{mem['per_conversation_by_half']} B; in bot/, nlu/, scheduler/: "
            f"{mem['project_bytes_per_idle_conversation']} B)",
            f"              largest: {'; '.join(mem['top_growth']) or '-'}",
            f"  logs        {r['log_counts']}",
            *(f"    {s}" for s in r["log_samples"]),
        ]
    )


def child(args: argparse.Namespace) -> int:
    result = asyncio.run(run_database(args.db, args))
    Path(args.child_result).write_text(json.dumps(result), encoding="utf-8")
    if "skipped" in result:
        print(f"{args.db}: skipped ({result['skipped']})", flush=True)
        return 0
    for problem in result["problems"]:
        print(f"FAIL {args.db}: {problem}", flush=True)
    return 1 if result["problems"] else 0


def parent(args: argparse.Namespace) -> int:
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    info = machine()
    print(
        f"bench_engine: {args.users} users sequential, {args.concurrency} concurrent, "
        f"{args.events} redeliveries, channel {args.channel}; {info['nproc']} CPUs "
        f"({info['cpu']}), Python {info['python']}",
        flush=True,
    )
    if info["load_1min"] > 1.0:
        print(
            f"note: 1-minute load average {info['load_1min']} before starting: something else is "
            "using the CPUs, the timings will be inflated",
            flush=True,
        )
    results: list[dict[str, Any]] = []
    status = 0
    start = time.perf_counter()
    for kind in kinds:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            cmd = [sys.executable, __file__, *_forward(args), "--db", kind,
                   "--child-result", out.name]  # fmt: skip
            code = subprocess.run(cmd, check=False).returncode
            text = Path(out.name).read_text(encoding="utf-8")
        if not text:
            print(f"FAIL {kind}: the benchmark crashed (exit {code})", flush=True)
            status = 1
            continue
        results.append(json.loads(text))
        status = status or code
    ran = [r for r in results if "skipped" not in r]
    print()
    for r in ran:
        print(details(r))
    print()
    print(table(results, args.concurrency))
    pg = next((r["server_version"] for r in ran if r["db"] == "postgres"), "not run")
    print(
        f"\nMachine: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, "
        f"SQLite {info['sqlite']}, PostgreSQL {pg}; {info['platform']}"
    )
    print(f"Total time {time.perf_counter() - start:.0f} s")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"machine": info, "args": vars(args), "results": results}, indent=2),
            encoding="utf-8",
        )
    if status:
        print("FAIL: see the lines above", flush=True)
    return status


def _forward(args: argparse.Namespace) -> list[str]:
    return [
        "--users", str(args.users), "--concurrency", str(args.concurrency),
        "--events", str(args.events), "--racing", str(args.racing),
        "--memory-users", str(args.memory_users), "--channel", args.channel,
        "--sender", args.sender,
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--users", type=int, default=50, help="users walked one after another")
    p.add_argument("--concurrency", type=int, default=50, help="users walking at once")
    p.add_argument("--events", type=int, default=300, help="events fed twice, in turn")
    p.add_argument("--racing", type=int, default=100, help="events fed twice at once")
    p.add_argument("--memory-users", type=int, default=20, help="conversations traced")
    p.add_argument("--channel", choices=["telegram", "console"], default="telegram")
    p.add_argument(
        "--sender",
        choices=["background", "inline"],
        default="background",
        help="concurrency phase: one sender task woken by the engine (as on Telegram), or "
        "every turn drains the outbox itself (as the console does)",
    )
    p.add_argument("--json", help="write all results to this file")
    p.add_argument("--child-result", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child_result:
        return child(args)
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
