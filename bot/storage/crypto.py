"""Encryption at rest of everything a person told us (UU 27/2022 Pasal 35: the controller
protects personal data; the profile holds health data — disability — and a face photo's
reference, both specific data under Pasal 4).

Conversation state and outbox bodies are stored as ``{"enc": "f1", "data": <Fernet token>}``
inside their JSON columns. ``DATA_ENCRYPTION_KEY`` holds one or more Fernet keys separated by
commas: the first encrypts, all decrypt (rotation: put the new key first, keep the old one
until every row has been rewritten). A row written before encryption (a plain JSON object) is
still read, and is encrypted when next saved. Files (evidence photos, bot/evidence/files.py)
are sealed whole with the same keys (:meth:`Cipher.seal_bytes`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import tempfile
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import JSON, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

MARK = "f1"
TEXT_MARK = "f1:"
log = logging.getLogger(__name__)


class EncryptionKeyError(RuntimeError):
    """No usable key: the message says what to set."""


class Cipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise EncryptionKeyError("no encryption key")
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys])
            self._primary = base64.urlsafe_b64decode(keys[0].strip().encode())
        except (ValueError, TypeError) as e:
            raise EncryptionKeyError(
                "DATA_ENCRYPTION_KEY must be Fernet keys (44 characters, URL-safe base64), "
                'comma-separated; make one with: python -c "from cryptography.fernet import '
                'Fernet; print(Fernet.generate_key().decode())"'
            ) from e

    def seal(self, value: Any) -> dict[str, str]:
        token = self._fernet.encrypt(json.dumps(value, separators=(",", ":")).encode())
        return {"enc": MARK, "data": token.decode()}

    def seal_text(self, value: str) -> str:
        return TEXT_MARK + self._fernet.encrypt(value.encode()).decode()

    def open_text(self, stored: str) -> str:
        if not stored.startswith(TEXT_MARK):
            return stored  # written before encryption
        try:
            return self._fernet.decrypt(stored[len(TEXT_MARK) :].encode()).decode()
        except InvalidToken as e:
            message = "stored data cannot be decrypted with DATA_ENCRYPTION_KEY"
            raise EncryptionKeyError(message) from e

    def seal_bytes(self, value: bytes) -> bytes:
        return self._fernet.encrypt(value)

    def open_bytes(self, stored: bytes) -> bytes:
        try:
            return self._fernet.decrypt(stored)
        except InvalidToken as e:
            message = "stored data cannot be decrypted with DATA_ENCRYPTION_KEY"
            raise EncryptionKeyError(message) from e

    def open(self, stored: Any) -> Any:
        if isinstance(stored, dict) and stored.get("enc") == MARK:
            try:
                return json.loads(self._fernet.decrypt(stored["data"].encode()))
            except InvalidToken as e:
                message = "stored data cannot be decrypted with DATA_ENCRYPTION_KEY"
                raise EncryptionKeyError(message) from e
        return stored  # written before encryption was introduced

    def rotate_bytes(self, token: bytes) -> bytes:
        """The same content sealed again with the first key (for ``jkp-bot rekey``)."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as e:
            message = "stored data cannot be decrypted with DATA_ENCRYPTION_KEY"
            raise EncryptionKeyError(message) from e

    def derive_key(self, purpose: str) -> bytes:
        """A 32-byte key for ``purpose`` (e.g. naming files by a keyed hash), derived from the
        first key with HKDF-SHA256: unknown without the key, different per purpose."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
        return hkdf.derive(self._primary)


_cipher: Cipher | None = None
_pepper: bytes | None = None


def configure(cipher: Cipher) -> None:
    global _cipher
    _cipher = cipher


def configure_pepper(pepper: bytes) -> None:
    """The secret of the address hashes (kept in ``app_secrets``, encrypted)."""
    global _pepper
    _pepper = pepper


def new_key() -> str:
    """A fresh Fernet key (tests, key generation)."""
    return Fernet.generate_key().decode()


def new_pepper() -> str:
    return secrets.token_hex(32)


def address_hash(channel: str, address: str) -> str:
    """The keyed hash an address is looked up by: HMAC-SHA256(pepper, "channel:address")."""
    if _pepper is None:
        raise EncryptionKeyError("the address pepper is not loaded (bot.storage.secrets)")
    digest = hmac.new(_pepper, f"{channel}:{address}".encode(), hashlib.sha256)
    return digest.hexdigest()


def current() -> Cipher:
    if _cipher is None:
        raise EncryptionKeyError("encryption is not configured (bot.storage.crypto.configure)")
    return _cipher


def key_file_for(database_url: str) -> Path | None:
    """For a SQLite file, the key file beside it; None for a server database."""
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.split(":///", 1)[-1]
    return None if path in ("", ":memory:") else Path(path + ".key")


def _holds_data(database: Path) -> bool:
    """Whether a SQLite file already holds rows that were encrypted with some key."""
    import sqlite3

    if not database.exists() or database.stat().st_size == 0:
        return False
    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    except sqlite3.Error:
        return True  # unreadable: do not guess, do not make a new key
    try:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        for table in ("conversations", "outbox", "identities", "users"):
            if table in tables and conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
                return True
        return False
    except sqlite3.Error:
        return True
    finally:
        conn.close()


def load_keys(env_value: str, database_url: str) -> list[str]:
    """The keys from DATA_ENCRYPTION_KEY; for a SQLite file without it, a key file beside
    the database (created once, readable by its owner only). A server database must be given
    a key: a key file on an application server is too easy to lose with the container.

    A database that already holds data but whose key file is gone is refused: a new key
    could read none of it, and every user would get an apology forever.
    """
    keys = [k for k in env_value.split(",") if k.strip()]
    if keys:
        return keys
    key_file = key_file_for(database_url)
    if key_file is None:
        if database_url.startswith("sqlite"):
            return [Fernet.generate_key().decode()]  # in-memory database: a key per process
        raise EncryptionKeyError(
            "DATA_ENCRYPTION_KEY must be set when DATABASE_URL is not a SQLite file; make one "
            'with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"'
        )
    database = key_file.with_name(key_file.name.removesuffix(".key"))
    if not key_file.exists():
        if _holds_data(database):
            raise EncryptionKeyError(
                f"the database {database} holds encrypted data but its key file {key_file} "
                "is missing. Restore the key file from your backup (or put the key in "
                "DATA_ENCRYPTION_KEY); without it nothing stored can be read. To start "
                "afresh instead, move the database file away."
            )
        # Written whole, then linked into place: two processes starting together agree on
        # one key, and nobody ever reads a half-written file.
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=key_file.parent, prefix=".key-")
        try:
            with os.fdopen(fd, "w") as f:  # mkstemp creates it readable by its owner only
                f.write(Fernet.generate_key().decode())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, key_file)
        finally:
            os.unlink(tmp)
    elif key_file.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "the key file %s can be read by other users of this machine; "
            "restrict it with: chmod 600 %s",
            key_file,
            key_file,
        )
    return [key_file.read_text().strip()]


class EncryptedText(TypeDecorator[str]):
    """A text column whose value is encrypted with the configured key ("f1:<token>")."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else current().seal_text(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else current().open_text(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON column whose value is encrypted with the configured key."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else current().seal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else current().open(value)
