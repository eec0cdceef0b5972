"""Every key of the main screen: the controller got the right call, and the screen followed.

The fake controller applies simple mutations and posts `ClusterUpdated` like the bridge, so
"the screen changed" is checked on what the app shows (its widgets and its plain text).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from rich.table import Table
from textual.pilot import Pilot
from textual.widgets import Static

from raftviz.app import RaftvizApp
from raftviz.controller import MAX_SPEED, MIN_SPEED
from raftviz.core.raft.logline import Level
from raftviz.widgets import (
    ClusterMap,
    EventLog,
    HelpScreen,
    InspectorScreen,
    LogGrid,
    PromptScreen,
    StatusBar,
)
from raftviz.widgets.command_palette import SafeCommandPalette
from raftviz.widgets.palette import Palette

Text = Callable[[RaftvizApp], str]


async def settle(pilot: Pilot[Any]) -> None:
    """Let posted ClusterUpdated messages reach the widgets."""
    await pilot.pause()
    await pilot.pause()


def map_text(app: RaftvizApp) -> str:
    """The cluster map's canvas as plain text (all of it, also what is scrolled away)."""
    canvas = app.screen_main.query_one(ClusterMap)._ensure_canvas()
    return "\n".join("".join(char for char, _ in row) for row in canvas)


def notifications(app: RaftvizApp) -> list[str]:
    return [n.message for n in app._notifications]


def node(app: RaftvizApp, node_id: int) -> Any:
    assert app.view is not None
    return next(n for n in app.view.nodes if n.id == node_id)


# ------------------------------------------------------------------ first frame


async def test_first_frame_shows_the_controllers_view(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert ("view",) in ui.controller.calls
        status = ui.app.screen_main.query_one(StatusBar).info
        assert (status.seed, status.leader, status.term, status.paused) == (7, 1, 3, True)
        text = text_of(ui.app)
        assert "PAUSED" in text and "seed 7" in text and "SAFE" in text
        for n in range(1, 6):
            assert f"S{n}" in map_text(ui.app)
        assert ui.app.selected == 1


# ------------------------------------------------------------------ time


async def test_space_pauses_and_resumes(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("space")
        assert ui.controller.calls[-1] == ("resume",)
        assert "RUNNING" in text_of(ui.app)
        await pilot.press("space")
        assert ui.controller.calls[-1] == ("pause",)
        assert "PAUSED" in text_of(ui.app)


async def test_full_stop_steps_one_event(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("full_stop")
        await settle(pilot)
        assert ui.controller.calls[-1] == ("step_event",)
        assert ui.app.screen_main.query_one(StatusBar).info.time_ms == 12_355


async def test_stepping_while_running_pauses_first(make_ui: Any) -> None:
    ui = make_ui(paused=False)
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("comma")
        await settle(pilot)
        assert ui.controller.calls[-2:] == [("pause",), ("step_tick",)]
        info = ui.app.screen_main.query_one(StatusBar).info
        assert info.paused and info.time_ms == 12_445


async def test_comma_steps_one_tick(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("comma")
        await settle(pilot)
        assert ui.controller.calls[-1] == ("step_tick",)
        assert ui.app.screen_main.query_one(StatusBar).info.time_ms == 12_445


async def test_plus_and_minus_double_and_halve_the_speed(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("plus")
        assert ui.controller.calls[-1] == ("set_speed", 2.0)
        assert "×2" in text_of(ui.app)
        await pilot.press("minus", "minus")
        assert ui.controller.calls[-1] == ("set_speed", 0.5)
        assert "×0.5" in text_of(ui.app)


@pytest.mark.parametrize(
    ("start", "key", "expected"), [(MAX_SPEED, "plus", MAX_SPEED), (MIN_SPEED, "minus", MIN_SPEED)]
)
async def test_speed_is_clamped(make_ui: Any, start: float, key: str, expected: float) -> None:
    ui = make_ui(speed=start)
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(key)
        assert ui.controller.calls[-1] == ("set_speed", expected)


# ------------------------------------------------------------------ selection


@pytest.mark.parametrize("key", [str(n) for n in range(1, 6)])
async def test_digits_select_a_node(ui: Any, key: str) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(key)
        assert ui.app.selected == int(key)
        assert f"▶S{key}" in map_text(ui.app)
        assert ui.app.screen_main.query_one(StatusBar).info.selected == int(key)


@pytest.mark.parametrize("key", ["6", "7", "8", "9"])
async def test_digits_beyond_the_cluster_say_so(ui: Any, key: str) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2", key)
        assert ui.app.selected == 2
        assert any(f"no node {key}" in message for message in notifications(ui.app))


async def test_nine_nodes_select_with_every_digit(make_ui: Any, views: Any) -> None:
    ui = make_ui(views.nine())
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for n in range(1, 10):
            await pilot.press(str(n))
            assert ui.app.selected == n


async def test_tab_cycles_the_selection(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        assert ui.app.selected == 2
        await pilot.press("shift+tab", "shift+tab")
        assert ui.app.selected == 5
        await pilot.press("tab")
        assert ui.app.selected == 1
        assert ui.app.focused is None  # tab selects nodes; nothing on the main screen takes focus


async def test_clicking_a_card_selects_it(ui: Any) -> None:
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        cluster_map = ui.app.screen_main.query_one(ClusterMap)
        layout = cluster_map.layout_info
        assert layout is not None
        x, y, _, _ = layout.rect(2)
        await pilot.click(ClusterMap, offset=(x + 3, y + 2 + cluster_map.gutter.top))
        assert ui.app.selected == 3


async def test_double_clicking_a_card_inspects_it(ui: Any) -> None:
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        cluster_map = ui.app.screen_main.query_one(ClusterMap)
        layout = cluster_map.layout_info
        assert layout is not None
        x, y, _, _ = layout.rect(1)
        await pilot.double_click(ClusterMap, offset=(x + 3, y + 2 + cluster_map.gutter.top))
        await settle(pilot)
        assert isinstance(ui.app.screen, InspectorScreen)
        assert ui.app.screen.node_id == 2


# ------------------------------------------------------------------ node commands


async def test_c_crashes_then_restarts_the_selected_node(ui: Any) -> None:
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("3", "c")
        await settle(pilot)
        assert ui.controller.commands[-1] == "crash 3"
        assert not node(ui.app, 3).alive
        assert "✖ CRASHED" in map_text(ui.app)
        await pilot.press("c")
        await settle(pilot)
        assert ui.controller.commands[-1] == "restart 3"
        assert node(ui.app, 3).alive
        assert "CRASHED" not in map_text(ui.app)


async def test_crashing_the_leader_clears_it_from_the_status(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert ui.controller.commands == ["crash 1"]
        assert "no leader" in text_of(ui.app)


async def test_t_ticks_the_selected_node(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("4", "t")
        assert ui.controller.commands == ["tick 4"]


async def test_e_makes_the_selected_node_campaign(ui: Any) -> None:
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("2", "e")
        await settle(pilot)
        assert ui.controller.commands == ["campaign 2"]
        assert node(ui.app, 2).role == "candidate"
        assert "◆ CANDIDATE" in map_text(ui.app)


async def test_i_isolates_then_rejoins(ui: Any) -> None:
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("5", "i")
        await settle(pilot)
        assert ui.controller.commands[-1] == "isolate 5"
        assert "ISOLATED" in map_text(ui.app)
        await pilot.press("i")
        await settle(pilot)
        assert ui.controller.commands[-1] == "rejoin 5"
        assert "ISOLATED" not in map_text(ui.app)


@pytest.mark.parametrize(
    ("key", "command"), [("1", "partition 1,2 | 3,4,5"), ("4", "partition 1,4 | 2,3,5")]
)
async def test_p_puts_the_selected_node_in_a_minority(ui: Any, key: str, command: str) -> None:
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press(key, "p")
        await settle(pilot)
        assert ui.controller.commands == [command]
        assert "grp 1" in map_text(ui.app) and "grp 2" in map_text(ui.app)


async def test_h_heals(make_ui: Any, views: Any) -> None:
    ui = make_ui(views.partition())
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert "grp 2" in map_text(ui.app)
        await pilot.press("h")
        await settle(pilot)
        assert ui.controller.commands == ["heal"]
        assert "grp" not in map_text(ui.app) and "✂" not in map_text(ui.app)


async def test_r_proposes_to_the_leader_with_a_counter(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r", "r")
        await settle(pilot)
        assert ui.controller.commands == ["propose leader k1=v1", "propose leader k2=v2"]
        assert node(ui.app, 1).last_index == 10
        grid = ui.app.screen_main.query_one(LogGrid)
        assert grid._max_index >= 10


async def test_r_without_a_leader_shows_the_error_not_a_traceback(make_ui: Any, views: Any) -> None:
    ui = make_ui(views.nine())
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        assert ui.controller.commands == ["propose leader k1=v1"]
        assert "no leader to propose to" in notifications(ui.app)
        assert ui.app.is_running


async def test_l_transfers_leadership_to_the_selected_node(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3", "l")
        assert ui.controller.commands == ["transfer-leadership from=1 to=3"]


async def test_l_on_the_leader_itself_sends_nothing(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("1", "l")
        assert ui.controller.commands == []
        assert any("already the leader" in message for message in notifications(ui.app))


async def test_l_without_a_leader_sends_nothing(make_ui: Any, views: Any) -> None:
    ui = make_ui(views.nine())
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3", "l")
        assert ui.controller.commands == []
        assert any("no leader" in message for message in notifications(ui.app))


@pytest.mark.parametrize(
    ("keys", "command"),
    [(("2", "f"), "forget-leader 2"), (("a",), "align-timers"), (("s",), "spread-timers")],
)
async def test_single_command_keys(ui: Any, keys: tuple[str, ...], command: str) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*keys)
        assert ui.controller.commands == [command]


# ------------------------------------------------------------------ prompt and save


async def test_colon_runs_any_command(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        assert isinstance(ui.app.screen, PromptScreen)
        await pilot.press(*"crash 2", "enter")
        await settle(pilot)
        assert ui.controller.commands == ["crash 2"]
        assert not isinstance(ui.app.screen, PromptScreen)
        assert not node(ui.app, 2).alive


async def test_colon_keeps_a_bad_command_for_fixing(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"bogus 1", "enter")
        await settle(pilot)
        assert isinstance(ui.app.screen, PromptScreen)
        assert ui.app.screen.input.value == "bogus 1"
        assert "unknown command 'bogus'" in notifications(ui.app)
        assert "not run" in text_of(ui.app)
        await pilot.press("escape")
        assert not isinstance(ui.app.screen, PromptScreen)
        assert ui.controller.commands == ["bogus 1"]


async def test_colon_history_recalls_earlier_commands(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"heal", "enter")
        await settle(pilot)
        await pilot.press("colon", "up")
        assert isinstance(ui.app.screen, PromptScreen)
        assert ui.app.screen.input.value == "heal"
        await pilot.press("enter")
        assert ui.controller.commands == ["heal", "heal"]


async def test_ctrl_s_saves_the_session_under_a_default_name(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        assert isinstance(ui.app.screen, PromptScreen)
        name = ui.app.screen.input.value
        assert re.fullmatch(r"session-7-\d{8}-\d{6}\.raft", name), name
        await pilot.press("enter")
        await settle(pilot)
        assert ui.controller.calls[-1] == ("save_script", name)
        assert not isinstance(ui.app.screen, PromptScreen)
        assert any("saved" in message for message in notifications(ui.app))


async def test_ctrl_s_shows_a_failed_save(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        prompt = ui.app.screen
        assert isinstance(prompt, PromptScreen)
        prompt.input.value = "/nonexistent/x.raft"
        await pilot.press("enter")
        await settle(pilot)
        assert ui.controller.calls[-1] == ("save_script", "/nonexistent/x.raft")
        assert ui.app.screen is prompt
        assert "no such directory" in text_of(ui.app)


# ------------------------------------------------------------------ screens


async def test_question_mark_shows_every_key_and_the_legend(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(ui.app.screen, HelpScreen)
        text = text_of(ui.app)
        for keys, _ in ui.app.key_help():
            assert keys in text
        pages = [text]
        for _ in range(3):  # every key is listed, so the legend starts lower
            await pilot.press("pagedown")
            await settle(pilot)
            pages.append(text_of(ui.app))
        text = "\n".join(pages)
        for word in ("LEADER", "PRE-CANDIDATE", "CRASHED", "pre-vote", "heartbeat", "committed"):
            assert word in text
        await pilot.press("escape")
        assert not isinstance(ui.app.screen, HelpScreen)


async def test_enter_inspects_the_selected_node_live(ui: Any, text_of: Text) -> None:
    async with ui.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = ui.app.screen
        assert isinstance(screen, InspectorScreen)
        assert screen.node_id == 1
        text = text_of(ui.app)
        assert "LEADER" in text and "replicate" in text and "probe" in text
        progress = screen.query_one("#progress")
        assert progress.row_count == 4  # type: ignore[attr-defined]
        ui.controller.command("propose leader z=1")
        await settle(pilot)
        assert "z=1" in text_of(ui.app)
        await pilot.press("right")
        await settle(pilot)
        assert screen.node_id == 2
        assert "FOLLOWER" in text_of(ui.app)
        await pilot.press("escape")
        assert not isinstance(ui.app.screen, InspectorScreen)


async def test_modal_screens_reopen_afresh(ui: Any, text_of: Text) -> None:
    """They are made once and reused (see test_memory.py), yet never reopen as last left."""
    async with ui.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"bogus 1", "enter", "escape", "colon")
        await settle(pilot)
        prompt = ui.app.screen
        assert isinstance(prompt, PromptScreen) and prompt.purpose == "command"
        assert prompt.input.value == "" and "not run" not in text_of(ui.app)
        prompt.input.value = "/nonexistent/x.raft"
        await pilot.press("escape", "ctrl+s")
        save = ui.app.screen
        assert isinstance(save, PromptScreen) and save.purpose == "save"
        assert re.fullmatch(SESSION_NAME, save.input.value)
        await pilot.press("escape", "enter", "escape", "3", "enter")
        await settle(pilot)
        inspector = ui.app.screen
        assert isinstance(inspector, InspectorScreen) and inspector.node_id == 3
        assert "S3" in text_of(ui.app)
        await pilot.press("escape", "question_mark", "escape")
        ui.app.theme = "raft-light"
        await pilot.press("question_mark")
        keys = ui.app.screen.query_one("#help-keys", Static).content
        assert isinstance(keys, Table)
        palette = Palette.from_variables(ui.app.theme_variables)
        assert keys.columns[0].style == palette.fg("primary", bold=True)


@pytest.mark.parametrize("under", [(), ("question_mark",)], ids=["over-the-cluster", "over-help"])
async def test_fast_keys_in_the_command_palette_run_one_command(
    ui: Any, under: tuple[str, ...]
) -> None:
    """Keys typed faster than the app handles them are queued: the second enter reaches the
    palette after the first closed it (`simulate_key` queues them the same way). It used to
    close the palette again: a crash over the cluster, help closed and the command run twice
    over help."""
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*under, "ctrl+p")
        below = ui.app.screen_stack[:-1]
        for key in ("down", "enter", "enter"):
            ui.app.simulate_key(key)
        await settle(pilot)
        assert ui.app.is_running and ui.app.screen_stack == below
        acted = [call for call in ui.controller.calls if call[0] != "view"]
        assert acted == [("travel", "back", 0)]  # the first entry, once
        await pilot.press("ctrl+p")
        assert isinstance(ui.app.screen, SafeCommandPalette)
        await pilot.press("escape")
        assert ui.app.screen_stack == below


SESSION_NAME = r"session-7-\d{8}-\d{6}\.raft"
"""The save prompt's suggestion for seed 7: the seed and the wall-clock time."""


@pytest.mark.parametrize(
    ("keys", "calls"),
    [
        (("colon", *"heal"), [("command", "heal")]),
        (("colon",), []),
        (("ctrl+s",), [("save_script", SESSION_NAME)]),
    ],
)
async def test_fast_enters_at_a_prompt_act_once(
    ui: Any, keys: tuple[str, ...], calls: list[tuple[str, str]]
) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = len(ui.controller.calls)
        await pilot.press(*keys)
        ui.app.simulate_key("enter")
        ui.app.simulate_key("enter")
        await settle(pilot)
        assert ui.app.is_running and ui.app.screen is ui.app.screen_main
        made = ui.controller.calls[before:]
        assert len(made) == len(calls)
        assert all(
            call[0] == name and re.fullmatch(pattern, call[1])
            for call, (name, pattern) in zip(made, calls, strict=True)
        )


async def test_simulation_keys_do_nothing_under_a_modal(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark", "c", "h")
        assert ui.controller.commands == []


async def test_q_quits(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not ui.app.is_running
    assert ui.app.return_code == 0


# ------------------------------------------------------------------ event log filters


async def test_n_and_v_filter_the_event_log(ui: Any, events: Any) -> None:
    from raftviz.app import ClusterUpdated

    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        ui.app.post_message(ClusterUpdated(ui.controller.current, events))
        await settle(pilot)
        log = ui.app.screen_main.query_one(EventLog)
        # The story view by default: the stories, the fault, the narration and the drop.
        assert len(log.lines) == 5
        await pilot.press("n")
        assert log.node_filter == 1
        assert len(log.lines) == 2  # S1's own story, plus the narration for everyone
        assert "S1" in log.border_title
        await pilot.press("n", "n", "n", "n", "n")
        assert log.node_filter is None
        await pilot.press("v")  # story -> etcd's view from DEBUG: everything
        assert log.min_level == Level.DEBUG
        assert len(log.lines) == 10
        await pilot.press("v")  # INFO: etcd's lines without the stories or the DEBUG one
        assert len(log.lines) == 7
        await pilot.press("v")  # WARN
        assert "WARN" in str(log.min_level)
        assert len(log.lines) == 1
        await pilot.press("v", "v")  # ERROR -> back to the story
        assert len(log.lines) == 5


async def test_keys_act_on_what_was_asked_even_before_the_simulation_catches_up(
    ui: Any, text_of: Text
) -> None:
    """The real controller queues requests for the simulation's next step: until then the
    app shows, and builds on, what the user asked for."""
    controller = ui.controller
    controller.resume = lambda: controller.calls.append(("resume",))  # queued, not applied
    controller.set_speed = lambda x: controller.calls.append(("set_speed", x))
    controller.settled = False  # requests on their way
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("space", "plus", "plus")
        assert controller.calls[-3:] == [("resume",), ("set_speed", 2.0), ("set_speed", 4.0)]
        assert "RUNNING" in text_of(ui.app) and "×4" in text_of(ui.app)
        controller.paused, controller.speed = False, 4.0  # the simulation caught up
        controller.settled = True
        await pilot.press("minus")
        assert controller.calls[-1] == ("set_speed", 2.0)
