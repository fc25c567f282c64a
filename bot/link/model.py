"""What the linking dialog asks and wants done (pure; answered by bot/link/store.py)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.types import Effect, Query

CODE_DIGITS = 6
PHONE_CHANNELS = ("sms", "whatsapp")


@dataclass(frozen=True)
class LinkStatus:
    """The person's linked numbers (masked) and the number a usable code was sent to."""

    numbers: tuple[str, ...] = ()
    pending: str | None = None


@dataclass(frozen=True)
class LinkStatusQuery(Query[LinkStatus]):
    pass


class Allowance(StrEnum):
    OK = "ok"
    MINE = "mine"  # already linked to this person
    TAKEN = "taken"  # another person's number that has another channel: no silent takeover
    LIMIT = "limit"  # too many codes this hour (for the person or for the number)


@dataclass(frozen=True)
class CodeAllowanceQuery(Query[Allowance]):
    """May a code be sent to ``phone`` (E.164) now?"""

    phone: str


class CodeResult(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    VOID = "void"  # too many wrong tries: the code no longer works
    EXPIRED = "expired"
    NONE = "none"  # no code waiting
    TAKEN = "taken"  # the number was linked to someone else meanwhile


@dataclass(frozen=True)
class CodeVerdict:
    result: CodeResult
    left: int = 0  # wrong tries left after this one (WRONG)


@dataclass(frozen=True)
class CheckCodeQuery(Query[CodeVerdict]):
    """What the typed ``code`` is worth against the person's latest code (read only: the
    wrong try is counted by :class:`CountWrongCode`)."""

    code: str


@dataclass(frozen=True)
class SendLinkCode(Effect):
    """Make a code for ``phone`` (replacing any earlier one) and queue it by SMS."""

    phone: str


@dataclass(frozen=True)
class ConfirmLink(Effect):
    """The code is right: the number's identity joins the person (merging its own person)."""

    code: str


@dataclass(frozen=True)
class CountWrongCode(Effect):
    pass
