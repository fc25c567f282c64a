"""Career counseling and counselor takeover (issue 11; Pedoman 1.4 items 18-20, 3.6).

- ``model``: pure records, queries and effects; ``desk``: the pure takeover decisions the
  router makes before any dialog; ``hours``: office hours and slots (pure).
- ``store``: the tables (answers the queries, applies the effects); ``staff``: the
  counselors' Telegram group (an aiogram router); ``delivery``: the ``staff`` outbox
  channel (forum topics); ``worksheet``: the Kertas Kerja Konseling Karir (JSON and PDF);
  ``cli``: ``jkp-bot counselors``, ``counseling export``, ``audit``.
"""
