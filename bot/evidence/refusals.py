"""Why a photo can be refused, and the response that says it in plain words (pure: the
evidence dialog reads it; bot/evidence/files.py raises it)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Refusal(StrEnum):
    TOO_LARGE = "too_large"
    DOWNLOAD_FAILED = "download_failed"
    NOT_FOUND = "not_found"  # a console path that is not a readable file
    NOT_IMAGE = "not_image"
    PDF = "pdf"
    HEIC_UNSUPPORTED = "heic_unsupported"
    TRUNCATED = "truncated"
    TOO_SMALL = "too_small"
    TOO_MANY_PIXELS = "too_many_pixels"  # a decompression bomb, or simply too big to decode
    DUPLICATE = "duplicate"  # the same photo again from the same person (the caller decides)


REFUSAL_KEYS: Final[dict[Refusal, str]] = {
    Refusal.TOO_LARGE: "utter_evidence_refused_too_large",
    Refusal.DOWNLOAD_FAILED: "utter_evidence_refused_download_failed",
    Refusal.NOT_FOUND: "utter_evidence_refused_not_found",
    Refusal.NOT_IMAGE: "utter_evidence_refused_not_image",
    Refusal.PDF: "utter_evidence_refused_pdf",
    Refusal.HEIC_UNSUPPORTED: "utter_evidence_refused_heic_unsupported",
    Refusal.TRUNCATED: "utter_evidence_refused_truncated",
    Refusal.TOO_SMALL: "utter_evidence_refused_too_small",
    Refusal.TOO_MANY_PIXELS: "utter_evidence_refused_too_many_pixels",
    Refusal.DUPLICATE: "utter_evidence_refused_duplicate",
}


def refusal_key(reason: str) -> str:
    """The response for a refusal reason (an unknown one reads as a failed download)."""
    try:
        return REFUSAL_KEYS[Refusal(reason)]
    except ValueError:
        return REFUSAL_KEYS[Refusal.DOWNLOAD_FAILED]
