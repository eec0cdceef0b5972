"""Core room: the leader's per-follower Progress (probe / replicate / snapshot) and inflights.

A leader does not know what its followers hold; it guesses (`next`) and learns (`match`). In
Probe it sends one append at a time and waits; in Replicate it streams optimistically, bounded
by a window of in-flight appends. These states decide every MsgApp a leader sends.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from enum import Enum

from raftviz.core.raft.messages import Entry
from raftviz.core.raft.quorum import VoteResult, committed_index, vote_result


class ProgressState(Enum):
    StateProbe = 0
    StateReplicate = 1
    StateSnapshot = 2

    def __str__(self) -> str:
        return self.name


# The states as etcd's package constants (tracker.StateProbe...): see messages.py.
StateProbe = ProgressState.StateProbe
StateReplicate = ProgressState.StateReplicate
StateSnapshot = ProgressState.StateSnapshot


class Inflights:
    """A bounded FIFO of the last indexes (and sizes) of appends sent but not acknowledged."""

    __slots__ = ("_bytes", "_q", "max_bytes", "size")

    def __init__(self, size: int, max_bytes: int = 0) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._q: deque[tuple[int, int]] = deque()
        self._bytes = 0

    def add(self, index: int, nbytes: int) -> None:
        if self.full():
            raise AssertionError("cannot add into a Full inflights")
        self._q.append((index, nbytes))
        self._bytes += nbytes

    def free_le(self, index: int) -> None:
        q = self._q
        while q and q[0][0] <= index:
            self._bytes -= q.popleft()[1]

    def full(self) -> bool:
        return len(self._q) >= self.size or (0 < self.max_bytes <= self._bytes)

    def count(self) -> int:
        return len(self._q)

    def reset(self) -> None:
        self._q.clear()
        self._bytes = 0


class Progress:
    """The leader's view of one peer (etcd's tracker.Progress)."""

    __slots__ = (
        "inflights",
        "is_learner",
        "match",
        "msg_app_flow_paused",
        "next",
        "pending_snapshot",
        "recent_active",
        "sent_commit",
        "state",
    )

    def __init__(
        self, next_index: int, max_inflight: int, max_bytes: int = 0, is_learner: bool = False
    ) -> None:
        self.match = 0
        self.next = next_index
        self.sent_commit = 0
        self.state = StateProbe
        self.msg_app_flow_paused = False
        self.pending_snapshot = 0
        self.recent_active = False
        self.is_learner = is_learner
        self.inflights = Inflights(max_inflight, max_bytes)

    def _reset_state(self, state: ProgressState) -> None:
        self.msg_app_flow_paused = False
        self.pending_snapshot = 0
        self.state = state
        self.inflights.reset()

    def become_probe(self) -> None:
        if self.state == StateSnapshot:
            pending = self.pending_snapshot
            self._reset_state(StateProbe)
            self.next = max(self.match + 1, pending + 1)
        else:
            self._reset_state(StateProbe)
            self.next = self.match + 1
        self.sent_commit = min(self.sent_commit, self.next - 1)

    def become_replicate(self) -> None:
        self._reset_state(StateReplicate)
        self.next = self.match + 1

    def sent_entries(self, ents: Sequence[Entry]) -> None:
        """Record an append of `ents`: stream on in Replicate, pause a probe.

        Their payload size is only summed when the inflights limit bytes: a leader sends an
        append per acknowledgement, and summing was 5% of `bench core` for a limit that
        raftviz's Config never sets.
        """
        if self.state == StateReplicate:
            inflights = self.inflights
            if ents:
                self.next += len(ents)
                nbytes = sum(len(e.data) for e in ents) if inflights.max_bytes else 0
                inflights.add(self.next - 1, nbytes)
            self.msg_app_flow_paused = inflights.full()
        elif self.state == StateProbe:
            if ents:
                self.msg_app_flow_paused = True
        else:
            raise AssertionError(f"sending append in unhandled state {self.state}")

    def can_bump_commit(self, index: int) -> bool:
        """Would an (empty) append tell this peer a newer commit it can use?"""
        return index > self.sent_commit and self.sent_commit < self.next - 1

    def maybe_update(self, n: int) -> bool:
        if n <= self.match:
            return False
        self.match = n
        self.next = max(self.next, n + 1)
        self.msg_app_flow_paused = False
        return True

    def maybe_decr_to(self, rejected: int, match_hint: int) -> bool:
        """Step `next` back after a rejection; False if the rejection is stale."""
        if self.state == StateReplicate:
            if rejected <= self.match:
                return False
            self.next = self.match + 1
            self.sent_commit = min(self.sent_commit, self.next - 1)
            return True
        if self.next - 1 != rejected:
            return False
        self.next = max(min(rejected, match_hint + 1), self.match + 1)
        self.sent_commit = min(self.sent_commit, self.next - 1)
        self.msg_app_flow_paused = False
        return True

    def is_paused(self) -> bool:
        if self.state == StateSnapshot:
            return True
        return self.msg_app_flow_paused

    def __str__(self) -> str:
        parts = [f"{self.state} match={self.match} next={self.next}"]
        if self.is_learner:
            parts.append(" learner")
        if self.is_paused():
            parts.append(" paused")
        if self.pending_snapshot > 0:
            parts.append(f" pendingSnap={self.pending_snapshot}")
        if not self.recent_active:
            parts.append(" inactive")
        n = self.inflights.count()
        if n > 0:
            parts.append(f" inflight={n}")
            if self.inflights.full():
                parts.append("[full]")
        return "".join(parts)


class ProgressTracker:
    """The configuration (voters, learners), every peer's Progress, and the current votes."""

    __slots__ = ("learners", "max_inflight", "progress", "voters", "votes")

    def __init__(self, voters: list[int], learners: list[int], max_inflight: int) -> None:
        self.voters = tuple(sorted(voters))
        self.learners = tuple(sorted(learners))
        self.max_inflight = max_inflight
        self.progress: dict[int, Progress] = {}
        self.votes: dict[int, bool] = {}

    def ids(self) -> list[int]:
        """Every tracked peer in ascending id order: etcd visits peers in this order."""
        return sorted(self.progress)

    def committed(self) -> int:
        progress = self.progress
        return committed_index([progress[v].match if v in progress else 0 for v in self.voters])

    def quorum_active(self) -> bool:
        active = {v: p.recent_active for v, p in self.progress.items() if not p.is_learner}
        return vote_result(self.voters, active) == VoteResult.VoteWon

    def record_vote(self, id: int, granted: bool) -> None:
        self.votes.setdefault(id, granted)

    def tally_votes(self) -> tuple[int, int, VoteResult]:
        granted = rejected = 0
        for id, pr in self.progress.items():
            if pr.is_learner:
                continue
            v = self.votes.get(id)
            if v is None:
                continue
            if v:
                granted += 1
            else:
                rejected += 1
        return granted, rejected, vote_result(self.voters, self.votes)

    def config_string(self) -> str:
        s = "voters=(" + " ".join(f"{v:x}" for v in self.voters) + ")"
        if self.learners:
            s += " learners=(" + " ".join(f"{v:x}" for v in self.learners) + ")"
        return s
