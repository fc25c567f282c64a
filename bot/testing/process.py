"""The real `jkp-bot` command as a child process, for end-to-end and fault-injection tests.

:class:`BotProcess` starts ``jkp-bot <command>`` with an environment (see :func:`bot_env`),
appends its stdout and stderr to one log file per test, and can stop it as an operator or a
crash would: :meth:`terminate` (SIGTERM, a normal stop), :meth:`kill` (SIGKILL, no warning).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path

from bot.testing.fake_bot_api import FakeBotAPI

TEST_KEY = "vH0cPzM5y2mQk5y7sLwP1oVb0m2n0lq0Yt8Tq3wC6xU="  # a Fernet key for tests only


def command(*args: str) -> list[str]:
    exe = shutil.which("jkp-bot")
    return [exe, *args] if exe else [sys.executable, "-m", "bot.cli", *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_env(url: str) -> dict[str, str]:
    """``DATABASE_URL`` (and the test key, which PostgreSQL needs) for a child process."""
    env = {"DATABASE_URL": url}
    if not url.startswith("sqlite"):
        env["DATA_ENCRYPTION_KEY"] = TEST_KEY
        # the evidence files of a server database: one folder per database, shared by
        # every process of the test
        digest = hashlib.sha256(url.encode()).hexdigest()[:12]
        env["EVIDENCE_DIR"] = str(Path(tempfile.gettempdir()) / f"jkp-evidence-{digest}")
    return env


def process_env(database_url: str, **extra: str) -> dict[str, str]:
    """The parent's environment without the bot's own settings, plus the database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WEBHOOK_", "TELEGRAM_", "DATABASE_URL", "DATA_ENCRYPTION_KEY"))
    }
    env.update(LOG_LEVEL="INFO", **database_env(database_url))
    env.update(extra)
    return env


def bot_env(api: FakeBotAPI, database_url: str, **extra: str) -> dict[str, str]:
    """:func:`process_env` plus the fake Bot API and short leases (a killed sender's claims
    expire quickly)."""
    env = process_env(database_url)
    env.update(
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE=api.base_url,
        OUTBOX_LEASE_SECONDS="5",
        TELEGRAM_CHAT_INTERVAL="0",
    )
    env.update(extra)
    return env


class BotProcess:
    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.env, self.log = env, log
        self.args = args or ("run",)
        self.proc: asyncio.subprocess.Process | None = None
        self._start_offset = 0

    async def start(self) -> None:
        self._start_offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                *command(*self.args), env=self.env, stdout=out, stderr=out
            )

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def kill(self) -> None:
        """SIGKILL: no clean shutdown at all."""
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()

    async def terminate(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        """SIGTERM and wait for the exit code (SIGKILL after ``timeout``, then fail)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise AssertionError(
                f"no exit within {timeout:g}s of SIGTERM:\n{self.output()}"
            ) from None

    async def wait(self, timeout: float = 60.0) -> int:  # noqa: ASYNC109
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def stop(self) -> None:
        """For ``finally`` blocks: make sure nothing is left running."""
        if self.running:
            assert self.proc is not None
            self.proc.kill()
            await self.proc.wait()

    def output(self, *, this_run: bool = False) -> str:
        """Everything logged (or only since the last start)."""
        if not self.log.exists():
            return ""
        data = self.log.read_bytes()
        return (
            data[self._start_offset :].decode(errors="replace")
            if this_run
            else data.decode(errors="replace")
        )

    async def wait_for_log(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:  # noqa: ASYNC109
        """Wait until this run's log matches ``pattern`` (a regular expression)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        regex = re.compile(pattern)
        while True:
            if match := regex.search(self.output(this_run=True)):
                return match
            if not self.running:
                raise AssertionError(f"exited before logging {pattern!r}:\n{self.output()}")
            if loop.time() > deadline:
                raise AssertionError(f"no {pattern!r} within {timeout:g}s:\n{self.output()}")
            await asyncio.sleep(0.1)


def assert_clean_log(*logs: str) -> None:
    """No traceback, no "Unclosed client session": every failure was handled and said."""
    for log in logs:
        assert "Traceback" not in log, log[-4000:]
        assert "Unclosed" not in log, log[-4000:]
