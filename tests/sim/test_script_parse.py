"""The script language's parser: commands, conditions, round trips through to_text, errors."""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO

import pytest
from hypothesis import given
from hypothesis import strategies as st

from raftviz.core.raft.unsafe import UNSAFE
from raftviz.core.script.parse import (
    COMMANDS,
    MAX_DURATION_MS,
    MAX_SCRIPT_BYTES,
    MAX_SEED,
    MAX_TICK_COUNT,
    MSG_TYPES,
    ROLES,
    AlignTimersCmd,
    BreakCmd,
    CampaignCmd,
    ClusterCmd,
    Command,
    Compare,
    Condition,
    ConditionTerm,
    Converged,
    CrashCmd,
    CutCmd,
    DeliverCmd,
    DeliverMsgsCmd,
    DropCmd,
    DuplicateCmd,
    ExpectCmd,
    ForgetLeaderCmd,
    HasLeader,
    HasViolations,
    HealCmd,
    HoldCmd,
    IsolateCmd,
    KvIs,
    LeaderIs,
    Located,
    LogIs,
    MarkCmd,
    NodeRef,
    NoViolations,
    PartitionCmd,
    PauseCmd,
    ProposeCmd,
    RaftLogCmd,
    RaftStateCmd,
    RejoinCmd,
    ReleaseCmd,
    RestartCmd,
    RoleIs,
    RunCmd,
    RunUntilCmd,
    SayCmd,
    ScriptError,
    SetCmd,
    SetRandomizedElectionTimeoutCmd,
    SpreadTimersCmd,
    StabilizeCmd,
    StatusCmd,
    StepCmd,
    TickCmd,
    TickElectionCmd,
    TickHeartbeatCmd,
    TransferLeadershipCmd,
    UnbreakCmd,
    load_script,
    parse_command,
    parse_script,
    parse_seed,
)
from raftviz.core.sim.cluster import Settings


def parse(line: str) -> Command:
    command = parse_command(line, nodes=5)
    assert command is not None
    return command


def cond(*terms: ConditionTerm) -> Condition:
    return Condition(terms)


# ------------------------------------------------------------------ every command

PARSED: list[tuple[str, Command]] = [
    ("run 250ms", RunCmd(250)),
    ("run until leader", RunUntilCmd(cond(HasLeader()))),
    ("run until leader=3 timeout=5s", RunUntilCmd(cond(LeaderIs(3)), 5000)),
    ("step", StepCmd()),
    ("step 12", StepCmd(12)),
    ("stabilize", StabilizeCmd()),
    ("deliver-msgs 2", DeliverMsgsCmd(2)),
    ("deliver-msgs 2 type=MsgVoteResp", DeliverMsgsCmd(2, "MsgVoteResp")),
    ("deliver 1->3", DeliverCmd(1, 3)),
    ("deliver 1->3 MsgApp", DeliverCmd(1, 3, "MsgApp")),
    ("deliver 1->3 MsgApp 2", DeliverCmd(1, 3, "MsgApp", 2)),
    ("deliver leader->3 2", DeliverCmd("leader", 3, None, 2)),
    ("drop 2->1 MsgVoteResp", DropCmd(2, 1, "MsgVoteResp")),
    ("duplicate 1->2 MsgHeartbeat", DuplicateCmd(1, 2, "MsgHeartbeat")),
    ("hold 1->3", HoldCmd(1, 3)),
    ("release 1->3 MsgApp 1", ReleaseCmd(1, 3, "MsgApp", 1)),
    ("campaign 1", CampaignCmd(1)),
    ("tick 3", TickCmd(3)),
    ("tick 3 count=4", TickCmd(3, 4)),
    ("tick count=4 3", TickCmd(3, 4)),
    ("tick-election 4", TickElectionCmd(4)),
    ("tick-heartbeat leader", TickHeartbeatCmd("leader")),
    ("propose x=1", ProposeCmd("x=1")),
    ("propose 2 x=1", ProposeCmd("x=1", 2)),
    ('propose leader "a b"', ProposeCmd("a b")),
    ("propose hello", ProposeCmd("hello")),
    ("propose 3", ProposeCmd("3")),
    ('propose x="a b"', ProposeCmd("x=a b")),
    ("transfer-leadership from=1 to=2", TransferLeadershipCmd(1, 2)),
    ("transfer-leadership to=2 from=leader", TransferLeadershipCmd("leader", 2)),
    ("forget-leader 5", ForgetLeaderCmd(5)),
    ("set-randomized-election-timeout 1 timeout=15", SetRandomizedElectionTimeoutCmd(1, 15)),
    ("align-timers", AlignTimersCmd()),
    ("spread-timers", SpreadTimersCmd()),
    ("crash 2", CrashCmd(2)),
    ("crash leader", CrashCmd("leader")),
    ("restart 2", RestartCmd(2)),
    ("partition 1,2 | 3,4,5", PartitionCmd(((1, 2), (3, 4, 5)))),
    ("partition 1,2|3", PartitionCmd(((1, 2), (3,)))),
    ("partition 1 2 | 3, 4", PartitionCmd(((1, 2), (3, 4)))),
    ("partition leader", PartitionCmd((("leader",),))),
    ("isolate leader", IsolateCmd("leader")),
    ("rejoin 4", RejoinCmd(4)),
    ("cut 1-2", CutCmd(1, 2)),
    ("cut 1>2", CutCmd(1, 2, both_ways=False)),
    ("cut leader - 3", CutCmd("leader", 3)),
    ("cut 1>5 type=MsgApp", CutCmd(1, 5, both_ways=False, msg_type="MsgApp")),
    ("heal", HealCmd()),
    ("set loss=0.1", SetCmd(loss=0.1)),
    ("set dup=1 latency=(1s, 2s)", SetCmd(dup=1.0, latency_ms=(1000, 2000))),
    ("set delivery=manual", SetCmd(delivery="manual")),
    ("set loss=0 delivery=auto", SetCmd(loss=0.0, delivery="auto")),
    ("expect converged violations=0", ExpectCmd(cond(Converged(), NoViolations()))),
    ("break node=3 role=leader", BreakCmd(cond(RoleIs(3, "leader")))),
    ("break violations>0", BreakCmd(cond(HasViolations()))),
    ("unbreak 2", UnbreakCmd(2)),
    ("unbreak all", UnbreakCmd()),
    ('say "Node 1 wins."', SayCmd("Node 1 wins.")),
    ("say hello", SayCmd("hello")),
    ('mark "before the crash"', MarkCmd("before the crash")),
    ("pause", PauseCmd()),
    ("raft-state", RaftStateCmd()),
    ("raft-log 3", RaftLogCmd(3)),
    ("status leader", StatusCmd("leader")),
]


@pytest.mark.parametrize(("line", "expected"), PARSED)
def test_each_command_parses_to_its_object(line: str, expected: Command) -> None:
    assert parse(line) == expected


def test_the_examples_cover_every_command() -> None:
    assert {command.name for _, command in PARSED} | {"cluster"} == set(COMMANDS)


@pytest.mark.parametrize(("line", "expected"), PARSED)
def test_each_command_round_trips_through_to_text(line: str, expected: Command) -> None:
    text = expected.to_text()
    assert parse(text) == expected
    assert text.split()[0] == expected.name


def test_to_text_is_canonical() -> None:
    assert parse("tick   3  count=1 # once").to_text() == "tick 3"
    assert [parse(line).to_text() for line, _ in PARSED[:3]] == [
        "run 250ms",
        "run until leader",
        "run until leader=3 timeout=5s",
    ]
    assert TickCmd(3).to_text() == "tick 3"
    assert ProposeCmd("a b", 2).to_text() == 'propose 2 "a b"'
    assert SetCmd(loss=0.0, latency_ms=(1500, 60_000)).to_text() == "set loss=0 latency=(1500ms,1m)"


def test_command_defaults() -> None:
    assert parse("tick 1") == TickCmd(1, count=1)
    assert parse("run until leader") == RunUntilCmd(cond(HasLeader()), timeout_ms=60_000)
    assert parse("propose x") == ProposeCmd("x", node="leader")
    assert parse("deliver-msgs 1") == DeliverMsgsCmd(1, msg_type=None)
    assert parse("set loss=0") == SetCmd(loss=0.0, dup=None, latency_ms=None)


def test_blank_and_comment_lines_are_nothing() -> None:
    lines = ("", "   ", "# a comment", "  # indented")
    assert [parse_command(line, nodes=5) for line in lines] == [None] * 4


def test_hash_inside_quotes_is_text_and_outside_is_a_comment() -> None:
    assert parse('say "#1 wins" # the winner') == SayCmd("#1 wins")
    assert parse("crash 1#2") == CrashCmd(1)


def test_escapes_in_quoted_strings() -> None:
    assert parse(r'say "a \"quoted\" \\ word"') == SayCmd('a "quoted" \\ word')
    assert parse(r"say a\b") == SayCmd("a\\b")


# ------------------------------------------------------------------ cluster and scripts


def test_cluster_defaults() -> None:
    cluster = parse_script("cluster", "s.raft").cluster
    assert cluster == parse_script("", "s.raft").cluster
    assert (cluster.nodes, cluster.seed, cluster.prevote, cluster.checkquorum) == (5, 1, True, True)
    assert (cluster.election_tick, cluster.heartbeat_tick, cluster.tick_ms) == (10, 1, 100)
    assert cluster.latency_ms == (50, 150)
    assert cluster.settings() == Settings()
    assert (cluster.loss, cluster.dup, cluster.auto_tick) == (0.0, 0.0, True)


def test_cluster_options() -> None:
    text = (
        "cluster nodes=3 seed=7 prevote=false checkquorum=false election-tick=5"
        " heartbeat-tick=2 tick=50ms latency=(10ms,20ms) loss=0.5 dup=0.25 auto-tick=false"
    )
    expected = ClusterCmd(3, 7, False, False, 5, 2, 50, (10, 20), 0.5, 0.25, False)
    assert parse_script(text, "s.raft").cluster == expected
    assert expected.to_text() == text


def test_cluster_unsafe_variants() -> None:
    """`unsafe=a,b` (or the list form) switches unsafe variants on, in the order given; a
    cluster without them never mentions them, so etcd's own Raft saves as it always did."""
    text = "cluster nodes=3 unsafe=forget-vote,no-log-check"
    cluster = parse_script(text, "s.raft").cluster
    assert cluster.unsafe == ("forget-vote", "no-log-check")
    assert cluster.settings().unsafe == ("forget-vote", "no-log-check")
    assert cluster.to_text().endswith(" auto-tick=true unsafe=forget-vote,no-log-check")
    listed = parse_script("cluster nodes=3 unsafe=(forget-vote, no-log-check)", "s.raft").cluster
    assert listed == cluster
    assert "unsafe" not in ClusterCmd().to_text()
    assert ClusterCmd().unsafe == Settings().unsafe == ()


def test_cluster_election_timeout_range_and_timer_rule() -> None:
    """`election-timeout=MIN-MAX` counts whole ticks, sets the election tick to its low end and
    is written back only when given, as `timer-rule` is only when not etcd's."""
    text = "cluster nodes=5 tick=1ms heartbeat-tick=75 election-timeout=150-300ms timer-rule=raft"
    cluster = parse_script(text, "s.raft").cluster
    assert cluster.election_timeout_ms == (150, 300) and cluster.timer_rule == "raft"
    assert cluster.election_tick == 150
    assert cluster.settings().election_ticks() == (150, 300)
    assert cluster.to_text().endswith(" election-timeout=150-300ms timer-rule=raft")
    assert parse_script(cluster.to_text(), "s.raft").cluster == cluster
    assert parse_script(
        "cluster tick=1ms election-timeout=150ms-0.2s", "s.raft"
    ).cluster.election_timeout_ms == (150, 200)
    assert "election-timeout" not in ClusterCmd().to_text()
    assert "timer-rule" not in ClusterCmd().to_text()
    assert Settings().election_ticks() == (10, 19)  # etcd's [election, 2 * election)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ("tick=1ms election-timeout=300-150ms", "the low end must be above 0ms and at most"),
        ("tick=1ms election-timeout=0-150ms", "the low end must be above 0ms"),
        ("election-timeout=150-300ms", "150ms is not a whole number of ticks (tick=100ms"),
        ("tick=1ms election-timeout=150", "must be a range like 150-300ms, got 150"),
        ("tick=1ms election-timeout=2-3ms heartbeat-tick=2", "must be longer than heartbeat-tick"),
        ("tick=1ms election-timeout=150-300ms election-tick=10", "election-tick=10 disagrees"),
        ("timer-rule=paper", "timer-rule must be one of etcd, raft, got paper"),
    ],
)
def test_cluster_election_timeout_errors(options: str, problem: str) -> None:
    with pytest.raises(ScriptError, match=re.escape(problem)):
        parse_script(f"cluster {options}", "s.raft")


def test_script_without_cluster_uses_the_nodes_parameter() -> None:
    script = parse_script("crash 7", "s.raft", nodes=7)
    assert script.cluster == ClusterCmd(nodes=7)
    assert script.commands == (Located(1, CrashCmd(7)),)


def test_script_lines_are_numbered_and_cluster_is_kept_apart() -> None:
    script = parse_script("cluster nodes=3\n\n# why\ncampaign 1\r\nrun 1s\n", "s.raft")
    assert script.cluster == ClusterCmd(nodes=3)
    assert script.commands == (Located(4, CampaignCmd(1)), Located(5, RunCmd(1000)))


def test_cluster_size_bounds_later_nodes() -> None:
    assert parse_script("cluster nodes=9\ncrash 9", "s.raft").commands[0].command == CrashCmd(9)
    with pytest.raises(ScriptError) as info:
        parse_script("cluster nodes=3\n# three nodes\ncrash 4", "scenario.raft", nodes=9)
    assert str(info.value) == "scenario.raft:3: unknown node 4 (cluster has nodes 1-3)"
    with pytest.raises(ScriptError) as info:
        parse_command("crash 2", nodes=1)
    assert str(info.value) == "<prompt>:1: unknown node 2 (cluster has only node 1)"


@pytest.mark.parametrize("text", ["crash 1\ncluster", "cluster\ncluster nodes=3"])
def test_cluster_must_come_first(text: str) -> None:
    with pytest.raises(ScriptError) as info:
        parse_script(text, "s.raft")
    assert str(info.value) == "s.raft:2: cluster must be the first command of a script"


def test_cluster_is_refused_at_the_prompt() -> None:
    with pytest.raises(ScriptError) as info:
        parse_command("cluster nodes=3", nodes=5, filename="<tui>", lineno=4)
    assert str(info.value) == (
        "<tui>:4: cluster cannot be typed at the prompt: it can only start a script"
    )


# ------------------------------------------------------------------ conditions


def test_condition_terms_and_scopes() -> None:
    line = (
        "expect leader leader=2 term=3 term>=2 node=1 role=pre-candidate lead=0 vote=2"
        " commit=4 commit>=3 applied=4 last-index=5 last-term=3 log=(1/1,1/2,3/3)"
        ' kv.x=1 kv.y="a b" converged node=leader term=3 violations=0'
    )
    assert parse(line) == ExpectCmd(
        cond(
            HasLeader(),
            LeaderIs(2),
            Compare(None, "term", "=", 3),
            Compare(None, "term", ">=", 2),
            RoleIs(1, "pre-candidate"),
            Compare(1, "lead", "=", 0),
            Compare(1, "vote", "=", 2),
            Compare(1, "commit", "=", 4),
            Compare(1, "commit", ">=", 3),
            Compare(1, "applied", "=", 4),
            Compare(1, "last-index", "=", 5),
            Compare(1, "last-term", "=", 3),
            LogIs(1, ((1, 1), (1, 2), (3, 3))),
            KvIs(1, "x", "1"),
            KvIs(1, "y", "a b"),
            Converged(),
            Compare("leader", "term", "=", 3),
            NoViolations(),
        )
    )
    assert parse(line).to_text() == line


def test_condition_odds_and_ends() -> None:
    assert parse("expect leader=none") == ExpectCmd(cond(LeaderIs(None)))
    assert parse("expect node=2 log=()") == ExpectCmd(cond(LogIs(2, ())))
    assert parse("expect node=2 kv.x=") == ExpectCmd(cond(KvIs(2, "x", "")))
    assert [role for role in ROLES if parse(f"expect node=1 role={role}")] == list(ROLES)


def test_describe_renders_a_term_with_its_scope() -> None:
    assert Compare(2, "commit", ">=", 3).describe() == "node=2 commit>=3"
    assert Compare(None, "term", "=", 4).describe() == "term=4"
    assert RoleIs("leader", "leader").describe() == "node=leader role=leader"
    assert LogIs(1, ((1, 1), (2, 2))).describe() == "node=1 log=(1/1,2/2)"
    assert KvIs(3, "k", "two words").describe() == 'node=3 kv.k="two words"'
    terms = (HasLeader(), LeaderIs(None), Converged(), NoViolations(), HasViolations())
    assert [t.describe() for t in terms] == [
        "leader",
        "leader=none",
        "converged",
        "violations=0",
        "violations>0",
    ]


# ------------------------------------------------------------------ durations


@pytest.mark.parametrize(
    ("text", "ms"),
    [("0ms", 0), ("250ms", 250), ("1s", 1000), ("1.5s", 1500), ("2m", 120_000), ("0.001s", 1)],
)
def test_durations(text: str, ms: int) -> None:
    assert parse(f"run {text}") == RunCmd(ms)


def test_the_limits_themselves_are_allowed() -> None:
    """A day of simulated time and 100000 ticks: long enough for any lesson, short enough that a
    command always ends."""
    assert (MAX_DURATION_MS, MAX_TICK_COUNT) == (86_400_000, 100_000)
    assert parse("run 1440m") == RunCmd(MAX_DURATION_MS)
    assert parse("run until leader timeout=86400s") == RunUntilCmd(cond(HasLeader()), 86_400_000)
    assert parse("tick 1 count=100000") == TickCmd(1, MAX_TICK_COUNT)
    cluster = parse_script("cluster election-tick=100000 heartbeat-tick=99999", "s.raft").cluster
    assert (cluster.election_tick, cluster.heartbeat_tick) == (100_000, 99_999)


@given(st.integers(0, MAX_DURATION_MS))
def test_durations_round_trip(ms: int) -> None:
    assert parse(RunCmd(ms).to_text()) == RunCmd(ms)


@given(st.integers(0, 10**6), st.integers(0, 999), st.sampled_from(["ms", "s", "m"]))
def test_decimal_durations_are_exact(whole: int, thousandths: int, unit: str) -> None:
    number = Fraction(whole) + Fraction(thousandths, 1000)
    ms = number * {"ms": 1, "s": 1000, "m": 60_000}[unit]
    text = f"run {whole}.{thousandths:03d}{unit}"
    if ms > MAX_DURATION_MS:
        with pytest.raises(ScriptError, match="at most 1440m"):
            parse(text)
    elif ms.denominator == 1:
        assert parse(text) == RunCmd(int(ms))
    else:
        with pytest.raises(ScriptError, match="whole number of milliseconds"):
            parse(text)


# ------------------------------------------------------------------ round-trip properties

NODES = 5
LEADER: NodeRef = "leader"
node_refs = st.one_of(st.integers(1, NODES), st.just(LEADER))
probabilities = st.floats(0, 1)
latencies = st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)).map(lambda t: tuple(sorted(t)))
kv_keys = st.from_regex(r"[A-Za-z0-9_.\-]+", fullmatch=True)
line_text = st.text(
    st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"], include_characters="\t")
)
"""Any text a line may hold: every character but the control characters other than tab."""


@st.composite
def logs(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    first, term = draw(st.integers(1, 100)), draw(st.integers(1, 5))
    entries = []
    for offset, step in enumerate(draw(st.lists(st.integers(0, 2), max_size=6))):
        term += step
        entries.append((term, first + offset))
    return tuple(entries)


unscoped_terms = st.one_of(
    st.just(HasLeader()),
    st.builds(LeaderIs, st.none() | st.integers(1, NODES)),
    st.just(Converged()),
    st.just(NoViolations()),
    st.just(HasViolations()),
    st.builds(
        Compare, st.none(), st.just("term"), st.sampled_from(["=", ">="]), st.integers(0, 10**9)
    ),
)
scoped_terms = st.one_of(
    st.builds(
        Compare,
        node_refs,
        st.sampled_from(["term", "commit", "applied", "last-index", "last-term"]),
        st.sampled_from(["=", ">="]),
        st.integers(0, 10**9),
    ),
    st.builds(
        Compare, node_refs, st.sampled_from(["lead", "vote"]), st.just("="), st.integers(0, 5)
    ),
    st.builds(RoleIs, node_refs, st.sampled_from(ROLES)),
    st.builds(LogIs, node_refs, logs()),
    st.builds(KvIs, node_refs, kv_keys, line_text),
)
conditions = st.builds(
    lambda unscoped, scoped: Condition(tuple(unscoped + scoped)),
    st.lists(unscoped_terms, max_size=3),
    st.lists(scoped_terms, max_size=4),
).filter(lambda condition: condition.terms)


@st.composite
def partitions(draw: st.DrawFn) -> PartitionCmd:
    members: list[NodeRef] = draw(st.lists(node_refs, min_size=1, unique=True))
    cuts = draw(st.sets(st.integers(1, len(members) - 1))) if len(members) > 1 else set()
    bounds = [0, *sorted(cuts), len(members)]
    return PartitionCmd(tuple(tuple(members[a:b]) for a, b in pairwise(bounds)))


commands = st.one_of(
    st.builds(RunCmd, st.integers(0, MAX_DURATION_MS)),
    st.builds(RunUntilCmd, conditions, st.integers(0, MAX_DURATION_MS)),
    st.builds(DeliverMsgsCmd, node_refs, st.none() | st.sampled_from(MSG_TYPES)),
    st.builds(TickCmd, node_refs, st.integers(1, MAX_TICK_COUNT)),
    st.builds(ProposeCmd, line_text, node_refs),
    st.builds(TransferLeadershipCmd, node_refs, node_refs),
    st.builds(SetRandomizedElectionTimeoutCmd, node_refs, st.integers(1, 10**6)),
    partitions(),
    st.builds(CutCmd, node_refs, node_refs, st.booleans()).filter(lambda cut: cut.a != cut.b),
    st.builds(
        SetCmd,
        st.none() | probabilities,
        st.none() | probabilities,
        st.none() | latencies,
        st.sampled_from([None, "auto", "manual"]),
    ).filter(lambda settings: settings != SetCmd()),
    *(
        st.builds(
            cls,
            node_refs,
            node_refs,
            st.none() | st.sampled_from(MSG_TYPES),
            st.none() | st.integers(1, 10**6),
        ).filter(lambda command: command.frm != command.to)
        for cls in (DeliverCmd, DropCmd, DuplicateCmd, HoldCmd, ReleaseCmd)
    ),
    st.builds(ExpectCmd, conditions),
    st.builds(BreakCmd, conditions),
    st.builds(UnbreakCmd, st.none() | st.integers(1, 10**6)),
    st.builds(SayCmd, line_text),
    st.builds(MarkCmd, line_text),
    *(
        st.builds(cls, node_refs)
        for cls in (CampaignCmd, TickElectionCmd, ForgetLeaderCmd, CrashCmd, IsolateCmd, StatusCmd)
    ),
)


@given(commands)
def test_any_command_round_trips_at_the_prompt(command: Command) -> None:
    assert parse(command.to_text()) == command


@given(st.lists(commands, max_size=5))
def test_scripts_round_trip(script_commands: list[Command]) -> None:
    text = "\n".join(["cluster nodes=5"] + [c.to_text() for c in script_commands])
    script = parse_script(text, "saved.raft")
    assert [located.command for located in script.commands] == script_commands
    assert [located.line for located in script.commands] == list(range(2, len(script_commands) + 2))


@given(
    st.builds(
        lambda nodes, heartbeat, extra, tick, *rest: ClusterCmd(
            nodes, rest[0], rest[1], rest[2], heartbeat + extra, heartbeat, tick, *rest[3:]
        ),
        st.integers(1, 99),
        st.integers(1, 20),
        st.integers(1, 20),
        st.integers(1, 10**6),
        st.integers(0, MAX_SEED),
        st.booleans(),
        st.booleans(),
        latencies,
        probabilities,
        probabilities,
        st.booleans(),
        st.lists(st.sampled_from(list(UNSAFE)), unique=True).map(tuple),
    )
)
def test_any_cluster_round_trips(cluster: ClusterCmd) -> None:
    assert parse_script(cluster.to_text(), "saved.raft").cluster == cluster


@given(st.integers(-(2**70), 2**70).map(str) | st.text())
def test_a_seed_the_command_line_accepts_is_one_a_saved_script_accepts(text: str) -> None:
    """`--seed` and `cluster seed=` read a seed by one rule (0 to 2**63-1), so a run started with
    any accepted seed saves a `cluster` line that loads back with that seed."""
    try:
        seed = parse_seed(text)
    except ValueError as error:
        assert (
            str(error)
            == f"seed must be a whole number from 0 to {MAX_SEED}, got {text or 'nothing'}"
        )
        assert not (text.isascii() and text.isdigit() and int(text) <= MAX_SEED)
    else:
        assert 0 <= seed == int(text) <= MAX_SEED == 2**63 - 1
        saved = ClusterCmd(seed=seed).to_text()
        assert parse_script(saved, "saved.raft").cluster.seed == seed


# ------------------------------------------------------------------ errors

ERRORS = [
    ("crash 9", "unknown node 9 (cluster has nodes 1-5)"),
    ("crash 0", "unknown node 0 (cluster has nodes 1-5)"),
    ("crash x", "expected a node number, got x"),
    ("crash", "crash needs a node (usage: crash N)"),
    ("crash 1 2", "unexpected argument 2 to crash (usage: crash N)"),
    ("crash 1 now=1", "crash has no option now= (usage: crash N)"),
    ("campain 1", "unknown command campain (did you mean campaign?)"),
    ("frobnicate", "unknown command frobnicate"),
    ("set loss=1.5", "loss must be a probability between 0 and 1, got 1.5"),
    ("set dup=-0.1", "dup must be a probability between 0 and 1, got -0.1"),
    ("set loss=nan", "loss must be a probability between 0 and 1, got nan"),
    ("set loss=", "loss must be a probability between 0 and 1, got nothing"),
    (
        "set",
        "set needs at least one setting"
        " (usage: set [loss=P] [dup=P] [latency=(MIN,MAX)] [delivery=auto|manual])",
    ),
    ("set latency=(2s,1s)", "latency minimum 2s is above its maximum 1s"),
    ("set latency=1s", "latency must be a range (MIN,MAX), like latency=(200ms,600ms)"),
    ("set latency=(1s,2s,3s)", "latency must be a range (MIN,MAX), like latency=(200ms,600ms)"),
    ("set latency=(1s,2s", "latency=( at column 13 has no closing ')'"),
    ("run 5", "run: a duration needs a unit (ms, s or m), got 5"),
    ("run -5s", "run: a duration cannot be negative, got -5s"),
    ("run 0.5ms", "run: a duration must be a whole number of milliseconds, got 0.5ms"),
    ("run soon", "run: soon is not a duration (like 250ms, 1.5s or 2m)"),
    ("run 1h", "run: 1h is not a duration (like 250ms, 1.5s or 2m)"),
    (
        "run",
        "run needs a duration, or until and a condition (usage: run DURATION |"
        " run until CONDITION [timeout=60s])",
    ),
    ("run until leader timeout=-1s", "timeout: a duration cannot be negative, got -1s"),
    (
        "run 1s timeout=2s",
        "run has no option timeout= (usage: run DURATION | run until CONDITION [timeout=60s])",
    ),
    ('say "abc', "unterminated quoted string starting at column 5"),
    ('say "abc\\', "unterminated quoted string starting at column 5"),
    (r'say "a\n"', r"unknown escape \n in a quoted string (only \" and \\)"),
    ('say "a"b', "unexpected 'b' at column 8"),
    ("say hello world", 'say takes one quoted text (usage: say "text")'),
    ("mark", 'mark takes one quoted text (usage: mark "label")'),
    ("crash 1 (", "unexpected '(' at column 9"),
    ("crash 1)", "unexpected ')' at column 8"),
    ("=3", "missing name before '=' at column 1"),
    ("tick 1 count=0", "count must be a whole number from 1 to 100000, got 0"),
    ("tick 1 count=1000000000", "count must be a whole number from 1 to 100000, got 1000000000"),
    ("run 1441m", "run: a duration can be at most 1440m (one simulated day), got 1441m"),
    ("run 86400001ms", "run: a duration can be at most 1440m (one simulated day), got 86400001ms"),
    (
        "run 999999999999999m",
        "run: a duration can be at most 1440m (one simulated day), got 999999999999999m",
    ),
    (
        "run until leader timeout=999999999999999m",
        "timeout: a duration can be at most 1440m (one simulated day), got 999999999999999m",
    ),
    (
        "set latency=(1s,86400.001s)",
        "latency: a duration can be at most 1440m (one simulated day), got 86400.001s",
    ),
    ("tick 1 count=1 count=2", "count= is given twice"),
    ("tick 1 count=(1,2)", "count takes one value, not a list"),
    ("deliver-msgs 1 type=MsgVot", "unknown message type MsgVot (did you mean MsgVote?)"),
    (
        "transfer-leadership from=1",
        "transfer-leadership needs to= (usage: transfer-leadership from=N to=M)",
    ),
    ("transfer-leadership from=1 to=6", "unknown node 6 (cluster has nodes 1-5)"),
    (
        "set-randomized-election-timeout 1 timeout=0",
        "timeout must be a whole number of at least 1, got 0",
    ),
    (
        "propose",
        "propose takes an optional node and one DATA; quote data with spaces"
        " (usage: propose [N] DATA)",
    ),
    (
        "propose 1 a b",
        "propose takes an optional node and one DATA; quote data with spaces"
        " (usage: propose [N] DATA)",
    ),
    ("propose 7 x=1", "unknown node 7 (cluster has nodes 1-5)"),
    ("propose x=(1,2)", "x=(...) is a list, not a word or a quoted string"),
    ("partition", "partition takes groups of nodes (usage: partition 1,2 | 3,4,5)"),
    ("partition 1,2 | | 3", "partition has an empty group (usage: partition 1,2 | 3,4,5)"),
    ("partition 1,2 | 2,3", "node 2 appears twice in the partition"),
    ("partition 1,9", "unknown node 9 (cluster has nodes 1-5)"),
    ("cut 1-1", "cannot cut node 1 from itself"),
    ("cut 1~2", "cut takes a link like 1-2 or 1>2, got 1~2 (usage: cut A-B | cut A>B)"),
    ("cut 1-7", "unknown node 7 (cluster has nodes 1-5)"),
    ("expect", "missing condition (like leader=1, or node=2 role=follower)"),
    ("expect node=1", "node=1 is not followed by a term about it"),
    ("expect node=1 leader node=2 role=leader", "node=1 is not followed by a term about it"),
    ("expect commit=3", "commit= needs a node: put node=N (or node=leader) before it"),
    ("expect role>=leader", "role cannot be compared with >="),
    (
        "expect node=1 role=boss",
        "role must be one of follower, pre-candidate, candidate, leader, crashed, got boss",
    ),
    ("expect leader=9", "unknown node 9 (cluster has nodes 1-5)"),
    ("expect node=1 lead=6", "unknown node 6 (cluster has nodes 1-5)"),
    ("expect node=6 lead=1", "unknown node 6 (cluster has nodes 1-5)"),
    ("expect violations=2", "only violations=0 and violations>0 can be checked, got violations=2"),
    ("set delivery=later", "delivery must be auto or manual, got later"),
    (
        "deliver",
        "deliver takes a route like 1->3, then a message type and a number if any"
        " (usage: deliver A->B [MsgType] [K])",
    ),
    ("deliver 1-3", "deliver takes a route like 1->3, got 1-3 (usage: deliver A->B [MsgType] [K])"),
    ("hold 1->6", "unknown node 6 (cluster has nodes 1-5)"),
    ("drop 2->2", "a message goes from a node to another, got 2->2"),
    (
        "duplicate 1->2 MsgHeartbeet",
        "unknown message type MsgHeartbeet (did you mean MsgHeartbeat?)",
    ),
    ("deliver 1->3 MsgApp 0", "number must be a whole number of at least 1, got 0"),
    (
        "release 1->3 MsgApp 2 3",
        "unexpected argument 3 to release (usage: release A->B [MsgType] [K])",
    ),
    (
        "hold 1->3 type=MsgApp",
        "hold takes a route like 1->3, then a message type and a number if any"
        " (usage: hold A->B [MsgType] [K])",
    ),
    ("break", "missing condition (like leader=1, or node=2 role=follower)"),
    (
        "break node=1 role=boss",
        "role must be one of follower, pre-candidate, candidate, leader, crashed, got boss",
    ),
    ("unbreak", "unbreak takes a breakpoint number or all (usage: unbreak N | unbreak all)"),
    ("unbreak 0", "breakpoint must be a whole number of at least 1, got 0"),
    ("unbreak 1 2", "unexpected argument 2 to unbreak (usage: unbreak N | unbreak all)"),
    ("expect node=1 log=(1/1,1/3)", "log indexes must follow each other, got 1 then 3"),
    ("expect node=1 log=(2/1,1/2)", "log terms cannot go down, got 2/1 then 1/2"),
    ("expect node=1 log=(1-1)", "a log entry is TERM/INDEX with both at least 1, got 1-1"),
    ("expect node=1 log=(0/1)", "a log entry is TERM/INDEX with both at least 1, got 0/1"),
    ("expect node=1 log=1/1", "log must be a list of term/index entries, like log=(1/1,1/2)"),
    ("expect learder", "unknown condition learder (did you mean leader?)"),
    ("expect foo=1", "unknown condition foo="),
    ("expect node=1 kv.=1", "kv. needs a key, like kv.x=1"),
    ("expect term=(1,2)", "term takes one value, not a list"),
    ("expect term>=x", "term must be a whole number of at least 0, got x"),
]


@pytest.mark.parametrize(("line", "problem"), ERRORS)
def test_errors_at_the_prompt(line: str, problem: str) -> None:
    with pytest.raises(ScriptError) as info:
        parse(line)
    assert str(info.value) == f"<prompt>:1: {problem}"
    assert (info.value.filename, info.value.line, info.value.problem) == ("<prompt>", 1, problem)


@pytest.mark.parametrize(("line", "problem"), ERRORS)
def test_errors_in_a_script_name_file_and_line(line: str, problem: str) -> None:
    with pytest.raises(ScriptError) as info:
        parse_script(f"cluster nodes=5\n\n# then\nheal\n{line}\nheal", "scenario.raft")
    assert str(info.value) == f"scenario.raft:5: {problem}"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("cluster nodes=100", "nodes must be a whole number from 1 to 99, got 100"),
        ("cluster nodes=0", "nodes must be a whole number from 1 to 99, got 0"),
        ("cluster seed=-1", "seed must be a whole number from 0 to 9223372036854775807, got -1"),
        (
            "cluster seed=9223372036854775808",
            "seed must be a whole number from 0 to 9223372036854775807, got 9223372036854775808",
        ),
        ("cluster prevote=yes", "prevote must be true or false, got yes"),
        ("cluster auto-tick=1", "auto-tick must be true or false, got 1"),
        ("cluster loss=2", "loss must be a probability between 0 and 1, got 2"),
        ("cluster tick=0ms", "tick must be longer than 0ms"),
        (
            "cluster tick=1441m",
            "tick: a duration can be at most 1440m (one simulated day), got 1441m",
        ),
        (
            "cluster election-tick=100001",
            "election-tick must be a whole number from 1 to 100000, got 100001",
        ),
        (
            "cluster heartbeat-tick=1000000000",
            "heartbeat-tick must be a whole number from 1 to 100000, got 1000000000",
        ),
        ("cluster tick=100", "tick: a duration needs a unit (ms, s or m), got 100"),
        ("cluster latency=(600ms,200ms)", "latency minimum 600ms is above its maximum 200ms"),
        (
            "cluster election-tick=1",
            "election-tick (1) must be greater than heartbeat-tick (1)",
        ),
        (
            "cluster election-tick=3 heartbeat-tick=5",
            "election-tick (3) must be greater than heartbeat-tick (5)",
        ),
        (
            "cluster unsafe=no-log",
            "unknown unsafe variant no-log (did you mean no-log-check?); the unsafe variants are "
            "no-log-check, commit-old-terms, forget-vote, accept-stale-leader",
        ),
        (
            "cluster unsafe=forget-vote,forget-vote",
            "unsafe variant forget-vote is given twice",
        ),
        (
            "cluster unsafe=",
            "unsafe needs at least one name: the unsafe variants are no-log-check, "
            "commit-old-terms, forget-vote, accept-stale-leader",
        ),
    ],
)
def test_cluster_errors(line: str, problem: str) -> None:
    with pytest.raises(ScriptError) as info:
        parse_script(f"# intro\n{line}", "scenario.raft")
    assert str(info.value) == f"scenario.raft:2: {problem}"


def test_unknown_cluster_option_shows_the_usage() -> None:
    with pytest.raises(ScriptError) as info:
        parse_script("cluster node=3", "s.raft")
    assert str(info.value).startswith("s.raft:1: cluster has no option node= (usage: cluster [")
    assert "\n" not in str(info.value)


def test_an_error_message_is_always_one_line() -> None:
    with pytest.raises(ScriptError) as info:
        parse_command('say "a\nb" c', nodes=5)
    assert str(info.value) == (
        "<prompt>:1: control character U+000A is not allowed (column 7);"
        " tab is the only one a line may hold"
    )
    assert ScriptError("f", None, "two\nlines").args == ("f: two lines",)


# ------------------------------------------------------------------ line breaks and controls

NOT_LINE_BREAKS = ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\r"]
"""Characters str.splitlines() ends a line at, though a script line ends only at \\n (or \\r\\n)."""


@pytest.mark.parametrize("char", NOT_LINE_BREAKS, ids=[f"U+{ord(c):04X}" for c in NOT_LINE_BREAKS])
def test_only_a_line_feed_ends_a_line(char: str) -> None:
    text = f"cluster nodes=3\n# harmless comment{char}crash 1\nrun 1s\n"
    with pytest.raises(ScriptError) as info:
        parse_script(text, "x.raft")
    assert str(info.value) == (
        f"x.raft:2: control character U+{ord(char):04X} is not allowed (column 19);"
        " tab is the only one a line may hold"
    )


def test_line_numbers_count_line_feeds_only() -> None:
    script = parse_script('cluster\r\nheal\r\n\ncrash 1\r\nsay "a\tb"\n', "x.raft")
    assert script.commands == (
        Located(2, HealCmd()),
        Located(4, CrashCmd(1)),
        Located(5, SayCmd("a\tb")),
    )


@pytest.mark.parametrize(
    "text",
    ['say "a\x1b[2J"', 'mark "\u2028"', "propose x=\x7f", 'expect node=1 kv.x="\x9b"', "heal\x00"],
)
def test_control_characters_are_refused_anywhere_in_a_line(text: str) -> None:
    with pytest.raises(ScriptError, match=r"^<prompt>:1: control character U\+(00..|2028) is not"):
        parse(text)


def test_a_line_separator_in_quotes_is_refused_not_unterminated() -> None:
    """The prompt used to accept it, and the file saved from there failed to load."""
    with pytest.raises(ScriptError) as info:
        parse_script('say "a\u2029b"\n', "x.raft")
    assert str(info.value).startswith(
        "x.raft:1: control character U+2029 is not allowed (column 7)"
    )


@given(
    st.sampled_from(["say ", "mark ", "propose ", "propose 2 ", "expect node=1 kv.k="]),
    st.booleans(),
    st.text(),
)
def test_whatever_the_prompt_accepts_saves_to_a_line_that_loads_back(
    head: str, quoted: bool, text: str
) -> None:
    """A prompt command is saved by to_text() into a script file, one line per command; that
    line must load back to the very same command, or a saved session would not replay."""
    line = head + (SayCmd(text).to_text().removeprefix("say ") if quoted else text)
    try:
        command = parse(line)
    except ScriptError:
        return
    saved = f"cluster nodes=5\n{command.to_text()}\n"
    assert parse_script(saved, "saved.raft").commands == (Located(2, command),)


def refused(char: str) -> bool:
    """The characters no line may hold: C0 but tab, DEL, C1, and the two Unicode line breaks."""
    return (char != "\t" and unicodedata.category(char) == "Cc") or char in "\u2028\u2029"


@given(st.sampled_from([SayCmd, MarkCmd, ProposeCmd]), st.text())
def test_text_round_trips_unless_it_holds_a_control_character(
    cls: type[SayCmd | MarkCmd | ProposeCmd], text: str
) -> None:
    """Text with no refused character saves and loads back; text with one never parses (so it
    can reach neither a saved script nor, unescaped, a terminal)."""
    command = cls(text)
    try:
        parsed = parse(command.to_text())
    except ScriptError as error:
        assert "control character" in str(error)
        assert any(refused(char) for char in text)
    else:
        assert parsed == command
        assert parse_script(command.to_text(), "saved.raft").commands == (Located(1, command),)


# ------------------------------------------------------------------ files


def test_load_script(tmp_path: Path) -> None:
    path = tmp_path / "demo.raft"
    path.write_bytes('\ufeffcluster nodes=3\ncrash 3\nsay "é"\n'.encode())
    script = load_script(path)
    assert script.cluster.nodes == 3
    assert script.commands == (Located(2, CrashCmd(3)), Located(3, SayCmd("é")))


def test_load_script_uses_nodes_without_cluster(tmp_path: Path) -> None:
    path = tmp_path / "demo.raft"
    path.write_text("crash 3\n")
    with pytest.raises(ScriptError) as info:
        load_script(path, nodes=2)
    assert str(info.value) == f"{path}:1: unknown node 3 (cluster has nodes 1-2)"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        (b"crash 1\x00\n", "not a text file (it contains NUL bytes)"),
        (b'say "\xff"\n', "not UTF-8 text (bad byte at offset 5)"),
    ],
)
def test_unusable_files(tmp_path: Path, content: bytes | None, problem: str) -> None:
    path = tmp_path / "bad.raft"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ScriptError) as info:
        load_script(str(path))
    assert str(info.value) == f"{path}: {problem}"
    assert info.value.line is None


def test_a_directory_is_not_a_script(tmp_path: Path) -> None:
    with pytest.raises(ScriptError) as info:
        load_script(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a directory, not a script"


def test_an_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.raft"
    path.write_text("heal\n")

    def refuse(self: Path, mode: str) -> BinaryIO:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(ScriptError) as info:
        load_script(path)
    assert str(info.value) == f"{path}: cannot read it: Permission denied"


def test_only_a_regular_file_is_a_script() -> None:
    """Reading a device whole may never end (`/dev/zero` grew to gigabytes); a pipe is tried by
    the command-line tests, in a subprocess, since opening one here could block the tests."""
    with pytest.raises(ScriptError) as info:
        load_script("/dev/null")
    assert str(info.value) == "/dev/null: not a regular file, so not a script"


def test_a_script_is_at_most_one_mebibyte(tmp_path: Path) -> None:
    path = tmp_path / "big.raft"
    line = "heal # padding\n"
    path.write_text(line * (MAX_SCRIPT_BYTES // len(line)))
    assert len(load_script(path).commands) == MAX_SCRIPT_BYTES // len(line)
    with path.open("a") as file:
        file.write(line)
    with pytest.raises(ScriptError) as info:
        load_script(path)
    assert str(info.value) == f"{path}: too large for a script: over 1048576 bytes (1 MiB)"
