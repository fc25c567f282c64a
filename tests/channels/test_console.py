"""`jkp-bot console` as a user scripts it: one message per line on stdin, replies on stdout;
and as a person leaves it: Ctrl-C ends it at once, Ctrl-D (end of input) too."""

from __future__ import annotations

import os
import pty
import selectors
import shutil
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

HANG = 60  # seconds: only to stop a hung process, never a measure of speed


def _command() -> list[str]:
    exe = shutil.which("jkp-bot")
    return [exe, "console"] if exe else [sys.executable, "-m", "bot.cli", "console"]


def console(lines: list[str], db: Path) -> str:
    """Replies on stdout; logs go to stderr, and neither may hold a traceback."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    done = subprocess.run(
        _command(), input="\n".join(lines) + "\n", env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for stream in (done.stdout, done.stderr):
        assert "Traceback" not in stream, stream
    return done.stdout


def test_scripted_console_walks_and_resumes(tmp_path: Path) -> None:
    db = tmp_path / "jkp.sqlite3"
    phk = (date.today() - timedelta(days=40)).strftime("%d-%m-%Y")  # in the claim window
    # halo, Setuju, Cek kelayakan, PHK yes, employer, WNI yes, under 54 yes, PKWTT
    out = console(["halo", "1", "1", "1", "1", "1", "1", "2"], db)
    assert "UU 27/2022" in out
    assert "1. Setuju" in out
    assert "Tanggal berapa Anda di-PHK?" in out
    footer = "(KEMBALI = ubah jawaban sebelumnya, MENU = menu utama, BANTUAN = petunjuk)"
    assert out.count(footer) == 1  # once, when the check opened; not under every question
    assert "1. Ya, saya kena PHK\n2. Tidak\n3. Tidak tahu\n\n" + footer in out

    # A new process on the same database continues at the same question.
    out = console(["/start", "tgl 31 februari 2025", phk], db)
    blocks = out.split("\n\n")
    assert blocks[0].startswith("Selamat datang kembali")
    assert "Tanggal berapa Anda di-PHK?" in blocks[1]
    assert "tidak ada di kalender" in out
    assert "Pengadilan Hubungan Industrial" in out


def test_the_first_piped_line_is_the_first_message(tmp_path: Path) -> None:
    """README: in piped mode the first line is the person's first message; whatever it
    says, a new conversation answers with the welcome and the consent question."""
    out = console(["1"], tmp_path / "jkp.sqlite3")
    assert out.startswith("Halo, selamat datang di Pendamping JKP.")
    assert "Apakah Anda setuju" in out
    assert "Terima kasih atas kepercayaan Anda" not in out  # "1" did not answer it


def test_console_survives_junk(tmp_path: Path) -> None:
    junk = ["🙂🙂🙂", "x" * 5000, "\t", "'; DROP TABLE users; --", "99", "0"]
    out = console(junk, tmp_path / "jkp.sqlite3")  # no traceback on stdout or stderr
    assert out.count("Apakah Anda setuju") >= 5


def _read_until(proc: subprocess.Popen[bytes], marker: bytes) -> bytes:
    assert proc.stdout is not None
    seen = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while marker not in seen:
            if not sel.select(timeout=HANG):
                pytest.fail(f"no {marker!r} from the console; got {seen!r}")
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                pytest.fail(f"the console ended before {marker!r}; got {seen!r}")
            seen += chunk
    return seen


@pytest.mark.parametrize("leave", ["ctrl-c", "ctrl-d"])
def test_leaving_the_console_ends_it_at_once(tmp_path: Path, leave: str) -> None:
    """At the prompt of a terminal chat (stdin a terminal), Ctrl-C (SIGINT) or Ctrl-D (end
    of input) ends the process; after Ctrl-C it used to wait for one more Enter."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'jkp.sqlite3'}"}
    terminal, tty = pty.openpty()
    proc = subprocess.Popen(
        _command(), stdin=tty, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    os.close(tty)
    try:
        _read_until(proc, b"\n> ")  # greeted, and waiting at the prompt
        if leave == "ctrl-c":
            proc.send_signal(signal.SIGINT)
        else:
            os.write(terminal, b"\x04")  # Ctrl-D at the start of a line: end of input
        try:
            code = proc.wait(timeout=HANG)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the console did not end after {leave}")
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        assert "Traceback" not in stderr, stderr
        assert code == (130 if leave == "ctrl-c" else 0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
        os.close(terminal)


def test_console_takes_a_photo_as_a_typed_path(tmp_path: Path) -> None:
    from bot.testing.images import photo

    picture = tmp_path / "bukti lamaran.jpg"
    picture.write_bytes(photo(1, gps=True))
    db = tmp_path / "jkp.sqlite3"
    steps = ["halo", "1", "6", "belum tahu", "1", "1", "PT Sinar Jaya", "kemarin",
             str(tmp_path / "tidak-ada.jpg"), f"'{picture}'", "1"]  # fmt: skip
    out = console(steps, db)
    assert "ketik alamat file foto buktinya" in out
    assert "File itu tidak saya temukan" in out  # a path that is not there
    assert "Foto diterima (1 foto)" in out  # quotes as a terminal drops them, and a space
    assert "Tercatat: bukti lamaran ke PT Sinar Jaya" in out and "1 foto" in out
    stored = [p for p in (tmp_path / "jkp.sqlite3.files").rglob("*") if p.is_file()]
    assert len(stored) == 1  # beside the database, encrypted: no JPEG, no location
    assert not stored[0].read_bytes().startswith(b"\xff\xd8")
