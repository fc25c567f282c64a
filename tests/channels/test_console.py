"""`jkp-bot console` as a user scripts it: one message per line on stdin, replies on stdout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def console(lines: list[str], db: Path) -> str:
    exe = shutil.which("jkp-bot")
    cmd = [exe, "console"] if exe else [sys.executable, "-m", "bot.cli", "console"]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    done = subprocess.run(
        cmd, input="\n".join(lines) + "\n", env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
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
    out = console(junk, tmp_path / "jkp.sqlite3")
    assert "Traceback" not in out
    assert out.count("Apakah Anda setuju") >= 5


def test_console_takes_a_photo_as_a_typed_path(tmp_path: Path) -> None:
    from bot.testing.images import photo

    picture = tmp_path / "bukti lamaran.jpg"
    picture.write_bytes(photo(1, gps=True))
    db = tmp_path / "jkp.sqlite3"
    steps = ["halo", "1", "5", "belum tahu", "1", "1", "PT Sinar Jaya", "kemarin",
             str(tmp_path / "tidak-ada.jpg"), f"'{picture}'", "1"]  # fmt: skip
    out = console(steps, db)
    assert "ketik alamat file foto buktinya" in out
    assert "File itu tidak saya temukan" in out  # a path that is not there
    assert "Foto diterima (1 foto)" in out  # quotes as a terminal drops them, and a space
    assert "Tercatat: bukti lamaran ke PT Sinar Jaya" in out and "1 foto" in out
    stored = [p for p in (tmp_path / "jkp.sqlite3.files").rglob("*") if p.is_file()]
    assert len(stored) == 1  # beside the database, encrypted: no JPEG, no location
    assert not stored[0].read_bytes().startswith(b"\xff\xd8")
