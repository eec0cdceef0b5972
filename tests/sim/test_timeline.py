"""The timeline: every position of a session can be gone back to, replayed, branched from and
saved as a script that `raftviz run` replays to the same state."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raftviz.core.explore.timeline import Timeline
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import ClusterCmd, parse_command, parse_script
from raftviz.core.sim.events import ClusterView

ACTIONS = (
    "crash 1",
    "restart 1",
    "propose leader x=1",
    "propose 2 y=2",
    "isolate 2",
    "rejoin 2",
    "heal",
    "campaign 3",
    "partition 1,2 3,4,5",
    'mark "here"',
    "tick 4 count=3",
)


def _act(tl: Timeline, text: str) -> bool:
    command = parse_command(text, nodes=5)
    assert command is not None
    return tl.act(command, lambda: tl.executor.run(command))


def _timeless(view: ClusterView) -> ClusterView:
    """A position is the state after its event; the clock of the live end may stand later."""
    return replace(view, time_ms=0)


def _replayed(text: str) -> Executor:
    script = parse_script(text, "session.raft")
    replay = Executor(script.cluster, stories=True)
    for located in script.commands:
        assert replay.run(located.command, located.line), replay.failures
    return replay


def _random_session(
    tl: Timeline, rng: random.Random, moves: int
) -> dict[tuple[int, int], ClusterView]:
    """Random time, steps and actions; the view at every position reached, by branch."""
    c = tl.cluster
    seen = {(tl.branch, tl.cursor): _timeless(c.view())}
    for _ in range(moves):
        r = rng.random()
        if r < 0.45:
            c.advance_to(c.time_ms + rng.randrange(1, 400))
        elif r < 0.65:
            for _ in range(rng.randrange(1, 5)):
                c.step_event()
        else:
            _act(tl, rng.choice(ACTIONS))
        tl.note(c.drain())
        seen[(tl.branch, tl.cursor)] = _timeless(c.view())
    return seen


def _new(seed: int = 3, every: int = 300) -> Timeline:
    return Timeline(Executor(ClusterCmd(nodes=5, seed=seed), stories=True), snapshot_every=every)


def test_a_failed_action_still_finished_its_millisecond_in_the_saved_script() -> None:
    """`restart 1` on a live node fails, but only after finishing millisecond 0, where node 5
    ticks: the saved script says so (`run 0ms`) before the failed command's comment."""
    tl = _new(332, every=40)
    assert not _act(tl, "restart 1")
    tl.note(tl.cluster.drain())
    script = tl.script("cluster nodes=5 seed=332")
    assert script.splitlines()[1:] == ["run 0ms", "# failed: restart 1"]
    assert _replayed(script).cluster.view() == tl.cluster.view()


def test_every_position_reached_can_be_gone_back_to_and_forward_again() -> None:
    tl = _new()
    seen = _random_session(tl, random.Random(1), 80)
    live = tl.cluster.view()
    assert len(tl.view().branches) == 1 and tl.length > 600
    for (_, position), view in sorted(seen.items(), key=lambda kv: -kv[0][1]):
        tl.goto(position)
        assert _timeless(tl.cluster.view()) == view, position
    tl.goto(tl.length)
    assert tl.cluster.view() == live  # the live end, its clock included


def test_rewinding_fifty_events_then_forward_fifty_gives_the_same_state() -> None:
    tl = _new()
    _random_session(tl, random.Random(2), 60)
    tl.goto(tl.length)
    live = tl.cluster.view()
    for _ in range(50):
        tl.goto(tl.cursor - 1)
    assert tl.cursor == tl.length - 50 and not tl.live
    for _ in range(50):
        tl.goto(tl.cursor + 1)
    assert tl.live and tl.cluster.view() == live


def test_the_script_of_any_position_replays_to_exactly_its_state() -> None:
    tl = _new()
    seen = _random_session(tl, random.Random(4), 70)
    header = "cluster nodes=5 seed=3"
    assert _replayed(tl.script(header)).cluster.view() == tl.cluster.view()
    for position in random.Random(5).sample(sorted(p for _, p in seen), 12):
        tl.goto(position)
        assert _replayed(tl.script(header)).cluster.view() == tl.cluster.view(), position


def test_a_session_stepped_into_a_millisecond_saves_as_run_then_step() -> None:
    tl = _new()
    c = tl.cluster
    c.advance_to(3000)
    while c.next_time() != c.time_ms:  # into a millisecond with more events to come
        c.step_event()
    lines = tl.lines()
    assert lines[-1].startswith("step ") and lines[-2].startswith("run ")
    replay = _replayed(tl.script("cluster nodes=5 seed=3"))
    assert replay.cluster.view() == c.view() and replay.cluster.next_time() == c.time_ms


def test_acting_in_the_past_forks_a_branch_and_keeps_the_old_future() -> None:
    tl = _new()
    _random_session(tl, random.Random(6), 40)
    old_end = tl.cluster.view()
    old_length = tl.length
    tl.goto(old_length // 2)
    assert _act(tl, "crash 5")
    branches = tl.view().branches
    assert [(b.number, b.name, b.parent, b.fork) for b in branches] == [
        (0, "main", None, 0),
        (1, "crash 5", 0, old_length // 2),
    ]
    assert tl.live and tl.length == old_length // 2 + 1
    assert not tl.cluster.nodes[5].alive
    tl.goto(old_length, branch=0)
    assert tl.cluster.view() == old_end


def test_going_back_says_which_events_shown_before_still_hold() -> None:
    tl = _new()
    c = tl.cluster
    c.advance_to(3000)
    tl.note(c.drain())
    middle = tl.cursor // 2
    seq_then = c.event_seq
    events, undone_after = tl.goto(middle)
    assert events == [] and undone_after is not None and undone_after < seq_then
    events, undone_after = tl.goto(middle + 5)  # forward: news, nothing undone
    assert undone_after is None and events and events[0].seq > 0
    _act(tl, "crash 1")  # a branch off the middle
    events, undone_after = tl.goto(tl.length + 10**6, branch=0)
    assert undone_after is not None and all(e.seq > undone_after for e in events)


def test_undo_goes_back_to_just_before_the_last_action() -> None:
    tl = _new()
    tl.cluster.advance_to(2000)
    before = tl.cluster.view()
    _act(tl, "crash 2")
    tl.cluster.advance_to(2500)
    last = tl.last_act()
    assert last is not None
    tl.goto(last)
    assert tl.cluster.view() == before


def test_time_going_on_in_the_past_follows_the_recorded_future_until_it_acted() -> None:
    tl = _new()
    c = tl.cluster
    c.advance_to(1500)
    _act(tl, "crash 3")
    at_crash = tl.cursor - 1
    c.advance_to(2500)
    tl.goto(at_crash - 10)
    for _ in range(10):
        c.step_event()
    assert tl.cursor == at_crash and len(tl.view().branches) == 1
    c.step_event()  # the recorded future crashed node 3 here; this run did not
    assert [b.name for b in tl.view().branches] == ["main", "time went on"]
    assert tl.live and c.nodes[3].alive


def test_stories_and_marks_are_found_by_position() -> None:
    tl = _new()
    c = tl.cluster
    c.advance_to(3000)
    _act(tl, 'mark "first leader"')
    _act(tl, "crash 4")
    c.advance_to(3500)
    _act(tl, "restart 4")
    c.advance_to(4000)
    tl.note(c.drain())
    marks = tl.marks()
    assert [m.label for m in marks] == ["first leader"]
    kinds = {x.kind for x in tl.view().landmarks}
    assert {"election", "leader", "mark", "crash", "restart"} <= kinds
    story = tl.story_before(tl.cursor)
    assert story is not None and tl.story_after(story - 1) == story
    leader = next(x for x in tl.view().landmarks if x.kind == "leader")
    tl.goto(leader.position)
    node = int(leader.label.split()[0][1:])
    assert c.nodes[node].raw.raft.state.name == "StateLeader"
    tl.goto(leader.position - 1)
    assert c.nodes[node].raw.raft.state.name != "StateLeader"


def test_snapshots_stay_within_their_budget_and_jumps_stay_exact() -> None:
    tl = Timeline(
        Executor(ClusterCmd(nodes=5, seed=7), stories=True), snapshot_every=50, budget=2**20
    )
    seen = _random_session(tl, random.Random(8), 120)
    assert tl.snapshot_bytes <= 2**20 and tl.every > 50  # thinned, spaced wider
    for (_, position), view in sorted(seen.items())[::7]:
        tl.goto(position)
        assert _timeless(tl.cluster.view()) == view


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(1, 1000),
    moves=st.lists(
        st.one_of(
            st.tuples(st.just("run"), st.integers(1, 600)),
            st.tuples(st.just("step"), st.integers(1, 6)),
            st.tuples(st.just("act"), st.sampled_from(ACTIONS)),
            st.tuples(st.just("rewind"), st.integers(0, 10_000)),
            st.tuples(st.just("branch"), st.integers(0, 5)),
        ),
        max_size=30,
    ),
)
def test_any_position_equals_replaying_its_branch_script(
    seed: int, moves: list[tuple[str, object]]
) -> None:
    """Random sessions of commands, rewinds and branch switches: wherever the cursor stands,
    the cluster equals `raftviz run` of the branch's script up to there."""
    tl = _new(seed, every=40)
    c = tl.cluster
    header = f"cluster nodes=5 seed={seed}"
    for kind, value in moves:
        if kind == "run" and tl.live:
            c.advance_to(c.time_ms + int(str(value)))
        elif kind == "step" and tl.live:
            for _ in range(int(str(value))):
                c.step_event()
        elif kind == "act":
            _act(tl, str(value))
        elif kind == "rewind":
            tl.goto(int(str(value)) % (tl.length + 1))
        elif kind == "branch":
            branches = tl.view().branches
            target = branches[int(str(value)) % len(branches)]
            tl.goto(target.length, branch=target.number)
        tl.note(c.drain())
        assert _replayed(tl.script(header)).cluster.view() == c.view()
