"""Statements of the hot path, built once with bound parameters and kept (issue 15):
building and caching a statement costs about as much as running it, and every turn runs the
same few."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

_BUILT: dict[Hashable, Any] = {}


def prebuilt(key: Hashable, build: Callable[[], Any]) -> Any:
    """The statement kept under ``key`` (name it with the dialect when it depends on one),
    built by ``build`` the first time."""
    if (stmt := _BUILT.get(key)) is None:
        stmt = _BUILT[key] = build()
    return stmt
