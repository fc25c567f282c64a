"""Unduh CV (issue 8): a one-page PDF CV made from the profile (bot/cv/render.py), made on
demand into the encrypted file store and removed once delivered (bot/cv/service.py)."""
