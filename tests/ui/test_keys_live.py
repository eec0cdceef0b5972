"""Every key of the app against the real stack: Runtime + TrioBridge + RaftvizApp.

`test_keys.py` checks that each key sends the right command to a fake controller; these tests
check that the *cluster* then changed as intended. The runtime starts paused, so simulated time
stands still (a running cluster never looks idle to Pilot) and moves only when a key steps it.
A key reaches Trio asynchronously (`TrioToken.run_sync_soon`), so after each key the tests let
the app run until the cluster shows the effect, or fail after a bounded number of rounds.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import outcome
import pytest
from textual.pilot import Pilot

from raftviz.app import RaftvizApp
from raftviz.bridge import TrioBridge
from raftviz.commands.run import run_script
from raftviz.controller import MAX_SPEED, MIN_SPEED
from raftviz.core.raft.logline import Level
from raftviz.core.raft.messages import StateType
from raftviz.core.raft.raft import Raft
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import ClusterCmd, load_script
from raftviz.core.sim.cluster import Cluster
from raftviz.core.sim.events import ClusterView, Event, MessageDropped
from raftviz.runtime import VIEW_LOG_TAIL, Control, Runtime
from raftviz.widgets import (
    ClusterMap,
    EventLog,
    HelpScreen,
    InspectorScreen,
    PromptScreen,
    StatusBar,
)
from raftviz.widgets.event_log import DropFold, event_actors, format_event
from raftviz.widgets.palette import Palette

Text = Callable[[RaftvizApp], str]

SEED = 1
SIZE = (160, 48)
ROUNDS = 100
"""How many `pilot.pause()` rounds a key may take to show its effect (a few are enough)."""


# ------------------------------------------------------------------ the real stack


@dataclass
class Stack:
    """The app as `raftviz` assembles it (see `cli._tui`), with time frozen."""

    app: RaftvizApp
    bridge: TrioBridge
    runtime: Runtime

    @property
    def cluster(self) -> Cluster:
        return self.runtime.cluster

    def raft(self, node: int) -> Raft:
        return self.cluster.nodes[node].raw.raft

    def in_sync(self) -> bool:
        """The app shows the cluster as it is now (the last batch has reached it)."""
        return self.app.view == self.cluster.view(log_tail=VIEW_LOG_TAIL)

    def notifications(self) -> list[str]:
        return [n.message for n in self.app._notifications]


def make_stack(
    *, nodes: int = 5, seed: int = SEED, speed: float = 1.0, runtime: type[Runtime] = Runtime
) -> Stack:
    return stack_of(
        runtime(
            Executor(ClusterCmd(nodes=nodes, seed=seed), stories=True), speed=speed, paused=True
        )
    )


def stack_of(rt: Runtime) -> Stack:
    bridge = TrioBridge(rt)
    return Stack(RaftvizApp(bridge, services=[bridge]), bridge, rt)


@pytest.fixture
def stack() -> Stack:
    return make_stack()


async def until(
    pilot: Pilot[Any], stack: Stack, holds: Callable[[], bool], what: str, *, synced: bool = True
) -> None:
    """Let the app and the Trio guest run until `holds()` and (unless time is flowing, when it
    can be a frame behind) the app shows the cluster as it is."""
    for _ in range(ROUNDS):
        if holds() and (stack.in_sync() or not synced):
            return
        await pilot.pause()
    raise AssertionError(f"never saw {what} (cluster at {stack.cluster.time_ms}ms)")


async def press_until(
    pilot: Pilot[Any],
    stack: Stack,
    keys: str | Sequence[str],
    holds: Callable[[], bool],
    what: str,
) -> None:
    """Press `keys`, then wait (bounded) for their effect on the cluster."""
    await pilot.press(*([keys] if isinstance(keys, str) else keys))
    await until(pilot, stack, holds, what)


async def started(pilot: Pilot[Any], stack: Stack) -> None:
    """The guest run is up and the app shows the first view."""
    await until(pilot, stack, lambda: stack.bridge._token is not None, "the Trio run start")
    assert stack.runtime.paused and stack.cluster.time_ms == 0


async def type_command(
    pilot: Pilot[Any], stack: Stack, text: str, holds: Callable[[], bool]
) -> None:
    """``:`` TEXT enter, then wait for its effect."""
    await pilot.press("colon")
    assert isinstance(stack.app.screen, PromptScreen)
    await press_until(pilot, stack, [*text, "enter"], holds, f"the effect of :{text}")
    assert not isinstance(stack.app.screen, PromptScreen)


async def command(pilot: Pilot[Any], stack: Stack, text: str, holds: Callable[[], bool]) -> None:
    """Set-up through the controller, as the prompt would do it (typing costs a frame a key)."""
    stack.bridge.command(text)
    await until(pilot, stack, holds, f"the effect of {text!r}")


async def elect(pilot: Pilot[Any], stack: Stack, node: int = 1) -> None:
    """Make `node` the leader, delivering every message at once."""
    await command(
        pilot, stack, f"campaign {node}", lambda: stack.raft(node).state != StateType.StateFollower
    )
    await command(pilot, stack, "stabilize", lambda: stack.cluster.leader() == node)
    assert not stack.cluster.flights


def changed(stack: Stack, before: ClusterView) -> Callable[[], bool]:
    return lambda: stack.cluster.view() != before


def live_followers(stack: Stack) -> list[int]:
    return [
        n.id
        for n in stack.cluster.nodes.values()
        if n.alive and n.raw.raft.state != StateType.StateLeader
    ]


# ------------------------------------------------------------------ time


async def test_space_resumes_and_pauses_simulated_time(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await pilot.press("space")
        await until(pilot, stack, lambda: not stack.runtime.paused, "running", synced=False)
        await until(pilot, stack, lambda: stack.cluster.time_ms > 0, "time", synced=False)
        await press_until(pilot, stack, "space", lambda: stack.runtime.paused, "paused")
        frozen = stack.cluster.view()
        for _ in range(5):
            await pilot.pause()
        assert stack.cluster.view() == frozen
        assert stack.app.screen_main.query_one(StatusBar).info.paused


async def test_full_stop_processes_exactly_one_event(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        # Every flight takes exactly 100 ms, so the pre-votes below all land at the same
        # millisecond: one key must still deliver only one of them.
        stack.bridge.command("set latency=(100ms,100ms)")
        await until(pilot, stack, lambda: stack.cluster.latency == (100, 100), "the latency")
        await press_until(
            pilot, stack, "e", lambda: len(stack.cluster.flights) == 4, "the pre-votes sent"
        )
        ties = 0
        for _ in range(12):
            model = stack.cluster.snapshot()
            due = model.next_time()
            assert model.step_event()
            ties += model.next_time() == model.time_ms
            before = stack.cluster.view()
            await press_until(pilot, stack, "full_stop", changed(stack, before), "a step")
            assert stack.cluster.time_ms == due
            assert stack.cluster.view() == model.view()
            assert stack.cluster.next_time() == model.next_time()
        assert ties >= 2, "the steps never met two events at the same time"
        assert stack.runtime.paused


async def test_comma_advances_one_raft_tick_of_the_whole_cluster(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        ticks = {n.id: n.raw.raft.election_elapsed for n in stack.cluster.nodes.values()}
        tick_ms = stack.cluster.settings.tick_ms
        for _ in range(3):
            model = stack.cluster.snapshot()
            start = model.time_ms
            model.advance_to(start + tick_ms)
            before = stack.cluster.view()
            await press_until(pilot, stack, "comma", changed(stack, before), "a tick step")
            assert stack.cluster.view() == model.view()
            assert stack.cluster.time_ms - start == tick_ms
        # Three steps of one cluster tick: every one of the five nodes ticked three times.
        after = {n.id: n.raw.raft.election_elapsed for n in stack.cluster.nodes.values()}
        assert sum(after.values()) - sum(ticks.values()) == 5 * 3
        assert stack.runtime.paused


async def test_plus_and_minus_change_the_runtime_speed(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        rt = stack.runtime
        await press_until(pilot, stack, "plus", lambda: rt.speed == 2.0, "speed 2")
        await press_until(pilot, stack, ["minus", "minus"], lambda: rt.speed == 0.5, "speed 0.5")
        assert rt.paused and stack.cluster.time_ms == 0  # speed alone never moves frozen time


@pytest.mark.parametrize(
    ("start", "key", "limit"), [(32.0, "plus", MAX_SPEED), (0.25, "minus", MIN_SPEED)]
)
async def test_speed_keys_stop_at_the_limits(start: float, key: str, limit: float) -> None:
    stack = make_stack(speed=start)
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        rt = stack.runtime
        await press_until(pilot, stack, [key, key], lambda: rt.speed == limit, "the limit")
        # Controls apply in order: once the tick step shows, the extra press has been applied.
        await press_until(pilot, stack, [key, "comma"], lambda: stack.cluster.time_ms > 0, "")
        assert rt.speed == limit


# ------------------------------------------------------------------ selection


async def test_digits_select_every_node_of_nine() -> None:
    stack = make_stack(nodes=9)
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        assert stack.app.selected == 1
        for n in (*range(2, 10), 1):
            await pilot.press(str(n))
            assert stack.app.selected == n
            assert stack.app.screen_main.query_one(StatusBar).info.selected == n


async def test_tab_and_shift_tab_cycle_the_selection(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await pilot.press("tab", "tab")
        assert stack.app.selected == 3
        await pilot.press("shift+tab", "shift+tab", "shift+tab")
        assert stack.app.selected == 5
        await pilot.press("9")
        assert stack.app.selected == 5
        assert any("no node 9" in m for m in stack.notifications())


# ------------------------------------------------------------------ node keys


async def test_c_crashes_then_restarts_the_selected_node(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        nodes = stack.cluster.nodes
        await press_until(pilot, stack, ["3", "c"], lambda: not nodes[3].alive, "S3 crashed")
        assert all(nodes[n].alive for n in (1, 2, 4, 5))
        await press_until(pilot, stack, "c", lambda: nodes[3].alive, "S3 restarted")
        assert stack.raft(3).state == StateType.StateFollower


async def test_t_ticks_the_selected_node(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        elapsed = {n: stack.raft(n).election_elapsed for n in stack.cluster.nodes}
        await press_until(
            pilot,
            stack,
            ["2", "t"],
            lambda: stack.raft(2).election_elapsed == elapsed[2] + 1,
            "S2 ticked",
        )
        await press_until(
            pilot,
            stack,
            "t",
            lambda: stack.raft(2).election_elapsed == elapsed[2] + 2,
            "S2 ticked again",
        )
        assert all(stack.raft(n).election_elapsed == elapsed[n] for n in (1, 3, 4, 5))
        assert stack.cluster.time_ms == 0


async def test_e_makes_the_selected_node_campaign(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        assert stack.cluster.settings.prevote
        raft = stack.raft(4)
        await press_until(
            pilot,
            stack,
            ["4", "e"],
            lambda: raft.state == StateType.StatePreCandidate,
            "S4 pre-candidate",
        )
        assert raft.term == 0  # a pre-vote round does not bump the term
        votes = [f.msg for f in stack.cluster.flights.values()]
        assert sorted(m.to for m in votes) == [1, 2, 3, 5]
        assert {m.type.name for m in votes} == {"MsgPreVote"}


async def test_i_isolates_then_rejoins_the_selected_node(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        links = stack.cluster.links
        await press_until(pilot, stack, ["5", "i"], lambda: links.isolated == {5}, "S5 isolated")
        assert stack.app.view is not None and stack.app.view.nodes[4].isolated
        await press_until(pilot, stack, "i", lambda: not links.isolated, "S5 rejoined")


@pytest.mark.parametrize(
    ("node", "minority", "majority"), [(1, {1, 2}, {3, 4, 5}), (4, {1, 4}, {2, 3, 5})]
)
async def test_p_puts_the_selected_node_in_a_minority(
    stack: Stack, node: int, minority: set[int], majority: set[int]
) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        links = stack.cluster.links
        await press_until(pilot, stack, [str(node), "p"], lambda: bool(links.groups), "groups")
        assert links.groups == [frozenset(minority), frozenset(majority)]
        assert links.reason_blocked(node, min(majority)) == "partition"
        # The map draws the two sides apart, the minority left of a labelled wall.
        await pilot.pause()
        layout = stack.app.screen_main.query_one(ClusterMap).layout_info
        assert layout is not None and [wall.label for wall in layout.walls] == ["partition"]
        wall = layout.walls[0].x
        for index in range(5):
            x, _, width, _ = layout.rect(index)
            assert (x + width < wall) == (index + 1 in minority)


async def test_a_partition_s_drops_do_not_push_the_election_out_of_the_log(
    stack: Stack, text_of: Text
) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await elect(pilot, stack, 1)
        links = stack.cluster.links
        await press_until(pilot, stack, ["1", "p"], lambda: bool(links.groups), "a partition")
        start = stack.cluster.time_ms
        await command(pilot, stack, "run 3s", lambda: stack.cluster.time_ms >= start + 3000)
        await pilot.pause()
        log = stack.app.screen_main.query_one(EventLog)
        # One line per cut link (2 x 3 links, each way), however many messages it dropped...
        drops = [item for item in log.lines if isinstance(item, DropFold | MessageDropped)]
        assert 0 < len(drops) <= 12
        assert sum(item.count for item in drops if isinstance(item, DropFold)) > 60
        # ...so the election the partition caused is on screen.
        region = log.content_region
        rows = text_of(stack.app).splitlines()[region.y : region.bottom]
        shown = " ".join(" ".join(row[region.x : region.right] for row in rows).split())
        assert "refused its vote to" in shown and "heard from only" in shown


async def test_h_heals_every_link(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        links = stack.cluster.links
        await press_until(pilot, stack, ["2", "p"], lambda: bool(links.groups), "a partition")
        await press_until(pilot, stack, ["5", "i"], lambda: bool(links.isolated), "isolation")
        await command(pilot, stack, "cut 3>4", lambda: bool(links.cuts))
        assert links.any()
        await press_until(pilot, stack, "h", lambda: not links.any(), "every link healed")
        assert (links.groups, links.isolated, links.cuts) == ([], set(), set())


async def test_r_proposes_to_the_leader_and_stabilize_applies_it_everywhere(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await elect(pilot, stack, 1)
        log = stack.raft(1).raft_log
        last = log.last_index()
        followers = {n: stack.raft(n).raft_log.last_index() for n in (2, 3, 4, 5)}
        await press_until(
            pilot, stack, "r", lambda: log.last_index() == last + 1, "the leader's log grow"
        )
        assert log.slice(last + 1, last + 2)[0].data == "k1=v1"
        assert {n: stack.raft(n).raft_log.last_index() for n in followers} == followers
        await command(
            pilot,
            stack,
            "stabilize",
            lambda: all(n.raw.raft.raft_log.applied > last for n in stack.cluster.nodes.values()),
        )
        for n in stack.cluster.nodes.values():
            assert n.raw.raft.raft_log.last_index() == last + 1
            assert n.kv == {"k1": "v1"}


async def test_r_without_a_leader_is_an_error_not_a_crash(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        before = stack.cluster.view()
        await pilot.press("r")
        await until(
            pilot,
            stack,
            lambda: any("no leader" in m for m in stack.notifications()),
            "the error",
        )
        assert stack.cluster.view() == before
        assert stack.app.is_running


async def test_l_transfers_leadership_to_the_selected_follower(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await elect(pilot, stack, 1)
        term = stack.raft(1).term
        await press_until(
            pilot, stack, ["3", "l"], lambda: stack.raft(1).lead_transferee == 3, "a transfer"
        )
        await command(pilot, stack, "stabilize", lambda: stack.cluster.leader() == 3)
        assert stack.raft(3).term == term + 1
        assert stack.raft(1).state == StateType.StateFollower and stack.raft(1).lead == 3


async def test_f_makes_the_selected_follower_forget_its_leader(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await elect(pilot, stack, 1)
        assert stack.raft(2).lead == 1
        await press_until(pilot, stack, ["2", "f"], lambda: stack.raft(2).lead == 0, "S2 forget")
        assert stack.raft(2).state == StateType.StateFollower
        assert all(stack.raft(n).lead == 1 for n in (3, 4, 5))


async def test_a_aligns_and_s_spreads_the_election_timers(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await press_until(pilot, stack, ["5", "c"], lambda: not stack.cluster.nodes[5].alive, "")
        for _ in range(3):
            before = stack.cluster.view()
            await press_until(pilot, stack, "comma", changed(stack, before), "a tick")
        followers = live_followers(stack)
        assert followers == [1, 2, 3, 4]
        timeouts = {stack.raft(n).randomized_election_timeout for n in followers}
        assert len(timeouts) > 1 and any(stack.raft(n).election_elapsed for n in followers)

        def aligned() -> bool:
            rafts = [stack.raft(n) for n in followers]
            return len({r.randomized_election_timeout for r in rafts}) == 1 and all(
                r.election_elapsed == 0 for r in rafts
            )

        await press_until(pilot, stack, "a", aligned, "aligned timers")

        def spread() -> bool:
            rafts = [stack.raft(n) for n in followers]
            return len({r.randomized_election_timeout for r in rafts}) == len(rafts)

        await press_until(pilot, stack, "s", spread, "spread timers")
        assert all(stack.raft(n).election_elapsed == 0 for n in followers)
        # The log tells them as timer events, not as changes of the network.
        log = stack.app.screen_main.query_one(EventLog)
        await until(pilot, stack, lambda: len(timer_lines(log)) == 2, "two timer lines")
        aligned, spread_line = timer_lines(log)
        assert "timers aligned: S1 S2 S3 S4 time out after" in aligned
        assert "timers spread: S1 " in spread_line
        assert not any("network" in line for line in timer_lines(log))


def timer_lines(log: EventLog) -> list[str]:
    palette = Palette.from_variables(log.app.theme_variables)
    lines = [format_event(e, palette).plain for e in log.lines if isinstance(e, Event)]
    return [line for line in lines if "timers" in line]


# ------------------------------------------------------------------ prompt, save, screens


async def test_colon_runs_a_typed_command_on_the_cluster(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await type_command(pilot, stack, "crash 4", lambda: not stack.cluster.nodes[4].alive)
        await pilot.press("colon")
        assert isinstance(stack.app.screen, PromptScreen)
        stack.app.screen.input.value = "run 1s"
        await press_until(pilot, stack, "enter", lambda: stack.cluster.time_ms == 1000, "1s")
        assert stack.runtime.paused
        # A mistake keeps the prompt open and leaves the cluster alone.
        before = stack.cluster.view()
        await pilot.press("colon")
        prompt = stack.app.screen
        assert isinstance(prompt, PromptScreen)
        prompt.input.value = "crash 12"
        await pilot.press("enter")
        assert stack.app.screen is prompt
        assert any("unknown node 12" in m for m in stack.notifications())
        await pilot.press("escape")
        assert stack.cluster.view() == before


async def test_ctrl_s_saves_a_session_that_replays_to_the_same_state(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        for _ in range(3):
            before = stack.cluster.view()
            await press_until(pilot, stack, "comma", changed(stack, before), "a tick")
        await elect(pilot, stack, 2)
        log = stack.raft(2).raft_log
        last = log.last_index()
        await press_until(pilot, stack, "r", lambda: log.last_index() == last + 1, "a proposal")
        for _ in range(4):
            before = stack.cluster.view()
            await press_until(pilot, stack, "full_stop", changed(stack, before), "a step")
        await press_until(pilot, stack, ["4", "c"], lambda: not stack.cluster.nodes[4].alive, "")
        await command(pilot, stack, "run 500ms", lambda: stack.cluster.time_ms >= 500)
        await pilot.press("ctrl+s")
        assert isinstance(stack.app.screen, PromptScreen)
        saved = tmp_path / stack.app.screen.input.value
        assert saved.name.startswith(f"session-{SEED}-")
        await pilot.press("enter")
        await until(pilot, stack, saved.exists, "the saved file")
        assert not isinstance(stack.app.screen, PromptScreen)
        live = stack.cluster.view()

    out = io.StringIO()
    assert run_script(str(saved), as_json=True, seed=None, out=out) == 0
    report = json.loads(out.getvalue())
    assert report["ok"] and report["time_ms"] == live.time_ms and report["leader"] == 2
    assert report["nodes"] == [_node_report(n) for n in live.nodes]
    assert any(n["kv"] == {"k1": "v1"} for n in report["nodes"])
    # Event for event: the replayed cluster equals the live one, messages in flight included.
    script = load_script(saved)
    replay = Executor(script.cluster, stories=True)  # as live: stories number their events
    for located in script.commands:
        assert replay.run(located.command, located.line), replay.failures
    assert replay.cluster.view() == stack.cluster.view()


def _node_report(node: Any) -> dict[str, Any]:
    """A node of the live view, in `raftviz run --json`'s shape."""
    return {
        "id": node.id,
        "alive": node.alive,
        "role": node.role,
        "term": node.term,
        "lead": node.lead,
        "vote": node.vote,
        "commit": node.commit,
        "applied": node.applied,
        "last_index": node.last_index,
        "last_term": node.log[-1].term if node.log else 0,
        "log": [[e.term, e.index, e.data] for e in node.log],
        "kv": dict(node.kv),
    }


async def test_question_mark_opens_the_help(stack: Stack, text_of: Text) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await pilot.press("question_mark")
        assert isinstance(stack.app.screen, HelpScreen)
        assert "crash the selected node" in text_of(stack.app)
        before = stack.cluster.view()
        await pilot.press("c")  # under a modal, keys do not reach the cluster
        for _ in range(3):
            await pilot.pause()
        assert stack.cluster.view() == before
        await pilot.press("escape")
        assert not isinstance(stack.app.screen, HelpScreen)


async def test_enter_inspects_the_selected_node_live(stack: Stack, text_of: Text) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await elect(pilot, stack, 1)
        await pilot.press("3", "enter")
        screen = stack.app.screen
        assert isinstance(screen, InspectorScreen) and screen.node_id == 3
        assert screen.node is not None and screen.node.role == "follower"
        assert "FOLLOWER" in text_of(stack.app)
        # It follows the live cluster while open.
        await command(pilot, stack, "crash 3", lambda: not stack.cluster.nodes[3].alive)
        assert screen.node is not None and screen.node.role == "crashed"
        await pilot.pause()
        assert "CRASHED" in text_of(stack.app)
        await pilot.press("escape")
        assert not isinstance(stack.app.screen, InspectorScreen)


async def test_n_and_v_filter_the_live_event_log(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await elect(pilot, stack, 1)
        log = stack.app.screen_main.query_one(EventLog)
        everything = len(log.lines)
        assert everything > 0
        await pilot.press("n", "n")
        assert log.node_filter == 2
        assert 0 < len(log.lines) < everything
        assert all(not event_actors(e) or 2 in event_actors(e) for e in log.lines)
        await pilot.press("v", "v", "v")  # story -> DEBUG -> INFO -> WARN
        assert log.min_level == Level.WARN
        assert len(log.lines) < everything


async def test_q_quits_and_ends_the_trio_run(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await pilot.press("q")
        await pilot.pause()
        assert not stack.app.is_running
    assert stack.app.return_code == 0
    done = stack.bridge._done
    assert done is not None and done.done()
    assert isinstance(done.result(), outcome.Value)


# ------------------------------------------------------------------ user text is shown as text

MARKUP = "[/x]"
"""A closing tag that closes nothing: parsed as markup it raises, so it must show as typed."""


async def test_a_typed_command_with_markup_fails_politely(stack: Stack, text_of: Text) -> None:
    async with stack.app.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot, stack)
        await pilot.press("colon", *f"crash {MARKUP}", "enter")
        await pilot.pause()
        assert stack.app.is_running and isinstance(stack.app.screen, PromptScreen)
        assert any(MARKUP in m for m in stack.notifications())
        assert MARKUP in text_of(stack.app)


async def test_saving_to_a_path_with_markup_shows_the_path(stack: Stack, text_of: Text) -> None:
    path = f"/nonexistent/{MARKUP}.raft"
    async with stack.app.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot, stack)
        await pilot.press("ctrl+s")
        prompt = stack.app.screen
        assert isinstance(prompt, PromptScreen)
        prompt.input.value = path
        await pilot.press("enter")
        await pilot.pause()
        assert stack.app.is_running and stack.app.screen is prompt
        assert f"✖ {path}: cannot save" in text_of(stack.app)


async def test_a_played_script_failing_on_markup_fails_politely(
    tmp_path: Path, text_of: Text
) -> None:
    path = tmp_path / "markup.raft"
    path.write_text(
        "cluster seed=1\n"
        "run until leader\n"
        'propose "[/x]=[/y]"\n'
        "run 1s\n"
        f"expect node=1 kv.{MARKUP}=2\n"
        "pause\n"  # then time stands still, and Pilot sees an idle app
    )
    script = load_script(path)
    stack = stack_of(Runtime(Executor(script.cluster), speed=64, script=script.commands))
    async with stack.app.run_test(size=SIZE, notifications=True) as pilot:
        await until(
            pilot,
            stack,
            lambda: any("expect" in m for m in stack.notifications()),
            "the failed expect",
            synced=False,
        )
        await pilot.pause()
        assert stack.app.is_running and stack.runtime.paused
        assert any(f"kv.{MARKUP}=2" in m for m in stack.notifications())
        assert f"kv.{MARKUP}" in text_of(stack.app)


# ------------------------------------------------------------------ a failure on the Trio side


class BrokenRuntime(Runtime):
    """Publishes the first view like the real runtime, then dies on the first control."""

    def _apply(self, control: Control) -> None:
        raise RuntimeError("simulation bug: boom")


async def test_a_trio_failure_is_shown_and_q_still_quits(text_of: Text) -> None:
    stack = make_stack(runtime=BrokenRuntime)
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await pilot.press("c")
        status = stack.app.screen_main.query_one(StatusBar)
        await until(pilot, stack, lambda: status.info.failure is not None, "the failure")
        # What failed, not just "Exceptions from Trio nursery".
        assert status.info.failure == "RuntimeError: simulation bug: boom"
        await pilot.pause()
        assert "SIMULATION FAILED: RuntimeError: simulation bug: boom" in text_of(stack.app)
        assert any("simulation bug: boom" in m for m in stack.notifications())
        assert stack.cluster.nodes[1].alive
        assert stack.app.is_running
        # Later keys say the simulation has stopped, rather than failing or hanging.
        await pilot.press("h")
        await until(
            pilot,
            stack,
            lambda: any("has stopped" in m for m in stack.notifications()),
            "the stopped notice",
        )
        await pilot.press("q")
        await pilot.pause()
        assert not stack.app.is_running
    done = stack.bridge._done
    assert done is not None and done.done()
    assert isinstance(done.result(), outcome.Error)
