"""Work that happens without a user's message: the outbox sender, later the scheduled sweeps.

Scheduled jobs never send: they write to the outbox with an idempotency key, and the one
sender per channel (:mod:`scheduler.outbox`) delivers within the channel's limits.
"""
