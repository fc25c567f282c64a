"""The sender's token buckets: a clock with microseconds (a datetime, as the tests and the
frozen clock have) must not leave a sliver of a token unpaid for ever, and the global bucket
saves up a tenth of a second, not a whole one (25 at once would go over Telegram's ~30 in a
second)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler.outbox import TokenBucket


def test_a_microsecond_clock_never_leaves_a_token_unpaid() -> None:
    now = [datetime(2025, 6, 2, 8, 0, tzinfo=UTC)]
    bucket = TokenBucket(25, 2.5, lambda: now[0].timestamp())
    taken = waits = 0
    while taken < 100 and waits < 10_000:  # bounded: a stuck bucket fails, not hangs
        delay = bucket.delay()
        if delay == 0:
            taken += 1
        else:
            waits += 1
            now[0] += timedelta(seconds=delay)  # what the injected sleep does
    assert taken == 100
    elapsed = (now[0] - datetime(2025, 6, 2, 8, 0, tzinfo=UTC)).total_seconds()
    assert 3.8 <= elapsed <= 4.0  # 2.5 saved up, then 25 a second: (100 - 2.5) / 25 = 3.9


def test_the_global_bucket_saves_up_a_tenth_of_a_second() -> None:
    from scheduler.outbox import OutboxSender

    sender = OutboxSender(None, "telegram", None, lambda: datetime.now(UTC), per_second=25)  # type: ignore[arg-type]
    assert sender.bucket.burst == 2.5
    burst = 0
    while sender.bucket.delay() == 0 and burst < 100:
        burst += 1
    assert burst == 2  # at once after a pause: 2, not 25
