"""How the engine answers what dialogs ask and carries out what they want done.

Each feature registers, for its query and effect types, a handler that does the I/O:
``services.on_query(RegistrationQuery)(handler)``. The engine answers queries and applies
effects in the turn's one transaction (a slow query, ``Query.slow``, is answered before it on
a read-only connection). Dialogs never see this module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.types import Effect, Query

AfterCommit = Callable[[], Awaitable[None]]


@dataclass
class Scope:
    """Whose turn it is, for a handler: the person (None before first contact), the
    identity the turn came through, the time, and work to do once the turn is committed
    (deleting files after HAPUS, waking a sender)."""

    person_id: int | None
    identity_id: int | None
    channel: str
    now: datetime
    after_commit: list[AfterCommit] = field(default_factory=list)


QueryHandler = Callable[[AsyncConnection, Scope, Any], Awaitable[Any]]
EffectHandler = Callable[[AsyncConnection, Scope, Any], Awaitable[None]]
# Called before a person is deleted (HAPUS, retention), in the same transaction: a feature
# removes what the foreign keys do not (files on disk, via ``scope.after_commit``).
Deleter = Callable[[AsyncConnection, Scope, int], Awaitable[None]]
H = TypeVar("H", bound=Callable[..., Awaitable[Any]])


class UnknownRequest(LookupError):
    """A query or effect nobody registered a handler for (a programming error)."""


class Services:
    def __init__(self) -> None:
        self.queries: dict[type, QueryHandler] = {}
        self.effects: dict[type, EffectHandler] = {}
        self.deleters: list[Deleter] = []

    def on_query(self, kind: type[Query[Any]]) -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.queries[kind] = handler
            return handler

        return register

    def on_effect(self, kind: type[Effect]) -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.effects[kind] = handler
            return handler

        return register

    def on_delete(self, handler: Deleter) -> Deleter:
        self.deleters.append(handler)
        return handler

    async def answer(self, conn: AsyncConnection, scope: Scope, query: Query[Any]) -> Any:
        handler = self.queries.get(type(query))
        if handler is None:
            raise UnknownRequest(f"no handler answers {type(query).__name__}")
        return await handler(conn, scope, query)

    async def apply(self, conn: AsyncConnection, scope: Scope, effect: Effect) -> None:
        handler = self.effects.get(type(effect))
        if handler is None:
            raise UnknownRequest(f"no handler applies {type(effect).__name__}")
        await handler(conn, scope, effect)
