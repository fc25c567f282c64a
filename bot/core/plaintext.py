"""Plain-text rendering shared by the console and SMS: buttons become numbered lines.

A reply of "2" is mapped back to the second button's payload by the engine, which keeps the
choices last offered in the conversation state (Rasa's SMS connector does not do this).
"""

from __future__ import annotations

from bot.core.domain import FOOTER_KEY, Domain, Rendered

__all__ = ["FOOTER_KEY", "render_plain"]


def render_plain(rendered: Rendered, domain: Domain, channel: str = "console") -> str:
    """Text, the buttons as numbered lines, then the navigation hint when the message has one
    (a dialog shows it once, when it opens: see ``Router.open_dialog``)."""
    lines = [rendered.text] if rendered.text else []
    if rendered.buttons:
        lines.append("\n".join(f"{i}. {b.title}" for i, b in enumerate(rendered.buttons, 1)))
    if rendered.footer:
        lines.append(rendered.footer)
    return "\n\n".join(lines)
