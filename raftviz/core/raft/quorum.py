"""Core room: majority quorums - who won an election, what a majority has acknowledged."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from enum import Enum


class VoteResult(Enum):
    VotePending = 1
    VoteLost = 2
    VoteWon = 3


def vote_result(voters: Collection[int], votes: Mapping[int, bool]) -> VoteResult:
    """Won once a majority granted; Lost once a majority can no longer grant; else Pending."""
    if not voters:
        # An empty configuration wins every vote, so joint configurations compose.
        return VoteResult.VoteWon
    granted = missing = 0
    for v in voters:
        vote = votes.get(v)
        if vote is None:
            missing += 1
        elif vote:
            granted += 1
    q = len(voters) // 2 + 1
    if granted >= q:
        return VoteResult.VoteWon
    if granted + missing >= q:
        return VoteResult.VotePending
    return VoteResult.VoteLost


def committed_index(acked: Sequence[int]) -> int:
    """The highest index acknowledged by a majority, given the index each voter acknowledged
    (0 for a voter not heard from). A leader asks at every acknowledgement that moves a match:
    taking the indexes as a list, not a mapping looked up voter by voter, halves the cost."""
    n = len(acked)
    if n == 0:
        # An empty configuration commits everything, so joint configurations compose.
        return 2**63 - 1
    return sorted(acked)[n - (n // 2 + 1)]
