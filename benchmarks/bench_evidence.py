"""Benchmark evidence photos and the pure rules they feed: what one upload costs.

    python benchmarks/bench_evidence.py [--repeat N] [--json out.json]

1. import: ``import bot.evidence.files`` in a fresh interpreter that has imported aiogram
   (as the bot has): Pillow, imagehash with numpy/scipy, pillow-heif; time and peak RSS;
2. prepare: :func:`prepare_image` (decode, turn upright, scale, re-encode without metadata,
   sha256, pHash) on a Telegram-sized photo (1280x960 JPEG), a 12 MP and a 48 MP camera
   JPEG sent as a file, a 1080x2400 PNG screenshot and a 12 MP HEIC; median of --repeat
   runs, peak RSS of a child process per size;
3. download: the same 12 MP JPEG through the fake Bot API over loopback (getFile + stream to
   disk), median; the bomb refusal (a 900 MP PNG) time;
4. store: ``EvidenceStore.put`` and ``read`` (Fernet, fsync) of the prepared 12 MP photo;
5. rules: ``placement_deadline`` (cached holiday sets) and ``month_progress`` over a month of
   60 applications and 20 pieces of evidence, per call.

A script, not a test: it checks that every photo is accepted and the bomb refused, never time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES: dict[str, tuple[str, tuple[int, int]]] = {
    "telegram photo 1280x960 JPEG": ("JPEG", (1280, 960)),
    "camera 12 MP JPEG (4000x3000)": ("JPEG", (4000, 3000)),
    "camera 48 MP JPEG (8000x6000)": ("JPEG", (8000, 6000)),
    "screenshot 1080x2400 PNG": ("PNG", (1080, 2400)),
    "iPhone 12 MP HEIC (4032x3024)": ("HEIF", (4032, 3024)),
}


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def make_file(directory: Path, fmt: str, size: tuple[int, int]) -> Path:
    from bot.testing.images import photo

    path = directory / f"{size[0]}x{size[1]}.{fmt.lower()}"
    if not path.exists():
        path.write_bytes(photo(1, size, fmt, gps=True))
    return path


def peak_rss_mb() -> float:
    """VmHWM: unlike ru_maxrss, it starts again at exec (ru_maxrss keeps the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_prepare(path: str) -> None:
    """Run in a child: prepare one file, print the peak RSS (MB) before and after."""
    from bot.evidence.config import EvidenceSettings
    from bot.evidence.files import prepare_image

    before = peak_rss_mb()
    prepare_image(Path(path), EvidenceSettings())
    print(json.dumps({"peak_mb": peak_rss_mb(), "import_peak_mb": before}))


def import_cost() -> dict[str, float]:
    code = (
        "import time; import aiogram; t = time.perf_counter(); import bot.evidence.files; "
        "import pathlib; hwm = [l for l in pathlib.Path('/proc/self/status').read_text()"
        ".splitlines() if l.startswith('VmHWM:')][0].split()[1]; "
        "print(time.perf_counter() - t, hwm)"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
        ).stdout.split()
        for _ in range(3)
    ]
    return {
        "import_ms": statistics.median(float(r[0]) * 1000 for r in runs),
        "rss_after_import_mb": statistics.median(float(r[1]) / 1024 for r in runs),
    }


async def download_and_store(path: Path, repeat: int) -> dict[str, float]:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from cryptography.fernet import Fernet

    from bot.evidence.config import EvidenceSettings
    from bot.evidence.files import (
        EvidenceRefused,
        EvidenceStore,
        download_telegram_file,
        prepare_image,
    )
    from bot.storage.crypto import Cipher
    from bot.testing.fake_bot_api import FakeBotAPI
    from bot.testing.images import png_bomb

    settings = EvidenceSettings()
    data = path.read_bytes()  # noqa: ASYNC240 - a benchmark's setup
    out: dict[str, float] = {"download_bytes": len(data)}
    with tempfile.TemporaryDirectory() as tmp:
        cipher = Cipher([Fernet.generate_key().decode()])
        store = EvidenceStore(Path(tmp) / "ev", lambda: cipher)
        async with FakeBotAPI() as api:
            session = AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))
            bot = Bot(api.token, session=session)
            fake = api.add_file(data)
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                got = await download_telegram_file(bot, fake.file_id, store.tmp_dir, settings)
                times.append((time.perf_counter() - start) * 1000)
                got.unlink()
            out["download_ms"] = statistics.median(times)
            await session.close()
        image = prepare_image(path, settings)
        puts, reads = [], []
        for i in range(repeat):
            start = time.perf_counter()
            stored = await store.put(f"person-{i}", image)
            puts.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            assert await store.read(stored.ref) == image.data
            reads.append((time.perf_counter() - start) * 1000)
        out["stored_bytes"] = len(image.data)
        out["put_ms"] = statistics.median(puts)
        out["read_ms"] = statistics.median(reads)
        bomb = Path(tmp) / "bomb.png"
        bomb.write_bytes(png_bomb(30_000, 30_000))
        start = time.perf_counter()
        try:
            prepare_image(bomb, settings)
        except EvidenceRefused as e:
            assert e.reason.value == "too_many_pixels", e
        else:
            raise SystemExit("FAIL: the bomb was accepted")
        out["bomb_refusal_ms"] = (time.perf_counter() - start) * 1000
    return out


def rules_cost() -> dict[str, float]:
    from bot.rules.config import RuleSettings
    from bot.rules.ledger import (
        CatalogueApplication,
        Evidence,
        EvidenceKind,
        Review,
        benefit_month,
        month_progress,
    )
    from bot.rules.workdays import placement_deadline

    rules = RuleSettings()
    days = [date(2025, 1, 1) + timedelta(days=i) for i in range(730)]
    start = time.perf_counter()
    for day in days:
        placement_deadline(day, rules)
    cold_ms = (time.perf_counter() - start) * 1000  # builds the holiday sets of 2025-2027
    start = time.perf_counter()
    for day in days:
        placement_deadline(day, rules)
    per_deadline_us = (time.perf_counter() - start) / len(days) * 1e6
    month = benefit_month(date(2025, 3, 10), 1)
    apps = [CatalogueApplication(f"PT Perusahaan {i % 40}", month.start + timedelta(days=i % 30))
            for i in range(60)]  # fmt: skip
    evidence = [
        Evidence(EvidenceKind(("application", "invitation")[i % 2]), f"CV Usaha {i}",
                 month.start + timedelta(days=i), Review(("pending", "accepted")[i % 2]))
        for i in range(20)
    ]  # fmt: skip
    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        month_progress(apps, evidence, month, month.start + timedelta(days=10), rules)
    return {
        "placement_deadline_us": per_deadline_us,
        "placement_deadline_cold_ms": cold_ms,
        "month_progress_us": (time.perf_counter() - start) / n * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_prepare(args.child)
        return

    from bot.evidence.config import EvidenceSettings
    from bot.evidence.files import prepare_image

    results: dict[str, Any] = {"machine": f"{platform.machine()}, {os.cpu_count()} cores",
                               "python": platform.python_version()}  # fmt: skip
    results.update(import_cost())
    prepare: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, (fmt, size) in SIZES.items():
            path = make_file(Path(tmp), fmt, size)
            image = prepare_image(path, EvidenceSettings())  # warm up, and check it passes
            child = subprocess.run([sys.executable, __file__, "--child", str(path)],
                                   capture_output=True, text=True, check=True)  # fmt: skip
            peak = json.loads(child.stdout)
            prepare[label] = {
                "file_kb": path.stat().st_size / 1024,
                "stored_kb": len(image.data) / 1024,
                "median_ms": median_ms(
                    lambda p=path: prepare_image(p, EvidenceSettings()), args.repeat
                ),
                "peak_rss_mb": peak["peak_mb"],
                "rss_before_mb": peak["import_peak_mb"],
            }
        results["prepare"] = prepare
        twelve = make_file(Path(tmp), "JPEG", (4000, 3000))
        results["io"] = asyncio.run(download_and_store(twelve, args.repeat))
    results["rules"] = rules_cost()

    print(f"import bot.evidence.files (aiogram already imported): {results['import_ms']:.0f} ms, "
          f"peak RSS {results['rss_after_import_mb']:.0f} MB")  # fmt: skip
    print("| photo | file | stored | prepare (median) | peak RSS (before: imports only) |")
    print("|---|---|---|---|---|")
    for label, r in prepare.items():
        print(f"| {label} | {r['file_kb']:.0f} KB | {r['stored_kb']:.0f} KB | "
              f"{r['median_ms']:.0f} ms | {r['peak_rss_mb']:.0f} MB "
              f"({r['rss_before_mb']:.0f}) |")  # fmt: skip
    io = results["io"]
    print(f"download 12 MP JPEG ({io['download_bytes'] / 1024:.0f} KB) over loopback: "
          f"{io['download_ms']:.1f} ms; put {io['put_ms']:.1f} ms, read {io['read_ms']:.1f} ms "
          f"({io['stored_bytes'] / 1024:.0f} KB stored); 900 MP bomb refused in "
          f"{io['bomb_refusal_ms']:.1f} ms")  # fmt: skip
    r = results["rules"]
    print(f"placement_deadline: {r['placement_deadline_us']:.1f} us/call (the first 730 "
          f"calls, building the holiday sets: {r['placement_deadline_cold_ms']:.0f} ms); "
          "month_progress "
          f"(60 applications, 20 evidence): {r['month_progress_us']:.0f} us/call")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
