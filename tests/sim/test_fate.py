"""Each message's fate: manual delivery, deliver / drop / duplicate / hold / release by hand,
the next-event preview, and breakpoints."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raftviz.cli import main
from raftviz.core.raft.messages import MsgType
from raftviz.core.raft.rawnode import RawNode
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import parse_script
from raftviz.core.sim.cluster import Cluster, Settings
from raftviz.core.sim.events import (
    Event,
    FlightChanged,
    MessageDelivered,
    MessageDropped,
    MessageEvent,
    MessageSent,
    NextEvent,
)


def play(text: str) -> tuple[Executor, list[Event], list[str]]:
    """Runs a script; returns its executor, every event, and what it printed."""
    script = parse_script(text, "t.raft")
    printed: list[str] = []
    executor = Executor(script.cluster, output=printed.append)
    events: list[Event] = []
    for located in script.commands:
        executor.run(located.command, located.line)
        events += executor.cluster.drain()
    return executor, events, printed


def landed(events: list[Event]) -> list[MessageEvent]:
    return [e for e in events if isinstance(e, MessageDelivered | MessageDropped)]


def failures(executor: Executor) -> list[str]:
    return [f"{f.command}: {f.message}" for f in executor.failures]


# ------------------------------------------------------------------ the fate of one message


ELECTION = """
cluster nodes=3 prevote=false auto-tick=false
set delivery=manual
campaign 1
drop 1->2 MsgVote
deliver 1->3 MsgVote
{fate} 3->1 MsgVoteResp
campaign 2
stabilize
campaign 2
stabilize
"""


def test_a_dropped_vote_response_changes_who_wins() -> None:
    kept, _, _ = play(ELECTION.format(fate="deliver"))
    lost, events, _ = play(ELECTION.format(fate="drop"))
    assert kept.failures == lost.failures == []
    # S3's vote made S1 leader of term 1; S2's later campaigns find S1 and S3 loyal to it.
    assert (kept.cluster.leader(), kept.cluster.nodes[1].raw.raft.term) == (1, 1)
    # Without it nobody wins term 1 (S2 too was refused there: S1 and S3 had voted), and S2
    # wins term 2.
    assert (lost.cluster.leader(), lost.cluster.nodes[2].raw.raft.term) == (2, 2)
    dropped = [e for e in events if isinstance(e, MessageDropped)]
    assert [(e.frm, e.to, e.type, e.reason) for e in dropped] == [
        (1, 2, "MsgVote", "by hand"),
        (3, 1, "MsgVoteResp", "by hand"),
    ]


def test_a_duplicated_append_is_delivered_twice_and_changes_nothing() -> None:
    executor, events, _ = play(
        """
        cluster nodes=3 auto-tick=false
        campaign 1
        stabilize
        set delivery=manual
        propose 1 x=1
        duplicate 1->2 MsgApp
        stabilize
        expect converged violations=0 node=2 kv.x=1 log=(1/1,1/2)
        """
    )
    assert executor.failures == []
    apps = [e for e in landed(events) if e.to == 2 and "x=1" in (x.data for x in e.msg.entries)]
    assert len(apps) == 2 and apps[0].msg == apps[1].msg
    assert all(isinstance(e, MessageDelivered) for e in apps)
    (copied,) = [i for i, e in enumerate(events) if isinstance(e, FlightChanged)]
    copy = events[copied]
    assert isinstance(copy, FlightChanged) and copy.what == "duplicated"
    assert copy.flight == apps[1].flight > apps[0].flight
    # The copy was sent as a message of its own, just before it was reported as a copy.
    assert events[copied - 1] == MessageSent(
        copy.time_ms, copy.seq - 1, copy.flight, apps[0].msg, copy.sent_ms, copy.deliver_ms
    )
    logs = {tuple(n.log) for n in executor.cluster.view().nodes}
    assert len(logs) == 1


def test_a_held_message_waits_100_ticks_and_arrives_on_release() -> None:
    c = Cluster(Settings(nodes=3, seed=1, auto_tick=False, prevote=False))
    c.campaign(1)
    c.stabilize()
    c.tick(1)  # a heartbeat to each follower
    (flight,) = c.select(1, 2, MsgType.MsgHeartbeat)
    c.hold(flight)
    assert c.view().held == (flight,)
    c.drain()
    for _ in range(100):
        c.tick(1)
        c.advance_to(c.time_ms + 100)
    assert flight in c.flights
    delivered = {e.flight for e in c.drain() if isinstance(e, MessageDelivered)}
    assert flight not in delivered and len(delivered) > 100
    c.release(flight)
    assert c.peek() == NextEvent("deliver", flight, c.time_ms)  # long overdue: due now
    c.advance_to(c.time_ms)
    events = c.drain()
    assert [e.what for e in events if isinstance(e, FlightChanged)] == ["released"]
    assert [e.flight for e in landed(events)] == [flight]
    assert flight not in c.flights and c.view().held == ()


def test_manual_delivery_keeps_messages_in_flight_and_deliver_picks_one() -> None:
    c = Cluster(Settings(nodes=3, seed=3, prevote=False))
    c.set_delivery(manual=True)
    c.campaign(1)
    to2, to3 = c.select(1, 2, MsgType.MsgVote) + c.select(1, 3, MsgType.MsgVote)
    c.advance_to(c.time_ms + 800)  # far past any flight time, with every node ticking
    assert {to2, to3} <= c.flights.keys()
    assert c.nodes[2].raw.raft.election_elapsed > 0
    assert c.view().delivery == "manual" and "manual delivery" in c.view().network
    assert not landed(c.drain())
    c.deliver(to3)  # sent after to2, delivered before it
    assert [e.flight for e in landed(c.drain())] == [to3]
    assert to2 in c.flights and c.nodes[3].raw.raft.vote == 1


def test_back_to_auto_a_waiting_message_arrives_when_due_or_at_once() -> None:
    c = Cluster(Settings(nodes=3, seed=3, prevote=False, auto_tick=False))
    c.set_delivery(manual=True)
    c.campaign(1)
    early, late = (c.flights[f] for f in sorted(c.flights))
    c.advance_to(early.deliver_ms)  # in manual mode, early is now overdue; late may be too
    c.set_delivery(manual=False)
    c.advance_to(max(late.deliver_ms, c.time_ms))
    arrived = {e.flight: e.time_ms for e in landed(c.drain())}
    assert arrived[early.flight] == early.deliver_ms
    assert arrived[late.flight] == max(late.deliver_ms, early.deliver_ms)


def test_waiting_messages_alone_never_make_time_wait_for_them() -> None:
    """Without ticks, messages waiting for a command are all there is: nothing is scheduled,
    so a step says so and a `run until` gives up at once rather than spin."""
    executor, _, _ = play(
        """
        cluster nodes=3 auto-tick=false
        set delivery=manual
        campaign 1
        hold 1->2
        step
        run until leader
        """
    )
    assert executor.cluster.next_time() is None and executor.cluster.peek() is None
    assert failures(executor) == [
        "step: nothing is scheduled to happen",
        "run until leader: nothing left to happen: expected a leader, got none",
    ]
    assert len(executor.cluster.flights) == 2 and executor.cluster.time_ms == 60_000


def test_a_hand_delivered_message_still_meets_the_network() -> None:
    c = Cluster(Settings(nodes=3, seed=1, auto_tick=False, prevote=False))
    c.set_delivery(manual=True)
    c.campaign(1)
    c.cut(1, 3, both=True)
    c.crash(2)
    c.deliver(c.select(1, 3)[0])
    c.deliver(c.select(1, 2)[0])
    assert [e.reason for e in landed(c.drain()) if isinstance(e, MessageDropped)] == [
        "cut",
        "crashed",
    ]


def test_stabilize_and_deliver_msgs_leave_held_messages_alone() -> None:
    executor, _, _ = play(
        """
        cluster nodes=3 prevote=false auto-tick=false
        campaign 1
        hold 1->3
        stabilize
        deliver-msgs 3
        expect leader=1 node=3 vote=0
        """
    )
    assert executor.failures == []
    assert [(f.msg.to, f.msg.type) for f in executor.cluster.flights.values()] == [
        (3, MsgType.MsgVote)
    ]


def test_hold_and_release_are_events_with_the_message() -> None:
    _, events, _ = play(
        """
        cluster nodes=3 prevote=false auto-tick=false
        campaign 1
        hold 1->3 MsgVote
        release 1->3
        """
    )
    changed = [(e.what, e.frm, e.to, e.type) for e in events if isinstance(e, FlightChanged)]
    assert changed == [("held", 1, 3, "MsgVote"), ("released", 1, 3, "MsgVote")]


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        (
            "deliver 1->3 MsgApp",
            "no MsgApp 1->3 in flight (in flight: 1->2 MsgVote, 1->3 MsgVote x2)",
        ),
        ("drop 2->1", "no message 2->1 in flight (in flight: 1->2 MsgVote, 1->3 MsgVote x2)"),
        (
            "duplicate 1->3 MsgVote 3",
            "only 2 MsgVote 1->3 in flight, no number 3 (in flight: 1->2 MsgVote, 1->3 MsgVote x2)",
        ),
        (
            "release 1->2",
            "not held (in flight: 1->2 MsgVote, 1->3 MsgVote x2)",
        ),
        ("deliver leader->2", "there is no leader"),
        ("unbreak 1", "no breakpoint 1: none is set"),
    ],
)
def test_no_such_message_says_what_is_in_flight(command: str, problem: str) -> None:
    executor, _, _ = play(
        f"""
        cluster nodes=3 prevote=false auto-tick=false
        set delivery=manual
        campaign 1
        duplicate 1->3
        {command}
        """
    )
    assert failures(executor) == [f"{command}: {problem}"]


def test_hold_twice_and_unbreak_beyond_the_list_are_one_line_errors() -> None:
    executor, _, _ = play(
        """
        cluster nodes=3 prevote=false auto-tick=false
        campaign 1
        hold 1->3
        hold 1->3 MsgVote 1
        break leader
        unbreak 2
        """
    )
    assert failures(executor) == [
        "hold 1->3 MsgVote 1: already held (in flight: 1->2 MsgVote, 1->3 MsgVote (held))",
        "unbreak 2: no breakpoint 2: there is 1: 1 (leader)",
    ]


def test_without_a_number_deliver_takes_the_oldest_and_hold_takes_all() -> None:
    executor, events, _ = play(
        """
        cluster nodes=3 prevote=false auto-tick=false
        set delivery=manual
        campaign 1
        duplicate 1->3
        duplicate 1->3
        hold 1->3
        deliver 1->3 MsgVote 2
        deliver 1->3
        """
    )
    assert executor.failures == []
    held = [e.flight for e in events if isinstance(e, FlightChanged) and e.what == "held"]
    assert len(held) == 3
    assert [e.flight for e in landed(events)] == [held[1], held[0]]
    assert executor.cluster.view().held == (held[2],)


# ------------------------------------------------------------------ the next event


actions = st.lists(
    st.one_of(
        st.tuples(st.just("step"), st.integers(1, 30)),
        st.tuples(st.sampled_from(["manual", "auto"]), st.just(0)),
        st.tuples(st.sampled_from(["hold", "release", "deliver", "drop", "copy"]), st.integers()),
        st.tuples(st.sampled_from(["campaign", "crash", "restart", "propose"]), st.integers(1, 3)),
    ),
    max_size=25,
)


def act(c: Cluster, what: str, arg: int) -> None:
    flights = sorted(c.flights)
    node = c.nodes.get(arg)
    if what in ("hold", "release", "deliver", "drop", "copy") and flights:
        flight = flights[arg % len(flights)]
        {
            "hold": c.hold,
            "release": c.release,
            "deliver": c.deliver,
            "drop": c.drop,
            "copy": c.duplicate,
        }[what](flight)
    elif what in ("manual", "auto"):
        c.set_delivery(manual=what == "manual")
    elif what == "campaign" and node and node.alive:
        c.campaign(arg)
    elif what == "crash" and node and node.alive:
        c.crash(arg)
    elif what == "restart" and node and not node.alive:
        c.restart(arg)
    elif what == "propose" and node and node.alive:
        c.propose(arg, "x=1")


def watch_ticks(c: Cluster, ticked: list[int]) -> None:
    """Record in `ticked` which nodes tick (a restart builds a new RawNode: call it again)."""
    for node in c.nodes.values():
        raw = node.raw

        def tick(raw: RawNode = raw, id: int = node.id) -> None:
            ticked.append(id)
            RawNode.tick(raw)

        raw.tick = tick  # type: ignore[method-assign]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 1000), st.booleans(), actions)
def test_peek_says_what_the_next_step_does(
    seed: int, auto_tick: bool, steps: list[tuple[str, int]]
) -> None:
    c = Cluster(Settings(nodes=3, seed=seed, loss=0.1, dup=0.1, auto_tick=auto_tick))
    ticked: list[int] = []
    for what, arg in steps:
        act(c, what, arg)
        for _ in range(arg if what == "step" else 1):
            watch_ticks(c, ticked)
            c.drain()
            ticked.clear()
            expected = c.peek()
            assert c.view().next_event == expected
            held, manual = set(c.held), c.manual
            stepped = c.step_event()
            if expected is None:
                assert not stepped
                break
            assert stepped and c.time_ms == expected.time_ms
            arrived = [e.flight for e in landed(c.drain())]
            if expected.kind == "tick":
                assert ticked == [expected.id]
                assert arrived == []
            else:
                assert ticked == []
                assert arrived[:1] == [expected.id]
                assert expected.id not in held and not manual


# ------------------------------------------------------------------ breakpoints


def test_a_breakpoint_fires_when_its_condition_starts_to_hold() -> None:
    executor, _, printed = play(
        """
        cluster nodes=3 seed=2
        break leader
        run until leader
        run 2s
        crash leader
        run until leader
        run 2s
        """
    )
    fired = [line for line in printed if line.startswith("breakpoint")]
    # Once per election: holding on, it does not fire again; after the crash, it re-arms.
    assert len(fired) == 2
    assert all(line.startswith("breakpoint 1 (leader) fired at ") for line in fired)
    assert executor.failures == []


def test_a_breakpoint_that_already_holds_waits_for_the_next_time() -> None:
    executor, _, printed = play(
        """
        cluster nodes=3 seed=2
        run until leader
        break leader
        run 5s
        crash leader
        run until leader
        run 1s
        """
    )
    assert executor.failures == []
    assert len([line for line in printed if line.startswith("breakpoint 1 (leader)")]) == 1


def test_unbreak_renumbers_and_unbreak_all_clears() -> None:
    executor, _, printed = play(
        """
        cluster nodes=3 seed=2
        break node=1 role=leader
        break leader
        unbreak 1
        run until leader
        unbreak all
        crash leader
        run until leader
        """
    )
    assert executor.failures == [] and executor.breakpoints == []
    assert [line.split(" fired")[0] for line in printed] == ["breakpoint 1 (leader)"]


def test_breakpoints_change_nothing_in_the_run() -> None:
    text = "cluster nodes=5 seed=3 loss=0.1\n{}run 5s\ncrash leader\nrun 5s\n"
    _, plain, _ = play(text.format(""))
    _, watched, _ = play(text.format("break leader\nbreak violations>0\n"))
    assert watched == plain


def test_raftviz_run_prints_the_fired_line_after_its_event_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "b.raft"
    script.write_text("cluster nodes=3 seed=2\nbreak node=1 role=leader\ncampaign 1\nrun 2s\n")
    assert main(["run", str(script)]) == 0
    lines = capsys.readouterr().out.splitlines()
    became = next(i for i, line in enumerate(lines) if "1 became leader" in line)
    at = next(i for i, line in enumerate(lines) if "breakpoint" in line)
    when = lines[became].split()[0]
    assert lines[at] == f"breakpoint 1 (node=1 role=leader) fired at {when}"
    # Right after the events of the step that made it hold, then the run goes on.
    assert became < at and all(line.split()[0] == when for line in lines[became:at])
    assert lines[at + 1].split()[0] != when
    assert lines[-1].startswith("ok: 0 failed checks")


# ------------------------------------------------------------------ determinism


def test_the_same_script_gives_the_same_events() -> None:
    text = """
    cluster nodes=3 seed=5 loss=0.2 dup=0.2
    set delivery=manual
    run 1500ms
    hold 2->1
    duplicate 1->3
    set delivery=auto
    run 2s
    release 2->1
    run 2s
    """
    first, second = play(text)[1], play(text)[1]
    assert len(first) > 100 and first == second
