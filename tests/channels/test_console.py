"""`jkp-bot console` as a user scripts it: one message per line on stdin, replies on stdout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def console(lines: list[str], db: Path) -> str:
    """Replies on stdout; logs go to stderr, and neither may hold a traceback."""
    exe = shutil.which("jkp-bot")
    cmd = [exe, "console"] if exe else [sys.executable, "-m", "bot.cli", "console"]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    done = subprocess.run(
        cmd, input="\n".join(lines) + "\n", env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    for stream in (done.stdout, done.stderr):
        assert "Traceback" not in stream, stream
    return done.stdout


def test_scripted_console_walks_and_resumes(tmp_path: Path) -> None:
    db = tmp_path / "jkp.sqlite3"
    out = console(["halo", "1", "1", "1", "1", "2"], db)
    assert "UU 27/2022" in out
    assert "1. Setuju" in out
    assert "Tanggal berapa Anda di-PHK?" in out
    assert out.rstrip().endswith("BANTUAN = petunjuk)")

    # A new process on the same database continues at the same question.
    out = console(["/start", "tgl 31 februari 2025", "15-03-2025"], db)
    blocks = out.split("\n\n")
    assert blocks[0].startswith("Selamat datang kembali")
    assert "Tanggal berapa Anda di-PHK?" in blocks[1]
    assert "tidak ada di kalender" in out
    assert "Pengadilan Hubungan Industrial" in out


def test_console_survives_junk(tmp_path: Path) -> None:
    junk = ["🙂🙂🙂", "x" * 5000, "\t", "'; DROP TABLE users; --", "99", "0"]
    out = console(junk, tmp_path / "jkp.sqlite3")  # no traceback on stdout or stderr
    assert out.count("Apakah Anda setuju") >= 5
