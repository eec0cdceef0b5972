"""Text from users, scripts and errors is shown as typed, never parsed as Textual/Rich markup.

``[/x]`` is a closing tag that closes nothing: parsed as markup it raises (a traceback and exit
1 instead of a message), so each widget that shows such text must show these four characters.
The keys that lead here on the real stack are in `test_keys_live.py`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from textual.pilot import Pilot

from raftviz.app import SimulationFailed
from raftviz.core.raft.logline import Level, LogLine
from raftviz.core.sim.events import EntryView, Narration, RaftLog, SafetyViolation
from raftviz.widgets import HelpScreen, InspectorScreen, PromptScreen

MARKUP = "[/x]"


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.pause()


async def test_prompt_title_and_error_show_markup_as_text(ui: Any, text_of: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        prompt = PromptScreen("save", f"Save to {MARKUP}?")
        await ui.app.push_screen(prompt)
        prompt.show_error(f"{MARKUP}: cannot save")
        await settle(pilot)
        text = text_of(ui.app)
        assert f"Save to {MARKUP}?" in text
        assert f"✖ {MARKUP}: cannot save" in text


async def test_narration_shows_markup_as_text(ui: Any, text_of: Any) -> None:
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        ui.controller.publish((Narration(12_000, 5, f"say {MARKUP}"),))
        await settle(pilot)
        assert f"» say {MARKUP}" in text_of(ui.app)


async def test_event_log_shows_markup_as_text(ui: Any, text_of: Any) -> None:
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("v", "v")  # etcd's INFO view, where its log lines show
        line = LogLine(Level.INFO, 1, "state", f"1 logs {MARKUP}")
        ui.controller.publish(
            (RaftLog(12_000, 5, line), Narration(12_001, 6, f"mark {MARKUP}", mark=True))
        )
        await settle(pilot)
        text = text_of(ui.app)
        assert f"1 logs {MARKUP}" in text
        assert f"mark {MARKUP}" in text


async def test_inspector_shows_keys_values_and_entries_as_text(
    make_ui: Any, views: Any, text_of: Any
) -> None:
    view = views.five()
    leader = view.nodes[0]
    leader = dataclasses.replace(
        leader,
        kv=(("[/x]", "[/y]"),),
        log=(*leader.log, EntryView(3, leader.last_index + 1, "[/x]=[/y]")),
        last_index=leader.last_index + 1,
    )
    ui = make_ui(dataclasses.replace(view, nodes=(leader, *view.nodes[1:])))
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(ui.app.screen, InspectorScreen)
        text = text_of(ui.app)
        assert "kv  [/x]=[/y]" in text
        assert "pending   [/x]=[/y]" in text


async def test_help_shows_keys_and_descriptions_as_text(ui: Any, text_of: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ui.app.push_screen(HelpScreen([("[", f"closes {MARKUP}")]))
        await settle(pilot)
        assert f"[  closes {MARKUP}" in text_of(ui.app)


async def test_notifications_show_errors_and_violations_as_text(
    ui: Any, views: Any, text_of: Any
) -> None:
    async with ui.app.run_test(size=(160, 48), notifications=True) as pilot:
        await settle(pilot)
        ui.app.post_message(SimulationFailed(f"RuntimeError: {MARKUP}"))
        violation = SafetyViolation(12_345, 9, "election-safety", (1, 2), f"detail {MARKUP}")
        ui.controller.replace_view(views.violation(), (violation,))
        await settle(pilot)
        assert ui.app.is_running
        text = text_of(ui.app)
        assert f"RuntimeError: {MARKUP}" in text
        assert f"election-safety: detail {MARKUP}" in text
