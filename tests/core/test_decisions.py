"""Decision records: built at Raft's decisions only when asked for, and handed to the sink.

Without `stories` the state machine builds none (the hot path stays as it was); with it, the
records arrive in the same sink as the log lines, next to the line of the same decision.
"""

from __future__ import annotations

import random

from raftviz.core.raft.decision import (
    Campaign,
    Committed,
    Decision,
    ElectionResult,
    EmptyEntry,
    Vote,
)
from raftviz.core.raft.log import MemoryStorage
from raftviz.core.raft.logline import LogLine
from raftviz.core.raft.messages import Message
from raftviz.core.raft.raft import Config
from raftviz.core.raft.rawnode import RawNode


def three_nodes(stories: bool) -> tuple[dict[int, RawNode], list[LogLine | Decision]]:
    seen: list[LogLine | Decision] = []
    nodes = {
        i: RawNode(
            Config(id=i, voters=[1, 2, 3], rng=random.Random(i), pre_vote=True, check_quorum=True),
            MemoryStorage(),
            sink=seen.append,
            stories=stories,
        )
        for i in (1, 2, 3)
    }
    return nodes, seen


def stabilize(nodes: dict[int, RawNode]) -> None:
    queue: list[Message] = []
    while True:
        for node in nodes.values():
            while node.has_ready():
                rd = node.ready()
                node.persist(rd)
                queue.extend(rd.messages)
                node.advance()
        if not queue:
            return
        m = queue.pop(0)
        nodes[m.to].step(m)


def test_no_record_is_built_unless_stories_are_asked_for() -> None:
    nodes, seen = three_nodes(stories=False)
    assert all(n.raft.tell is None for n in nodes.values())
    nodes[1].campaign()
    stabilize(nodes)
    nodes[1].propose("x=1")
    stabilize(nodes)
    assert seen and all(type(r) is LogLine for r in seen)


def test_records_arrive_in_the_sink_next_to_the_log_lines() -> None:
    nodes, seen = three_nodes(stories=True)
    nodes[1].campaign()
    stabilize(nodes)
    nodes[1].propose("x=1")
    stabilize(nodes)
    kinds = [type(r) for r in seen if isinstance(r, Decision)]
    assert kinds.count(Campaign) == 2  # the pre-vote, then the election
    assert kinds.count(Vote) == 4
    assert kinds.count(ElectionResult) == 2
    assert kinds.count(EmptyEntry) == 1
    assert [r.new for r in seen if isinstance(r, Committed)] == [1, 2]
    won = next(r for r in seen if isinstance(r, ElectionResult) and not r.pre_vote)
    assert (won.node, won.term, won.won, won.granted, won.voters) == (1, 1, True, (1, 2), (1, 2, 3))
    assert won.path[-1] == "VoteWon, StateCandidate -> becomeLeader, then bcastAppend"
    # The logged lines are the same either way: records are extra, never instead.
    plain_nodes, plain = three_nodes(stories=False)
    plain_nodes[1].campaign()
    stabilize(plain_nodes)
    plain_nodes[1].propose("x=1")
    stabilize(plain_nodes)
    assert [r for r in seen if type(r) is LogLine] == plain
