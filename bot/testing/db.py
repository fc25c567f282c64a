"""Reading the database in tests: counts, a person's row, a conversation's stored state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.app import App
from bot.core.services import Scope
from bot.core.types import Effect
from bot.storage import people
from bot.storage.models import Base, Person, table


async def count(app: App, model: type[Base], *where: Any) -> int:
    async with app.db.read() as conn:
        stmt = select(func.count()).select_from(table(model)).where(*where)
        return int(await conn.scalar(stmt) or 0)


async def snapshot(app: App, channel: str, address: str) -> people.Snapshot | None:
    async with app.db.read() as conn:
        return await people.snapshot(conn, channel, address)


async def stored_state(app: App, channel: str, address: str) -> dict[str, Any]:
    """The conversation state as stored (decrypted)."""
    snap = await snapshot(app, channel, address)
    assert snap is not None and snap.state is not None, f"no conversation for {address}"
    return snap.state


async def person_row(app: App, channel: str, address: str) -> Any:
    snap = await snapshot(app, channel, address)
    assert snap is not None, f"nobody at {channel}:{address}"
    P = table(Person)
    async with app.db.read() as conn:
        return (await conn.execute(select(P).where(P.c.id == snap.person.id))).one()


async def apply_effects(app: App, person_id: int, *effects: Effect) -> None:
    """Apply effects for a person as a turn would (one write transaction, then the work
    after commit), without a dialog: a test sets up records directly."""
    scope = Scope(person_id, None, "console", app.engine.clock())
    async with app.db.write() as conn:
        for effect in effects:
            await app.engine.services.apply(conn, scope, effect)
    for hook in scope.after_commit:
        await hook()
