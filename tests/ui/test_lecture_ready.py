"""Issue 8, lecture-ready: what a class sees, on a fake controller (time never moves by itself).

Typed text that shows, a narration panel that keeps the story, what commands print, checks
that answer both ways, the presentation layout, the scenario picker and a screen that keeps
its shape when the terminal is resized.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from raftviz.app import RaftvizApp
from raftviz.widgets import PromptScreen

Text = Callable[[RaftvizApp], str]

SIZES = [(80, 24), (100, 30), (160, 48), (220, 60)]
size_id: Callable[[tuple[int, int]], str] = lambda s: f"{s[0]}x{s[1]}"  # noqa: E731


async def settle(pilot: Pilot[Any]) -> None:
    """Let posted messages reach the widgets."""
    await pilot.pause()
    await pilot.pause()


# ------------------------------------------------------------------ 1. typed text shows


@pytest.mark.parametrize("size", SIZES, ids=size_id)
async def test_text_typed_at_the_command_prompt_is_on_the_screen(
    ui: Any, text_of: Text, size: tuple[int, int]
) -> None:
    async with ui.app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"propose hello=world")
        prompt = ui.app.screen
        assert isinstance(prompt, PromptScreen)
        assert prompt.input.value == "propose hello=world"
        assert prompt.input.content_region.height >= 1  # room for the text, not just borders
        assert "propose hello=world" in text_of(ui.app)
        # The whole title, wrapped if it must be, never cut.
        assert "esc cancel" in " ".join(text_of(ui.app).split())


@pytest.mark.parametrize("size", SIZES, ids=size_id)
async def test_the_save_prompt_shows_a_suggested_name_that_can_be_edited(
    ui: Any, text_of: Text, size: tuple[int, int]
) -> None:
    async with ui.app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        prompt = ui.app.screen
        assert isinstance(prompt, PromptScreen)
        name = prompt.input.value
        assert re.fullmatch(r"session-7-\d{8}-\d{6}\.raft", name), name
        assert name in text_of(ui.app)
        # The cursor is at the end: editing the suggestion is typing.
        await pilot.press(*["backspace"] * len(".raft"), *"-demo.raft")
        assert f"{name.removesuffix('.raft')}-demo.raft" in text_of(ui.app)
        await pilot.press("enter")
        await settle(pilot)
        assert ui.controller.calls[-1] == ("save_script", f"{name.removesuffix('.raft')}-demo.raft")
