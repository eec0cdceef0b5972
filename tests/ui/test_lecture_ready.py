"""Issue 8, lecture-ready: what a class sees, on a fake controller (time never moves by itself).

Typed text that shows, a narration panel that keeps the story, what commands print, checks
that answer both ways, the presentation layout, the scenario picker and a screen that keeps
its shape when the terminal is resized.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot

from raftviz.app import ClusterUpdated, RaftvizApp, RuntimeNotes
from raftviz.core.sim.events import Narration
from raftviz.scenarios import FOLDER, builtin_scenarios, scenario_path
from raftviz.widgets import (
    ClusterMap,
    EventLog,
    HelpScreen,
    NarrationBar,
    OutputScreen,
    PromptScreen,
    StatusBar,
)
from raftviz.widgets.help import legend
from raftviz.widgets.lessons import LessonPicker
from raftviz.widgets.palette import Palette

from .conftest import five_node_view, screen_text

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


# ------------------------------------------------------------------ 5. presentation layout


@pytest.mark.parametrize("size", SIZES, ids=size_id)
async def test_f5_presents_the_cluster_and_the_narration_only(
    ui: Any, text_of: Text, size: tuple[int, int]
) -> None:
    async with ui.app.run_test(size=size) as pilot:
        await settle(pilot)
        narrate(ui, *LINES)
        await settle(pilot)
        main = ui.app.screen_main
        cluster_map = main.query_one(ClusterMap)
        normal = cluster_map.layout_info
        assert normal is not None
        await pilot.press("f5")
        await settle(pilot)
        assert ui.app.presenting
        for panel in ("#flights", "#events", "#logs"):
            assert not main.query_one(panel).display or not main.query_one(panel).region
        assert cluster_map.region.width == size[0]  # the map has the whole width
        layout = cluster_map.layout_info
        assert layout is not None and layout.ring
        assert layout.level.height >= normal.level.height
        if size[0] >= 160:
            assert layout.level.width > 24 and layout.level.height >= 8  # larger than before
        screen = flat(text_of(ui.app))
        assert f"» {LINES[2]}" in screen  # the narration, whole
        assert "In flight" not in screen and "Events" not in screen
        await pilot.press("f5")
        await settle(pilot)
        assert not ui.app.presenting
        assert "In flight" in text_of(ui.app)
        assert cluster_map.layout_info == normal


async def test_the_presentation_key_is_in_the_footer_help_and_palette(
    ui: Any, text_of: Text
) -> None:
    async with ui.app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = text_of(ui.app).splitlines()[-1]
        for shown in ("space Run/pause", "? Help", "F5 Present", "o Lessons"):
            assert shown in footer  # the important keys first, even at 80 columns
        assert any(key == "F5" and "presentation" in what for key, what in ui.app.key_help())
        titles = [c.title for c in ui.app.get_system_commands(ui.app.screen)]
        assert "Present (F5)" in titles and "Lessons (o)" in titles


async def test_the_footer_shows_the_command_prompt_at_160_columns(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        footer = text_of(ui.app).splitlines()[-1]
        for shown in ("c Crash/restart", "p Partition", "h Heal", "r Request", ": Command"):
            assert shown in footer
        # Every key is still in the help, also those the footer leaves out.
        keys = {key for key, _ in ui.app.key_help()}
        assert {"1-9", "t", "e", "l", "f", "a", "s", "n", "v", "ctrl+s", "enter", "q"} <= keys


async def test_the_help_explains_the_compact_card_notation(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(ui.app.screen, HelpScreen)
        console = Console(width=100, file=io.StringIO(), color_system=None)
        console.print(legend(Palette.from_variables(ui.app.theme_variables)))
        text = console.file.getvalue()  # type: ignore[attr-defined]
        legend_text = flat(text)
        for notation in ("T3", "v1", "c6/8", "✓2/3", "g1", "cmt", "app", "ld", "FOLL"):
            assert notation in legend_text, notation
        assert "commit index / last log index" in legend_text


# ------------------------------------------------------------------ 6. the lesson picker


async def test_o_lists_every_built_in_scenario_with_its_description(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(ui.app.screen, LessonPicker)
        screen = flat(text_of(ui.app))
        scenarios = builtin_scenarios()
        assert {s.name for s in scenarios} >= {"election", "leader-crash", "one-way-cut"}
        for scenario in scenarios:
            first = (FOLDER / f"{scenario.name}.raft").read_text().splitlines()[0]
            assert first.startswith("# ") and first[2:] == scenario.description
            assert scenario.name in screen and scenario.description in screen
        assert "Restart this cluster (same seed) from the beginning" in screen
        await pilot.press("escape")
        assert not isinstance(ui.app.screen, LessonPicker)
        assert not [c for c in ui.controller.calls if c[0] in ("load", "restart")]


async def test_choosing_a_lesson_loads_it_and_starts_afresh(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        narrate(ui, "an old line from the previous run")
        await pilot.press("3")
        await settle(pilot)
        # Down from "restart" to election, wherever the lessons put it.
        names = [scenario.name for scenario in builtin_scenarios()]
        await pilot.press("o", *["down"] * (names.index("election") + 1))
        await pilot.press("enter")
        await settle(pilot)
        assert ("load", scenario_path("election")) in ui.controller.calls
        assert ui.app.title == "raftviz - election"
        panel = ui.app.screen_main.query_one(NarrationBar)
        assert panel.text is None and panel.history == ()
        assert panel.note == "Lesson “election”: space continues after each line."
        assert ui.app.selected == 1
        assert ui.app.view is not None and ui.app.view.time_ms == 0
        events = ui.app.screen_main.query_one(EventLog)
        assert events.history == ()  # the previous run's events are gone
        assert "an old line" not in text_of(ui.app)
        # Restart, from the picker's first choice or the palette.
        await pilot.press("o", "enter")
        await settle(pilot)
        assert ui.controller.calls[-2:] == [("restart",), ("view",)]
        assert "Restarted “election” from its beginning." in text_of(ui.app)


async def test_a_late_update_of_the_previous_run_is_not_drawn(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = ui.controller.current
        ui.app.play_scenario("election")
        # Queued by the bridge before the swap, delivered after it: it must not come back.
        ui.app.post_message(ClusterUpdated(before, (Narration(5, 5, "stale"),), generation=0))
        await settle(pilot)
        assert ui.app.view is not None and ui.app.view.time_ms == 0
        assert ui.app.screen_main.query_one(NarrationBar).text is None


# ------------------------------------------------------------------ 8. the palette's screenshot


async def test_the_palette_screenshot_saves_in_the_current_folder_and_says_where(
    ui: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A user without a Downloads folder (a fresh account, a container, a lecture-hall PC).
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(home / "Downloads"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    async with ui.app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        screenshot = next(
            c for c in ui.app.get_system_commands(ui.app.screen) if c.title == "Screenshot"
        )
        screenshot.callback()
        for _ in range(50):
            if list(work.glob("*.svg")):
                break
            await pilot.pause(0.05)
        saved = list(work.glob("*.svg"))
        assert len(saved) == 1, [n.message for n in ui.app._notifications]
        await settle(pilot)
        messages = [n.message for n in ui.app._notifications]
        assert messages == [f"Saved to {saved[0].resolve()}"]  # once, the full path
        assert not (home / "Downloads").exists()


# ------------------------------------------------------------------ 7. resizing


async def _after(ui: Any, sizes: list[tuple[int, int]]) -> tuple[int, Any, str]:
    async with ui.app.run_test(size=sizes[0]) as pilot:
        await settle(pilot)
        for size in sizes[1:]:
            await pilot.resize_terminal(*size)
            await settle(pilot)
        main = ui.app.screen_main
        layout = main.query_one(ClusterMap).layout_info
        return main.query_one(StatusBar).size.height, layout, screen_text(ui.app)


@pytest.mark.parametrize("seed", [7, 2**63 - 1])
async def test_a_long_status_line_stays_one_line_whatever_the_resizes(
    make_ui: Any, seed: int
) -> None:
    """A running cluster the machine cannot keep up with, late in a long run: the status
    line is longer than 80 columns. It used to wrap into a second line (mid-field) and take
    a row from the cluster map."""

    def slow_machine() -> Any:
        ui = make_ui(dataclasses.replace(five_node_view(), seed=seed, time_ms=1_234_567))
        ui.controller.paused = False
        ui.controller.achieved_speed = 3.2
        return ui

    resized = await _after(slow_machine(), [(160, 48), (100, 30), (80, 24)])
    straight = await _after(slow_machine(), [(80, 24)])
    for height, layout, text in (resized, straight):
        assert height == 1
        first = text.splitlines()[0]
        for part in ("RUNNING", "1234.567s", "★ S1", "3", "SAFE"):
            assert part in first
        assert layout is not None and layout.level.name != "micro"  # boxed cards
    assert resized[1] == straight[1]
    assert resized[2] == straight[2]


async def test_the_flight_percentages_are_whole_at_120_columns(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = text_of(ui.app)
        for percent in ("75%", "31%", "30%", "10%", "88%", "45%"):
            assert f" {percent}" in screen, percent
