"""`jkp-bot rekey`: rewrite every encrypted value with the first key (after a rotation).

Every column of an ``Encrypted*`` type, in every table, is read (any configured key decrypts)
and written back (the first key encrypts), in batches of short transactions.
"""

from __future__ import annotations

from sqlalchemy import Table, select, tuple_, update

from bot.storage.crypto import EncryptedJSON, EncryptedText
from bot.storage.db import Database
from bot.storage.models import Base

BATCH = 500


def encrypted_columns() -> list[tuple[Table, list[str]]]:
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [
            c.name for c in table.columns if isinstance(c.type, EncryptedJSON | EncryptedText)
        ]
        if columns:
            found.append((table, columns))
    return found


async def reencrypt_all(db: Database, batch: int = BATCH) -> int:
    """Rewrite every encrypted value; returns how many rows were rewritten."""
    count = 0
    for table, columns in encrypted_columns():
        keys = list(table.primary_key.columns)
        last: tuple[object, ...] | None = None
        while True:
            async with db.write() as conn:
                stmt = select(*keys, *(table.c[c] for c in columns)).order_by(*keys).limit(batch)
                if last is not None:
                    stmt = stmt.where(tuple_(*keys) > tuple_(*last))
                rows = (await conn.execute(stmt)).all()
                for row in rows:
                    ident = tuple(row[: len(keys)])
                    values = {c: row[len(keys) + i] for i, c in enumerate(columns)}
                    where = [k == v for k, v in zip(keys, ident, strict=True)]
                    await conn.execute(update(table).where(*where).values(**values))
            count += len(rows)
            if len(rows) < batch:
                break
            last = tuple(rows[-1][: len(keys)])
    return count
