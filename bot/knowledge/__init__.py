"""Reference data the dialogs reason with (occupations, job groups, the interest inventory,
regions, countries) and pure functions over it: fuzzy search and assessment scoring.

The data files are in bot/data/ with their sources in bot/data/SOURCES.md.
"""
