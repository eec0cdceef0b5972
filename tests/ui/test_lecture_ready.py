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

from raftviz.app import RaftvizApp, RuntimeNotes
from raftviz.core.sim.events import Narration
from raftviz.widgets import NarrationBar, OutputScreen, PromptScreen

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


# ------------------------------------------------------------------ 2. the narration panel

LINES = (
    "Five servers start as followers at term 0, with no leader. Each waits for its own "
    "randomized election timeout (10 to 19 ticks of 100 ms).",
    "Predict: which server will time out first, and what will it ask the others?",
    "S3 timed out first: it asks for pre-votes without raising its term.",
)


def narrate(ui: Any, *lines: str) -> None:
    """Each line in a batch of its own, like a played script between its waits."""
    for index, line in enumerate(lines):
        ui.controller.publish((Narration(1000 * index, 900 + index, line),))


def flat(text: str) -> str:
    """The screen's words in one line: wrapped text reads the same as unwrapped."""
    return " ".join(text.split())


@pytest.mark.parametrize("size", SIZES, ids=size_id)
async def test_the_narration_panel_keeps_the_recent_lines(
    ui: Any, text_of: Text, size: tuple[int, int]
) -> None:
    async with ui.app.run_test(size=size) as pilot:
        await settle(pilot)
        narrate(ui, *LINES)
        await settle(pilot)
        panel = ui.app.screen_main.query_one(NarrationBar)
        assert panel.text == LINES[2]
        assert panel.history == LINES[:2]
        screen = flat(text_of(ui.app))
        # The newest line in full, wrapped rather than cut, and the one before it above it.
        assert f"» {LINES[2]}" in screen
        assert LINES[1] in screen


async def test_the_narration_history_scrolls_and_opens_in_full(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        many = [f"line number {n} of the lesson" for n in range(1, 13)]
        narrate(ui, *many)
        await settle(pilot)
        screen = text_of(ui.app)
        assert "line number 12 of the lesson" in screen
        assert "line number 11 of the lesson" in screen  # the newest of the history in view
        assert "line number 1 of the lesson" not in screen  # scrolled away, not dropped
        await ui.app.run_action("narration_history")
        await settle(pilot)
        assert isinstance(ui.app.screen, OutputScreen)
        story = text_of(ui.app)
        for line in many:
            assert line in story
        await pilot.press("escape")
        assert not isinstance(ui.app.screen, OutputScreen)


async def test_a_waiting_lecture_says_space_continues(ui: Any, text_of: Text) -> None:
    ui.controller.script_waiting = True
    async with ui.app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        narrate(ui, LINES[1])
        await settle(pilot)
        assert "‖ space: continue" in text_of(ui.app)
        assert ui.app.screen_main.query_one(NarrationBar).waiting
        ui.controller.script_waiting = False
        await pilot.press("space")
        await settle(pilot)
        assert "space: continue" not in flat(text_of(ui.app))


async def test_a_notice_shows_under_the_narration_until_esc(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        narrate(ui, LINES[2])
        ui.app.post_message(RuntimeNotes(["The scenario has ended: 3 of 3 checks held."]))
        await settle(pilot)
        assert "The scenario has ended: 3 of 3 checks held." in text_of(ui.app)
        for _ in range(3):  # the run goes on: the note stays
            await pilot.press("full_stop")
            await settle(pilot)
        assert "The scenario has ended: 3 of 3 checks held." in text_of(ui.app)
        await pilot.press("escape")
        await settle(pilot)
        assert "The scenario has ended" not in text_of(ui.app)
        assert LINES[2] in flat(text_of(ui.app))


async def test_narration_from_a_script_is_text_not_markup(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        narrate(ui, "[bold red]not markup[/] and [link=x]no link[/link]")
        ui.app.post_message(RuntimeNotes(["✖ expect node=1 kv.x=[b]: fails"]))
        await settle(pilot)
        screen = text_of(ui.app)
        assert "[bold red]not markup[/] and [link=x]no link[/link]" in screen
        assert "✖ expect node=1 kv.x=[b]: fails" in screen
