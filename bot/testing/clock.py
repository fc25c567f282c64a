"""A frozen clock for tests and transcripts: time moves only when told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FrozenClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2025, 6, 2, 3, 0, tzinfo=UTC)  # 10:00 WIB

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)
