"""The application's own secrets, kept in the database encrypted with the data key.

The pepper of the address hashes lives here rather than in the environment: rotating the
data key (``jkp-bot rekey``) re-encrypts it and every hash stays valid, and a copy of the
database without the key cannot link a hash to a phone number.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import crypto
from bot.storage.db import Database
from bot.storage.models import AppSecret, table
from bot.storage.people import upsert

PEPPER = "address_pepper"
S = table(AppSecret)


async def ensure_pepper(conn: AsyncConnection) -> str:
    """The pepper, made on first use (two processes starting together agree on one)."""
    await conn.execute(
        upsert(conn, S).values(name=PEPPER, value=crypto.new_pepper()).on_conflict_do_nothing()
    )
    return str((await conn.execute(select(S.c.value).where(S.c.name == PEPPER))).scalar_one())


async def load_pepper(db: Database) -> None:
    async with db.write() as conn:
        pepper = await ensure_pepper(conn)
    crypto.configure_pepper(bytes.fromhex(pepper))
