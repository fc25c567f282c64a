"""Plain-text rendering shared by the console and SMS: buttons become numbered lines.

A reply of "2" is mapped back to the second button's payload by the engine, which keeps the
choices last offered in the conversation state (Rasa's SMS connector does not do this).
"""

from __future__ import annotations

from bot.core.domain import Domain, Rendered

FOOTER_KEY = "utter_plain_footer"


def render_plain(rendered: Rendered, domain: Domain, channel: str = "console") -> str:
    lines = [rendered.text] if rendered.text else []
    if rendered.buttons:
        lines.append("\n".join(f"{i}. {b.title}" for i, b in enumerate(rendered.buttons, 1)))
    if rendered.nav and domain.has(FOOTER_KEY):
        lines.append(str(domain.variation(FOOTER_KEY, channel)["text"]))
    return "\n\n".join(lines)
