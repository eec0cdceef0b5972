"""UI room: the footer of keys, rebuilt only when the keys it shows change.

Textual's `Footer` rebuilds every key it shows whenever the screen's bindings are refreshed,
which happens each time a modal screen opens or closes, although raftviz's keys stay the same.
Every key it rebuilds stays alive for as long as the footer: each is data-bound to
``Footer.compact``, and Textual keeps such a watcher until the watched value changes, which
``compact`` never does (Textual issue #6666). With raftviz's two dozen keys that was about
1 MB kept for every modal screen opened.
"""

from __future__ import annotations

from textual.widgets import Footer

__all__ = ["KeyFooter"]


class KeyFooter(Footer):
    """A `Footer` that skips rebuilding when it would draw the same keys again."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._drawn: tuple[object, ...] | None = None

    def _keys(self) -> tuple[object, ...]:
        """What `Footer.compose` draws from: the bindings (key, action, description, group...),
        whether each is enabled and its tooltip, and the command palette switch."""
        bindings = tuple(
            (binding, enabled, tooltip)
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
        )
        return (bindings, self.show_command_palette)

    async def recompose(self) -> None:
        keys = self._keys()
        if keys == self._drawn:
            return
        self._drawn = keys
        await super().recompose()
