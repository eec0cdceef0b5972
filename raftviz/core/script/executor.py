"""Core room: carries out parsed script commands on a Cluster and checks their conditions.

The same executor serves `raftviz run`, the TUI's command prompt and the TUI's key bindings
(every key is a script command), so whatever a user does can be typed, scripted, saved and
replayed to the same events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from raftviz.core.etcdtext.describe import (
    describe_progress,
    describe_raft_state,
    describe_stable_log,
    format_time,
)
from raftviz.core.raft.messages import MsgType
from raftviz.core.script.parse import (
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
)
from raftviz.core.sim.cluster import Cluster, ClusterError, SimNode

SLICE_MS: Final = 1000
"""How much simulated time a `run` advances between two calls of `on_progress`: a second holds
a few hundred events at the default settings, so a caller that takes them there holds no more."""


class CommandFailed(Exception):
    """A command that could not hold or be carried out: a failed `expect`, a `run until` that
    timed out, a node that is crashed. The run goes on; the script's exit code becomes 1."""


@dataclass(frozen=True, slots=True)
class Failure:
    line: int
    command: str
    message: str


@dataclass(slots=True)
class Breakpoint:
    """A `break` condition and whether it held when last checked: it fires when it goes from
    not holding to holding, so a condition that stays true (a leader, once elected) fires once,
    and again only after it stopped holding for a while."""

    condition: Condition
    holding: bool


class Executor:
    """Runs commands against one cluster. `output` receives text for the user (narration,
    etcd-format state dumps); `on_pause` is called by `pause` (the TUI waits there).

    `on_progress` is called between the slices of a long command (every simulated second of a
    `run`, every event of a `run until`, every tick of a `tick`), so a caller can take the events
    produced so far instead of letting a day of them pile up in the cluster until the command
    ends. The slices change nothing in the run itself.

    `stories` asks the cluster for story events, the plain-words reason of each decision.
    `skip_idle_ticks` lets the cluster jump over ticks that only count (see `Cluster`): the
    same events, but `step` then steps over the ticks that run only. `quiet` asks for a
    cluster that builds no events and no log lines at all (see `Cluster`), for a caller that
    reads only its state: the commands run the same, reading the state and not the events.

    `breakpoints` (set by `break`) are checked after every event of a long command and after
    every command, and each one that fires is reported through `on_break` (its number; by
    default its `fired_text` goes to `output`). A caller that runs the cluster itself (the
    TUI's runtime) calls `check_breakpoints()` after each event. With no breakpoint set, a
    `run` goes on at full speed and nothing is checked.
    """

    def __init__(
        self,
        cluster_cmd: ClusterCmd,
        output: Callable[[str], None] = lambda _: None,
        on_pause: Callable[[], None] = lambda: None,
        on_progress: Callable[[], None] = lambda: None,
        *,
        stories: bool = False,
        skip_idle_ticks: bool = False,
        quiet: bool = False,
    ) -> None:
        self.cluster_cmd = cluster_cmd
        self.cluster = Cluster(
            cluster_cmd.settings(), stories=stories, skip_idle_ticks=skip_idle_ticks, quiet=quiet
        )
        self.output = output
        self.on_pause = on_pause
        self.on_progress = on_progress
        self.failures: list[Failure] = []
        self.breakpoints: list[Breakpoint] = []
        self.on_break: Callable[[int], None] | None = None

    # ------------------------------------------------------------------ entry points

    def run(self, command: Command, line: int = 0) -> bool:
        """Carry out one command; a failure is recorded (and reported) rather than raised."""
        try:
            self.execute(command)
        except (CommandFailed, ClusterError) as e:
            self.failures.append(Failure(line, command.to_text(), str(e)))
            return False
        return True

    def execute(self, command: Command) -> None:
        """Carry out one command; raises CommandFailed or ClusterError when it cannot.

        Every command first finishes the events due at or before now: actions happen between
        two milliseconds, never between two events of the same one. That is what lets the TUI
        (whose keys arrive at any moment) and `raftviz run` of its saved session agree event for
        event. `step` is the one way to stop inside a millisecond, and it is saved: what follows
        it acts right there, before the rest of that millisecond.
        """
        c = self.cluster
        if not isinstance(command, StepCmd):
            c.settle()
        match command:
            case StepCmd(count=count):
                for _ in range(count):
                    if not c.step_event():
                        raise CommandFailed("nothing is scheduled to happen")
                    if self.breakpoints:
                        self.check_breakpoints()
            case RunCmd(duration_ms=ms):
                self._advance_to(c.time_ms + ms)
            case RunUntilCmd(condition=cond, timeout_ms=timeout):
                self._run_until(cond, timeout)
            case StabilizeCmd():
                c.stabilize()
            case DeliverMsgsCmd(node=n, msg_type=t):
                c.deliver_msgs(self.node(n), MsgType[t] if t else None)
            case CampaignCmd(node=n):
                c.campaign(self.node(n))
            case TickCmd(node=n, count=k):
                self._tick(self.node(n), k)
            case TickElectionCmd(node=n):
                self._tick(self.node(n), c.settings.election_tick)
            case TickHeartbeatCmd(node=n):
                self._tick(self.node(n), c.settings.heartbeat_tick)
            case ProposeCmd(data=data, node=n):
                c.propose(self.node(n), data)
            case TransferLeadershipCmd(frm=a, to=b):
                c.transfer_leadership(self.node(a), self.node(b))
            case ForgetLeaderCmd(node=n):
                c.forget_leader(self.node(n))
            case SetRandomizedElectionTimeoutCmd(node=n, timeout=t):
                c.set_election_timeout(self.node(n), t)
            case AlignTimersCmd():
                c.align_timers()
            case SpreadTimersCmd():
                c.spread_timers()
            case CrashCmd(node=n):
                c.crash(self.node(n))
            case RestartCmd(node=n):
                c.restart(self.node(n))
            case PartitionCmd(groups=groups):
                resolved = [[self.node(n) for n in g] for g in groups]
                flat = [n for g in resolved for n in g]
                if len(flat) != len(set(flat)):
                    raise CommandFailed("a node is listed in two partition groups")
                c.partition(resolved)
            case IsolateCmd(node=n):
                c.isolate(self.node(n))
            case RejoinCmd(node=n):
                c.rejoin(self.node(n))
            case CutCmd(a=a, b=b, both_ways=both, msg_type=msg_type):
                c.cut(self.node(a), self.node(b), both, msg_type)
            case HealCmd():
                c.heal()
            case SetCmd(loss=loss, dup=dup, latency_ms=latency, delivery=delivery):
                if command.network_changes():
                    c.set_network(loss, dup, latency)
                if delivery is not None:
                    c.set_delivery(delivery == "manual")
            case DeliverCmd() | DropCmd() | DuplicateCmd() | HoldCmd() | ReleaseCmd():
                self._decide_fate(command)
            case ExpectCmd(condition=cond):
                problem = self.check(cond)
                if problem:
                    raise CommandFailed(problem)
            case BreakCmd(condition=cond):
                self.breakpoints.append(Breakpoint(cond, holding=self.check(cond) is None))
            case UnbreakCmd(number=None):
                self.breakpoints.clear()
            case UnbreakCmd(number=number) if number is not None:
                if number > len(self.breakpoints):
                    raise CommandFailed(self._no_breakpoint(number))
                del self.breakpoints[number - 1]
            case SayCmd(text=text):
                c.narrate(text)
            case PauseCmd():
                self.on_pause()
            case MarkCmd(label=label):
                c.narrate(label, mark=True)
            case RaftStateCmd():
                self.output(self.raft_state())
            case RaftLogCmd(node=n):
                self.output(self.raft_log(self.node(n)))
            case StatusCmd(node=n):
                self.output(self.status(self.node(n)))
        if self.breakpoints:
            self.check_breakpoints()

    def _decide_fate(
        self, command: DeliverCmd | DropCmd | DuplicateCmd | HoldCmd | ReleaseCmd
    ) -> None:
        c = self.cluster
        t = command.msg_type
        flights = c.select(
            self.node(command.frm), self.node(command.to), MsgType[t] if t else None, command.index
        )
        if not command.every:
            flights = flights[:1]
        match command:
            case DeliverCmd():
                c.deliver(flights[0])
            case DuplicateCmd():
                c.duplicate(flights[0])
            case DropCmd():
                for f in flights:
                    c.drop(f)
            case HoldCmd():
                if all(f in c.held for f in flights):
                    raise CommandFailed(f"already held ({c.describe_flights()})")
                for f in flights:
                    c.hold(f)
            case ReleaseCmd():
                if not any(f in c.held for f in flights):
                    raise CommandFailed(f"not held ({c.describe_flights()})")
                for f in flights:
                    c.release(f)

    # ------------------------------------------------------------------ long commands

    def _advance_to(self, time_ms: int) -> None:
        """`Cluster.advance_to`, a slice at a time: the cluster runs the same events either way,
        since nothing but those events happens in between."""
        c = self.cluster
        while c.time_ms + SLICE_MS < time_ms:
            self._advance_slice(c.time_ms + SLICE_MS)
            self.on_progress()
        self._advance_slice(time_ms)

    def _advance_slice(self, time_ms: int) -> None:
        """With breakpoints set, event by event, to check them after each; else at full speed."""
        c = self.cluster
        if self.breakpoints:
            while (t := c.next_time()) is not None and t <= time_ms:
                c.step_event()
                self.check_breakpoints()
        c.advance_to(time_ms)

    def _tick(self, id: int, count: int) -> None:
        for _ in range(count):
            self.cluster.tick(id)
            if self.breakpoints:
                self.check_breakpoints()
            self.on_progress()

    # ------------------------------------------------------------------ breakpoints

    def breakpoints_hit(self) -> list[int]:
        """The numbers (1-based) of the breakpoints whose condition has just started to hold,
        since the last call; a caller that processes events calls it after each one."""
        fired = []
        for number, point in enumerate(self.breakpoints, start=1):
            holding = self.check(point.condition) is None
            if holding and not point.holding:
                fired.append(number)
            point.holding = holding
        return fired

    def fired_text(self, number: int) -> str:
        """``breakpoint 1 (node=3 role=leader) fired at 2.350s``"""
        condition = self.breakpoints[number - 1].condition.to_text()
        when = format_time(self.cluster.time_ms).strip()
        return f"breakpoint {number} ({condition}) fired at {when}"

    def check_breakpoints(self) -> bool:
        """Say which breakpoints fired, right after the event that fired them: `on_progress`
        hands over the events so far, then the line, so the line follows its event. True if
        any fired."""
        fired = self.breakpoints_hit()
        for number in fired:
            if self.on_break is not None:
                self.on_break(number)
            else:
                self.output(self.fired_text(number))
        if fired:
            self.on_progress()
        return bool(fired)

    def _no_breakpoint(self, number: int) -> str:
        count = len(self.breakpoints)
        if not count:
            return f"no breakpoint {number}: none is set"
        listed = "; ".join(
            f"{n} ({point.condition.to_text()})" for n, point in enumerate(self.breakpoints, 1)
        )
        return f"no breakpoint {number}: there {'is' if count == 1 else 'are'} {count}: {listed}"

    # ------------------------------------------------------------------ nodes

    def node(self, ref: NodeRef) -> int:
        if ref == "leader":
            return self.cluster.require_leader()
        self.cluster.node(ref)
        return ref

    def _scoped(self, ref: NodeRef) -> SimNode:
        return self.cluster.nodes[self.node(ref)]

    # ------------------------------------------------------------------ conditions

    def _run_until(self, cond: Condition, timeout_ms: int) -> None:
        c = self.cluster
        deadline = c.time_ms + timeout_ms
        while self.check(cond) is not None:
            t = c.next_time()
            if t is None or t > deadline:
                c.advance_to(deadline)
                problem = self.check(cond)
                if problem is None:
                    return
                why = "nothing left to happen" if t is None else f"timed out after {timeout_ms}ms"
                raise CommandFailed(f"{why}: {problem}")
            c.step_event()
            if self.breakpoints:
                self.check_breakpoints()
            self.on_progress()
        # It held after some event: finish that millisecond, as a saved `run Xms` would.
        self._advance_slice(c.time_ms)

    def check(self, cond: Condition) -> str | None:
        """None if every term holds, else what was expected against what is."""
        for term in cond.terms:
            try:
                problem = self._check_term(term)
            except ClusterError as e:
                problem = f"{term.describe()}: {e}"
            if problem is not None:
                return problem
        return None

    def _check_term(self, term: ConditionTerm) -> str | None:
        c = self.cluster
        match term:
            case HasLeader():
                return None if c.leader() is not None else "expected a leader, got none"
            case LeaderIs(node=want):
                have = c.leader()
                if have == want:
                    return None
                return f"expected leader {want or 'none'}, got {have or 'none'}"
            case Converged():
                live = [n for n in c.view().nodes if n.alive]
                shapes = {(n.log, n.commit, n.applied) for n in live}
                if len(shapes) <= 1:
                    return None
                summary = ", ".join(
                    f"{n.id}: last={n.last_index} commit={n.commit} applied={n.applied}"
                    for n in live
                )
                return f"expected converged logs, got {summary}"
            case NoViolations():
                if not c.violations:
                    return None
                return f"expected no violations, got {len(c.violations)}: {c.violations[0].detail}"
            case HasViolations():
                return None if c.violations else "expected a safety violation, got none"
            case Compare(node=None, key="term", op=op, value=want):
                lead = c.require_leader()
                return _compare("leader's term", c.nodes[lead].raw.raft.term, op, want)
            case Compare(node=ref, key=key, op=op, value=want) if ref is not None:
                node = self._scoped(ref)
                return _compare(f"node {node.id} {key}", _field(c, node, key), op, want)
            case RoleIs(node=ref, role=role):
                node = self._scoped(ref)
                actual = c.node_view(node).role
                if actual == role:
                    return None
                return f"expected node {node.id} role {role}, got {actual}"
            case LogIs(node=ref, entries=entries):
                node = self._scoped(ref)
                log = tuple((e.term, e.index) for e in c.node_view(node).log)
                if log == entries:
                    return None
                text = ",".join(f"{t}/{i}" for t, i in log)
                return f"expected node {node.id} log={term.text()[4:]}, got ({text})"
            case KvIs(node=ref, key=key, value=value):
                node = self._scoped(ref)
                stored = node.kv.get(key)
                if stored == value:
                    return None
                return f"expected node {node.id} kv.{key}={value}, got {stored or 'nothing'}"
        raise AssertionError(f"unhandled condition term {term!r}")

    # ------------------------------------------------------------------ etcd-format dumps

    def raft_state(self) -> str:
        return "\n".join(
            describe_raft_state(n.raw.raft, None if n.alive else "StateCrashed")
            for n in self.cluster.nodes.values()
        )

    def raft_log(self, id: int) -> str:
        return describe_stable_log(self.cluster.nodes[id].raw.storage)

    def status(self, id: int) -> str:
        return "\n".join(describe_progress(self.cluster.nodes[id].raw.raft)) or (
            f"{id} is not the leader"
        )


def _field(c: Cluster, node: SimNode, key: str) -> int:
    view = c.node_view(node)
    values = {
        "term": view.term,
        "lead": view.lead,
        "vote": view.vote,
        "commit": view.commit,
        "applied": view.applied,
        "last-index": view.last_index,
        "last-term": view.log[-1].term if view.log else 0,
    }
    return values[key]


def _compare(what: str, have: int, op: str, want: int) -> str | None:
    ok = have >= want if op == ">=" else have == want
    return None if ok else f"expected {what} {op} {want}, got {have}"
