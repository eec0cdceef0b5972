"""The app's plumbing: update messages, failures, safety alarms, animation, themes, palette."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from textual.pilot import Pilot

from raftviz.app import ClusterUpdated, RaftvizApp, SimulationFailed, partition_command
from raftviz.core.sim.events import Narration, NodeFault, SafetyViolation
from raftviz.themes import RAFT_VARIABLES, THEMES
from raftviz.widgets import ClusterMap, EventLog, FlightTable, NarrationBar, StatusBar
from raftviz.widgets.palette import Palette


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.pause()


# ------------------------------------------------------------------ ClusterUpdated


def test_cluster_updated_coalescing_keeps_every_event(views: Any) -> None:
    """Textual asks the older message; replacing it must not lose its events."""
    view = views.five()
    first = NodeFault(1, 1, 3, "crashed")
    second = NodeFault(2, 2, 3, "restarted")
    older = ClusterUpdated(view, (first,))
    newer = ClusterUpdated(dataclasses.replace(view, time_ms=99), (second,))
    assert older.can_replace(newer)
    assert newer.events == (first, second)
    assert newer.view.time_ms == 99


def test_cluster_updated_replaces_only_its_own_kind(views: Any) -> None:
    assert not ClusterUpdated(views.five()).can_replace(SimulationFailed("boom"))


async def test_updates_flow_into_every_widget(ui: Any, views: Any, events: Any) -> None:
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        ui.controller.replace_view(views.partition(), events)
        await settle(pilot)
        main = ui.app.screen_main
        assert main.query_one(FlightTable).row_count == 4
        assert main.query_one(NarrationBar).text == "S1 is the leader; watch the heartbeats"
        assert len(main.query_one(EventLog).history) == len(events)
        assert main.query_one(ClusterMap)._drops  # the dropped MsgApp is marked on the map


# ------------------------------------------------------------------ failures and alarms


async def test_a_simulation_failure_is_shown_not_hung(ui: Any, text_of: Any) -> None:
    async with ui.app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        ui.app.post_message(SimulationFailed("ExceptionGroup: ValueError('boom')"))
        await settle(pilot)
        assert "SIMULATION FAILED" in text_of(ui.app)
        assert ui.app.screen_main.query_one(StatusBar).has_class("-violation")
        await pilot.press("q")
    assert ui.app.return_code == 0


async def test_a_safety_violation_cannot_be_missed(ui: Any, views: Any, text_of: Any) -> None:
    async with ui.app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        violation = SafetyViolation(12_345, 9, "election-safety", (1, 2), "two leaders in term 3")
        ui.controller.replace_view(views.violation(), (violation,))
        await settle(pilot)
        text = text_of(ui.app)
        assert "1 SAFETY VIOLATION" in text
        assert "SAFETY VIOLATION: election-safety" in text
        assert ui.app.screen_main.query_one(StatusBar).has_class("-violation")
        assert any("election-safety" in n.message for n in ui.app._notifications)


async def test_an_unsafe_variant_is_named_in_red_while_it_is_on(
    ui: Any, views: Any, text_of: Any
) -> None:
    async with ui.app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "UNSAFE" not in text_of(ui.app)
        unsafe = dataclasses.replace(views.five(), unsafe=("no-log-check", "forget-vote"))
        ui.controller.replace_view(unsafe)
        await settle(pilot)
        bar = ui.app.screen_main.query_one(StatusBar)
        # Even at 80 columns, on a line of its own, and in the violation colour.
        assert "UNSAFE: no-log-check, forget-vote" in text_of(ui.app)
        rendered = bar.render()
        start = rendered.plain.index(" UNSAFE: ")
        (style,) = {span.style for span in rendered.spans if span.start == start}
        red = Palette.from_variables(ui.app.theme_variables).badge("raft-violation")
        assert style == red and red.bgcolor is not None
        assert not bar.has_class("-violation")  # a warning, not yet a violation
        ui.controller.replace_view(views.five())
        await settle(pilot)
        assert "UNSAFE" not in text_of(ui.app)


async def test_narration_is_shown_prominently(ui: Any, text_of: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        ui.controller.publish((Narration(12_000, 5, "Now crash the leader"),))
        await settle(pilot)
        assert "» Now crash the leader" in text_of(ui.app)


# ------------------------------------------------------------------ animation


async def test_no_timer_while_paused_and_one_while_messages_fly(make_ui: Any) -> None:
    wall = [100.0]
    ui = make_ui(animate=True, clock=lambda: wall[0])
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert ui.app._timer is None  # paused: nothing renders by itself
        await pilot.press("space")
        assert ui.app._timer is not None  # running with messages in the air
        wall[0] += 0.01  # 10 ms at ×1: every message moves on
        ui.app._on_frame()
        assert ui.app._sim_now() == pytest.approx(12_355)
        await pilot.press("space")
        assert ui.app._timer is None


async def test_no_timer_when_nothing_is_in_flight(make_ui: Any, views: Any) -> None:
    view = dataclasses.replace(views.five(), flights=())
    ui = make_ui(view, animate=True, paused=False)
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert ui.app._timer is None


# ------------------------------------------------------------------ themes


def test_unknown_theme_is_a_one_line_error(make_ui: Any) -> None:
    with pytest.raises(ValueError, match="unknown theme 'nope'"):
        make_ui(theme="nope")


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_every_raft_theme_defines_every_variable(theme: str) -> None:
    variables = THEMES[theme].variables
    assert set(RAFT_VARIABLES) <= set(variables)


def test_projector_text_is_opaque() -> None:
    generated = THEMES["raft-projector"].to_color_system().generate()
    merged = {**generated, **THEMES["raft-projector"].variables}
    for name in ("text", "text-muted", "foreground-muted", "border-blurred", "raft-muted"):
        value = merged[name]
        assert value.startswith("#") and len(value) == 7, (name, value)


async def test_switching_theme_restyles_everything(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = ui.app.theme_variables["raft-leader"]
        ui.app.theme = "raft-light"
        await settle(pilot)
        assert ui.app.theme_variables["raft-leader"] != before
        cluster_map = ui.app.screen_main.query_one(ClusterMap)
        cells = cluster_map._ensure_canvas()
        colours = {style.bgcolor for row in cells for _, style in row if style.bgcolor}
        assert any(
            c.triplet and c.triplet.hex.upper() == THEMES["raft-light"].variables["raft-leader"]
            for c in colours
        )


async def test_textual_themes_get_raft_colours_too(make_ui: Any) -> None:
    ui = make_ui(theme="textual-light")
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert set(RAFT_VARIABLES) <= set(ui.app.theme_variables)


async def test_no_color_keeps_everything_readable(
    monkeypatch: pytest.MonkeyPatch, make_ui: Any, text_of: Any
) -> None:
    """Without colour every state still has its glyph or word."""
    monkeypatch.setenv("NO_COLOR", "1")
    ui = make_ui()
    assert ui.app.no_color
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        text = text_of(ui.app)
        for mark in ("★ LEADER", "○ FOLLOWER", "▶S1", "PAUSED", "SAFE", "A→", "a✗", "✓", "→"):
            assert mark in text, mark


# ------------------------------------------------------------------ command palette, services


async def test_every_key_is_in_the_command_palette(ui: Any) -> None:
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        titles = [command.title for command in ui.app.get_system_commands(ui.app.screen)]
        for binding in RaftvizApp.BINDINGS:
            if binding.show and binding.action not in ("quit", "select(1)"):  # type: ignore[union-attr]
                assert any(binding.description in title for title in titles), binding  # type: ignore[union-attr]
        assert "Select S3" in titles and "Theme: raft-projector" in titles
        crash = next(
            c for c in ui.app.get_system_commands(ui.app.screen) if c.title.startswith("Crash")
        )
        await crash.callback()
        assert ui.controller.commands == ["crash 1"]


async def test_services_start_after_the_first_frame_and_stop_on_exit(make_ui: Any) -> None:
    log: list[str] = []

    class Service:
        async def start(self, app: Any) -> None:
            log.append(f"start {app.view is not None}")

        async def stop(self) -> None:
            log.append("stop")

    ui = make_ui(services=[Service()])
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert log == ["start True"]
        await pilot.press("q")
    assert log == ["start True", "stop"]


# ------------------------------------------------------------------ partition command


@pytest.mark.parametrize(
    ("node", "ids", "command"),
    [
        (1, range(1, 6), "partition 1,2 | 3,4,5"),
        (5, range(1, 6), "partition 1,5 | 2,3,4"),
        (2, range(1, 4), "partition 2 | 1,3"),
        (3, range(1, 5), "partition 3 | 1,2,4"),
        (9, range(1, 10), "partition 1,2,3,9 | 4,5,6,7,8"),
    ],
)
def test_partition_command_leaves_a_quorum_outside(node: int, ids: range, command: str) -> None:
    assert partition_command(node, ids) == command
    minority = command.split()[1].split(",")
    assert len(minority) < len(ids) / 2


# ------------------------------------------------------------------ logs follow the tail


async def test_logs_follow_the_tail_unless_scrolled_back(ui: Any, views: Any, text_of: Any) -> None:
    from raftviz.core.sim.events import EntryView
    from raftviz.widgets import LogGrid

    def with_log(length: int) -> Any:
        view = views.five()
        log = tuple(EntryView(3, i, "") for i in range(1, length + 1))
        nodes = tuple(
            dataclasses.replace(n, log=log, last_index=length, commit=length - 2, progress=())
            for n in view.nodes
        )
        return dataclasses.replace(view, nodes=nodes)

    async with ui.app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ui.controller.replace_view(with_log(200))
        await settle(pilot)
        grid = ui.app.screen_main.query_one(LogGrid)
        assert "200" in text_of(ui.app)  # the ruler shows the last multiple of 5
        grid.scroll_to(x=0, animate=False, immediate=True)
        await settle(pilot)
        ui.controller.replace_view(with_log(210))
        await settle(pilot)
        assert grid.scroll_x == 0  # the user is reading old entries: do not yank the view
        grid.scroll_to(x=grid.max_scroll_x, animate=False, immediate=True)
        ui.controller.replace_view(with_log(230))
        await settle(pilot)
        assert "230" in text_of(ui.app)


def test_the_fake_is_a_controller(ui: Any) -> None:
    """The tests drive the app through exactly the protocol the runtime implements."""
    from raftviz.controller import Controller

    assert isinstance(ui.controller, Controller)


async def test_the_map_never_shows_a_stale_row(ui: Any, views: Any) -> None:
    """Several updates between two frames (a busy run) must still draw the latest picture."""
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        cluster_map = ui.app.screen_main.query_one(ClusterMap)
        view = views.five()
        cluster_map.update_cluster(view, selected=3)
        await settle(pilot)
        for step in range(4):  # no frame in between
            nodes = tuple(
                dataclasses.replace(n, election_elapsed=step, alive=n.id != 1 or step < 2)
                for n in view.nodes
            )
            cluster_map.update_cluster(dataclasses.replace(view, nodes=nodes), selected=3)
        drawn = "\n".join(strip.text for strip in cluster_map._ensure_strips())
        canvas = "\n".join("".join(c for c, _ in row) for row in cluster_map._ensure_canvas())
        assert drawn == canvas
        assert "✖ CRASHED" in drawn
