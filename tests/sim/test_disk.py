"""A write to disk before sending (`disk=`): what a node persists holds back the messages of
the same Ready, as etcd asks of its users (persist, then send), and only those."""

from __future__ import annotations

import io
import json
from pathlib import Path

from raftviz.commands.run import run_script
from raftviz.core.script.parse import parse_script
from raftviz.core.sim.cluster import Cluster, Settings
from raftviz.core.sim.events import MessageDropped, MessageSent

LATENCY = 5
DISK = 10


def _cluster(disk_ms: int) -> Cluster:
    return Cluster(
        Settings(
            nodes=3, prevote=False, latency=(LATENCY, LATENCY), disk_ms=disk_ms, auto_tick=False
        )
    )


def _sent(cluster: Cluster) -> list[MessageSent]:
    return [e for e in cluster.drain() if isinstance(e, MessageSent)]


def test_a_candidate_s_requests_and_the_votes_leave_after_the_write() -> None:
    """The candidate writes its new term and vote, then asks; each voter writes its vote, then
    answers: an election's round trip is two writes and two flights."""
    c = _cluster(DISK)
    c.campaign(1)
    requests = _sent(c)
    assert {str(e.msg.type) for e in requests} == {"MsgVote"}
    assert all((e.sent_ms, e.deliver_ms) == (DISK, DISK + LATENCY) for e in requests)
    c.advance_to(DISK + LATENCY)
    votes = _sent(c)
    assert {str(e.msg.type) for e in votes} == {"MsgVoteResp"}
    assert all(e.time_ms == DISK + LATENCY for e in votes)  # built when the request arrived
    assert all(e.sent_ms == 2 * DISK + LATENCY for e in votes)  # on the wire after the write
    c.advance_to(2 * (DISK + LATENCY))
    assert c.leader() == 1


def test_what_writes_nothing_leaves_at_once() -> None:
    """A leader's heartbeats persist nothing: no wait, whatever the disk."""
    c = _cluster(DISK)
    c.campaign(1)
    c.advance_to(100)
    c.drain()
    c.tick(1)  # heartbeat-tick 1: the leader beats
    beats = [e for e in _sent(c) if str(e.msg.type) == "MsgHeartbeat"]
    assert beats and all(e.sent_ms == e.time_ms == c.time_ms for e in beats)


def test_no_disk_is_the_default_and_sends_at_once() -> None:
    c = _cluster(0)
    c.campaign(1)
    assert all(e.sent_ms == 0 for e in _sent(c))


def test_a_script_sets_it_and_a_saved_session_keeps_it() -> None:
    parsed = parse_script("cluster nodes=3 latency=(5ms,5ms) disk=10ms\ncampaign 1\n", "d.raft")
    assert parsed.cluster.disk_ms == DISK
    assert "disk=10ms" in parsed.cluster.to_text()
    assert parse_script(parsed.cluster.to_text(), "again.raft").cluster.disk_ms == DISK
    assert "disk=" not in parse_script("cluster nodes=3", "plain.raft").cluster.to_text()


def test_raftviz_run_elects_later_with_a_slow_disk(tmp_path: Path) -> None:
    """Headless, with pre-vote: its round writes nothing (no term, no vote changes), the
    election's round writes twice, so `run until leader` ends two writes later."""
    ends = []
    for disk in ("0ms", "10ms"):
        path = tmp_path / f"disk-{disk}.raft"
        path.write_text(
            f"cluster nodes=3 latency=(5ms,5ms) disk={disk} auto-tick=false\n"
            "campaign 1\nrun until leader timeout=1s\n"
        )
        out = io.StringIO()
        assert run_script(str(path), as_json=True, seed=None, out=out) == 0
        ends.append(json.loads(out.getvalue())["time_ms"])
    assert ends == [4 * LATENCY, 4 * LATENCY + 2 * DISK]


def test_a_crash_during_the_write_keeps_its_messages_home() -> None:
    """The candidate crashes 5 ms into its 10 ms write: its requests never leave (they are
    dropped, saying why), and no one else hears of its election."""
    c = _cluster(DISK)
    c.campaign(1)
    c.drain()
    c.advance_to(DISK // 2)
    c.crash(1)
    dropped = [e for e in c.drain() if isinstance(e, MessageDropped)]
    assert {(str(e.msg.type), e.reason) for e in dropped} == {("MsgVote", "sender crashed")}
    assert len(dropped) == 2 and not c.flights
    c.advance_to(100)
    assert all(node.raw.raft.term == 0 for id, node in c.nodes.items() if id != 1)
