"""The vacancy catalogue: import, search and recommendations (guideline 3.5 steps 6-9).

- :mod:`bot.vacancies.model`: pure, frozen values (queries, pages, hits, profiles).
- :mod:`bot.vacancies.query`: what a typed search means (words, place, job titles); pure.
- :mod:`bot.vacancies.ranking`: the ranking contract, pure and identical on every database.
- :mod:`bot.vacancies.store`: SQLAlchemy Core functions on an ``AsyncConnection``.
- :mod:`bot.vacancies.importer` / :mod:`bot.vacancies.feed`: CSV / JSON Lines import, the
  feed fetched with conditional GET.
- :mod:`bot.vacancies.sample`: the sample catalogue loaded on first start.
- :mod:`bot.vacancies.callbacks`: compact button payloads (Telegram's 64 bytes).
"""
