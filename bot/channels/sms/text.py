"""Text for SMS: which alphabet a message goes out in, how many segments it costs, and how a
long reply is split into numbered parts. Pure functions, no I/O.

An SMS is sent in the GSM 03.38 7-bit alphabet when every character is in it (the basic set
costs one septet, the extension table two: an escape and the character); any other character,
an emoji or a curly quote, makes the *whole* message UCS-2, counted in UTF-16 code units.

| alphabet | one segment | each segment of a concatenated message |
|---|---|---|
| GSM-7 | 160 septets | 153 septets |
| UCS-2 | 70 units | 67 units |

A character never straddles two segments: an extension character (two septets) or an emoji (a
UTF-16 surrogate pair) that does not fit at the end of a segment starts the next one, as
handsets and gateways split them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

# GSM 03.38 basic character set, in table order (0x1B, the escape to the extension table, is
# left out: it is not a character).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (escape + character).
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7 = GSM7_BASIC | GSM7_EXTENSION

SINGLE = {"gsm7": 160, "ucs2": 70}
CONCATENATED = {"gsm7": 153, "ucs2": 67}


class Encoding(StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class SmsLength:
    """How a text goes out: alphabet, length in its units, and segments billed."""

    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int

    @property
    def per_segment(self) -> int:
        """Capacity of each segment of this message (160/153 or 70/67)."""
        table = SINGLE if self.segments <= 1 else CONCATENATED
        return table[self.encoding.value]


def is_gsm7(text: str) -> bool:
    return all(c in GSM7 for c in text)


def non_gsm7(text: str) -> str:
    """The characters of ``text`` outside GSM-7, each once, in order of appearance."""
    return "".join(dict.fromkeys(c for c in text if c not in GSM7))


def encoding_of(text: str) -> Encoding:
    return Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2


def _costs(text: str, encoding: Encoding) -> list[int]:
    if encoding is Encoding.GSM7:
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]  # a surrogate pair in UTF-16


def sms_length(text: str) -> SmsLength:
    """Alphabet, units and segments of ``text``. An empty text is one (empty) segment."""
    encoding = encoding_of(text)
    costs = _costs(text, encoding)
    units = sum(costs)
    if units <= SINGLE[encoding.value]:
        return SmsLength(encoding, units, 1)
    capacity = CONCATENATED[encoding.value]
    segments, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            segments, used = segments + 1, 0
        used += cost
    return SmsLength(encoding, units, segments)


def segment_count(text: str) -> int:
    return sms_length(text).segments


def turn_segments(texts: list[str]) -> int:
    """Segments billed for the messages of one turn, each sent as its own SMS."""
    return sum(segment_count(t) for t in texts if t)


# -- splitting ----------------------------------------------------------------------------
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_LINE = re.compile(r"\n")
# A sentence ends with . ! ? (closing quotes or brackets may follow) before a space and a
# character that is not a lower-case letter ("dll. dan" does not end a sentence).
_SENTENCE = re.compile(r"[.!?…]+[\"')\]]*(?=\s+[^\sa-z])")
_CLAUSE = re.compile(r"[,;:](?=\s)")
_SPACE = re.compile(r"\s")
# A boundary better than a plain space is used only if it leaves the part at least this full;
# otherwise a later, lesser boundary is taken (fewer, fuller parts cost fewer segments).
MIN_FILL = 0.5


def _last_cut(pattern: re.Pattern[str], text: str, limit: int, at_end: bool) -> int:
    """The last cut position <= ``limit`` that ``pattern`` offers (0 if none): the match's
    end for punctuation (it stays with its part), its start for separators."""
    best = 0
    for m in pattern.finditer(text):
        if m.start() > limit:
            break
        cut = m.end() if at_end else m.start()
        if 0 < cut <= limit:
            best = cut
    return best


def _cut_position(text: str, limit: int) -> int:
    """Where to cut ``text`` so that ``text[:cut]`` fits in ``limit`` characters: the latest
    paragraph, line, sentence or clause end that leaves the part at least half full, else the
    last space, else (a single word longer than a part) ``limit`` itself."""
    for pattern, at_end in ((_PARAGRAPH, False), (_LINE, False), (_SENTENCE, True),
                            (_CLAUSE, True)):  # fmt: skip
        cut = _last_cut(pattern, text, limit, at_end)
        if cut >= limit * MIN_FILL:
            return cut
    # A space at ``limit`` itself is a fine place too: the part ends just before it.
    return _last_cut(_SPACE, text, limit, False) or limit


def _longest_prefix(text: str, fits: Callable[[str], bool]) -> int:
    """The largest n such that ``fits(text[:n])`` (lengths are monotone: binary search)."""
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if fits(text[:mid]):
            low = mid
        else:
            high = mid - 1
    return low


def _chunks(text: str, fits: Callable[[str], bool]) -> list[str]:
    parts: list[str] = []
    rest = text
    while rest:
        if fits(rest):
            parts.append(rest)
            break
        limit = _longest_prefix(rest, fits)
        if limit == 0:
            raise ValueError("a part cannot hold even one character")
        cut = _cut_position(rest, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return parts


def part_marker(index: int, total: int) -> str:
    return f"({index}/{total}) "


def split_sms(text: str, segments_per_part: int = 1) -> list[str]:
    """``text`` as parts that each fit ``segments_per_part`` segments.

    A text that fits is returned whole, unnumbered. Otherwise each part starts with
    "(1/3) ", "(2/3) "... and ends at the best boundary available: a blank line, a line end,
    a sentence end, a comma, a space, and only for a word longer than a whole part, inside
    the word. Each part is measured on its own (a part without the emoji goes as GSM-7).
    """
    if segments_per_part < 1:
        raise ValueError("segments_per_part must be at least 1")
    text = text.strip()
    if not text:
        return []

    if segment_count(text) <= segments_per_part:
        return [text]
    for digits in range(1, 5):
        # Room for the widest marker of this many digits: "(9/9) ", "(99/99) "...
        widest = part_marker(10**digits - 1, 10**digits - 1)

        def fits(chunk: str, widest: str = widest) -> bool:
            return segment_count(widest + chunk) <= segments_per_part

        parts = _chunks(text, fits)
        if len(parts) < 10**digits:
            break
    total = len(parts)
    return [part_marker(i, total) + part for i, part in enumerate(parts, 1)]


# -- keeping dynamic text in GSM-7 --------------------------------------------------------
_LOOKALIKES = {
    **dict.fromkeys("‘’‚‛′`´", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−", "-"),
    **dict.fromkeys("\u00a0\u2002\u2003\u2007\u2009\u200a\u202f", " "),
    **dict.fromkeys("•·", "-"),
    "…": "...",
    "\t": " ",
    "\u200b": "",
    "\ufeff": "",
}


def to_gsm7(text: str) -> str:
    """Replace look-alikes (curly quotes, dashes, ellipsis, odd spaces) and strip accents
    that GSM-7 lacks ("á" → "a"), so text typed by users or taken from data does not turn a
    whole message into UCS-2. Anything else (an emoji) is left for the caller to decide."""
    out: list[str] = []
    for c in text:
        if c in GSM7:
            out.append(c)
        elif c in _LOOKALIKES:
            out.append(_LOOKALIKES[c])
        else:
            base = "".join(
                d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d)
            )
            out.append(base if base and is_gsm7(base) else c)
    return "".join(out)
