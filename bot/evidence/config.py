"""Settings of evidence files (read by bot/settings.py; kept apart so reading the settings
does not import Pillow or aiohttp)."""

from __future__ import annotations

from dataclasses import dataclass

#: Bots may download files of up to 20 MB through the Bot API (getFile).
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024


@dataclass(frozen=True)
class EvidenceSettings:
    # EVIDENCE_DIR; empty: beside a SQLite database file (see Settings.evidence_dir).
    directory: str = ""
    # Largest file accepted, checked before and during the download.
    max_bytes: int = TELEGRAM_DOWNLOAD_LIMIT
    # The shorter side of a readable photo of a letter or a screen, in pixels.
    min_side: int = 300
    # Pillow's decompression-bomb limit, set explicitly: more pixels than this is refused
    # before anything is decoded (a 50 MP phone camera is the largest normal photo).
    max_pixels: int = 50_000_000
    # Stored copies are scaled down to this longer side: a letter stays readable (A4 at
    # ~170 dpi), and a 12 MP JPEG decodes at half size (JPEG draft), twice as fast.
    store_max_side: int = 2000
    # Perceptual-hash (pHash, 64 bits) distance below which two photos are near-duplicates.
    near_duplicate_distance: int = 6
    # Seconds for one download, getFile included.
    download_timeout: int = 60
