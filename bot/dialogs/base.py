"""What every dialog is: pure functions over its own JSON-able data.

A dialog never imports a framework, never reads the clock (``Context.now`` is given) and
never renders text: it returns response keys. The engine stores ``data`` between events.

Free text reaches the active dialog first. When a step cannot use it, its turn keeps
``data`` as it was and starts with a response saying so (``utter_invalid_*``,
``*_not_found``, ``*_not_understood``), then asks again: by that convention the router
(bot/core/freetext.py ``unread``) may answer the text as a question instead and ask the
step again itself. A form whose data names the slot it asks in ``step`` can also receive an
answer said earlier, as ``Input(text=..., proposed=True)``, to read back for confirmation.
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.core.types import Context, Input, SystemEvent, Turn


class Dialog(Protocol):
    name: str
    system_kinds: frozenset[str]  # the system events this dialog answers (usually none)

    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Begin, or resume where ``data`` left off."""

    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        """One input at the current step."""

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Go back one step so the user can change their last answer."""

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """BATAL: drop what is in progress; ``Turn.data`` is what is kept (may be empty)."""

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Say the current step's question again (after help, a sticker...)."""

    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        """The personal data this dialog holds and the records it owns, as (response key,
        params) lines; records are read with ``ctx.ask``."""

    def system(self, ctx: Context, data: dict[str, Any], event: SystemEvent) -> Turn:
        """A system event of one of ``system_kinds`` (see :class:`SystemEvent`)."""


class DialogDefaults:
    """What most dialogs share: no system events."""

    system_kinds: frozenset[str] = frozenset()

    def system(self, ctx: Context, data: dict[str, Any], event: SystemEvent) -> Turn:
        raise LookupError(f"{type(self).__name__} does not handle {event.kind!r}")
