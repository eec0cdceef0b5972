"""Core room: etcd/raft's text formats for entries, messages, Readies and progress.

raftviz prints what etcd prints, so its traces can be diffed against etcd's own test files and
read by anyone who has debugged etcd.
"""

from __future__ import annotations

from raftviz.core.raft.log import MemoryStorage
from raftviz.core.raft.messages import Entry, EntryType, Message, StateType
from raftviz.core.raft.raft import Raft
from raftviz.core.raft.rawnode import Ready
from raftviz.core.sim.events import (
    EntriesChanged,
    Event,
    FlightChanged,
    MessageDelivered,
    MessageDropped,
    Narration,
    NetworkChanged,
    NodeFault,
    RaftLog,
    SafetyViolation,
    TimersChanged,
)


def escape(s: str) -> str:
    """`s` with Go's escapes (as in `%q`) for every character that is not printable: control
    characters, bidi overrides, separators. Text a user wrote (a narration, a stored value, a file
    name) is shown through this, so it cannot clear a terminal, set its title or reorder a line."""
    if s.isprintable():
        return s
    return "".join(ch if ch.isprintable() else _go_escape(ch) for ch in s)


def _go_escape(ch: str) -> str:
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    code = ord(ch)
    if code < 0x80:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


_SHORT_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def go_quote(s: str) -> str:
    """Go's %q for a string: double quotes, with Go's escapes for quotes and non-printables."""
    return '"' + escape(s.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def describe_entry(e: Entry) -> str:
    if e.type == EntryType.EntryNormal:
        return f"{e.term}/{e.index} {e.type} {go_quote(e.data)}"
    return f"{e.term}/{e.index} {e.type} {e.data}".rstrip()


def describe_entries(ents: tuple[Entry, ...] | list[Entry]) -> list[str]:
    return [describe_entry(e) for e in ents]


def describe_message(m: Message) -> str:
    s = f"{m.frm:x}->{m.to:x} {m.type} Term:{m.term} Log:{m.log_term}/{m.index}"
    if m.reject:
        s += f" Rejected (Hint: {m.reject_hint})"
    if m.commit:
        s += f" Commit:{m.commit}"
    if len(m.entries) == 1:
        s += f" Entries:[{describe_entry(m.entries[0])}]"
    elif m.entries:
        s += " Entries:[" + "".join(f"\n  {describe_entry(e)}" for e in m.entries) + "\n]"
    return s


def describe_ready(rd: Ready) -> str:
    lines: list[str] = []
    if rd.soft_state is not None:
        lines.append(f"Lead:{rd.soft_state.lead} State:{rd.soft_state.state}")
    hs = rd.hard_state
    if hs is not None and not hs.is_empty():
        vote = f" Vote:{hs.vote}" if hs.vote else ""
        lines.append(f"HardState Term:{hs.term}{vote} Commit:{hs.commit}")
    if rd.entries:
        lines.append("Entries:")
        lines.extend(describe_entries(rd.entries))
    if rd.committed_entries:
        lines.append("CommittedEntries:")
        lines.extend(describe_entries(rd.committed_entries))
    if rd.messages:
        lines.append("Messages:")
        lines.extend(describe_message(m) for m in rd.messages)
    if not lines:
        return "<empty Ready>"
    return f"Ready MustSync={'true' if rd.must_sync else 'false'}:\n" + "\n".join(lines)


def describe_raft_state(r: Raft, state: str | None = None) -> str:
    """etcd's `raft-state` line for one node; `state` overrides the role (e.g. StateCrashed)."""
    voter = "Voter" if r.id in r.trk.voters else "Non-Voter"
    return f"{r.id}: {state or r.state} ({voter}) Term:{r.term} Lead:{r.lead}"


def describe_stable_log(storage: MemoryStorage) -> str:
    """etcd's `raft-log`: the persisted entries, one per line."""
    fi, li = storage.first_index(), storage.last_index()
    if li < fi:
        return f"log is empty: first index={fi}, last index={li}"
    return "\n".join(describe_entries(storage.entries(fi, li + 1)))


def describe_progress(r: Raft) -> list[str]:
    """etcd's `status`: a leader's progress of every peer, in id order (nothing otherwise)."""
    if r.state != StateType.StateLeader:
        return []
    return [f"{id}: {r.trk.progress[id]}" for id in r.trk.ids()]


def describe_event(e: Event) -> str | None:
    """One line for the headless event log, or None for events too chatty to print there
    (messages sent - their delivery or drop is printed - and role changes, which the core's
    own log lines already announce)."""
    match e:
        case RaftLog(line=line):
            return line.render()
        case MessageDelivered(msg=m):
            return f"deliver {describe_message(m)}"
        case MessageDropped(msg=m, reason=reason):
            return f"drop ({reason}) {describe_message(m)}"
        case FlightChanged(msg=m, what=what):
            return f"{what} {describe_message(m)}"
        case EntriesChanged(node=node, what=what, first=first, last=last) if what != "applied":
            span = f"{first}" if first == last else f"{first}-{last}"
            return f"node {node} {what} entries {span}"
        case NodeFault(node=node, what=what):
            return f"node {node} {what}"
        case NetworkChanged(description=text):
            return f"network {text}"
        case TimersChanged():
            return f"timers {describe_timers(e)}"
        case SafetyViolation(property=prop, detail=detail):
            return f"VIOLATION {prop}: {detail}"
        case Narration(text=text, mark=mark):
            return f"{'mark' if mark else 'say'} {escape(text)}"
    return None


def describe_timers(e: TimersChanged) -> str:
    """``aligned: 2,3,4 time out after 14 ticks`` or ``spread: 2=10 3=12 4=14 ticks``."""
    ticks = {t for _, t in e.timeouts}
    if len(ticks) == 1:
        nodes = ",".join(str(node) for node, _ in e.timeouts)
        return f"{e.what}: {nodes} time out after {ticks.pop()} ticks"
    if not e.timeouts:
        return f"{e.what}: no follower to change"
    return f"{e.what}: " + " ".join(f"{node}={t}" for node, t in e.timeouts) + " ticks"


def format_time(ms: int) -> str:
    return f"{ms // 1000:>5}.{ms % 1000:03d}s"
