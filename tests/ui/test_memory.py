"""Opening and closing a modal screen keeps nothing alive: a class can use help all hour.

Each opening used to keep about 1 MB: Textual's footer rebuilt its two dozen keys and kept the
old ones, and every dropped screen left its rendered lines in a Textual cache. Counting live
objects says so without measuring time or bytes: the leaks kept thousands of objects per
opening, while what legitimately changes (caches filling up once) is a few dozen in all.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest
from textual.widget import Widget

WARM_UP = 3
"""Openings before counting: the first builds the screen and fills Textual's caches."""

CYCLES = 10

MAX_NEW_OBJECTS_PER_CYCLE = 100
"""Per opening and closing; the leaks kept several thousand."""


def live() -> tuple[int, int]:
    """(widgets, objects) alive after a full collection."""
    gc.collect()
    objects = gc.get_objects()
    return sum(isinstance(o, Widget) for o in objects), len(objects)


@pytest.mark.parametrize("key", ["colon", "ctrl+s", "question_mark", "enter"])
async def test_opening_and_closing_a_modal_keeps_nothing(ui: Any, key: str) -> None:
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        for _ in range(WARM_UP):
            await pilot.press(key, "escape")
        widgets, objects = live()
        for _ in range(CYCLES):
            await pilot.press(key)
            assert ui.app.screen is not ui.app.screen_main
            await pilot.press("escape")
            assert ui.app.screen is ui.app.screen_main
        widgets_after, objects_after = live()
        assert widgets_after == widgets
        assert objects_after - objects < MAX_NEW_OBJECTS_PER_CYCLE * CYCLES
