"""Core room: the Raft log - stable storage, the unstable tail, and the commit/apply cursors.

Like etcd/raft, a node's log is split in two: entries already persisted (`MemoryStorage`) and
entries appended since the last Ready that are not yet durable (`Unstable`). The split is
visible to users: a Ready hands out the unstable entries, and a node only acknowledges what it
has persisted. Index 0 (or the snapshot index a node was bootstrapped from) is a dummy entry
whose term is still known, so appends right after it can be matched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from raftviz.core.raft.messages import Entry


class Logf(Protocol):
    """Where the log writes its lines: an etcd-style format and its values, formatted only if
    somebody reads the line (see Raft._info)."""

    def __call__(self, fmt: str, /, *args: object) -> None: ...


class LogUnavailable(Exception):
    """Asked for a term or entries outside what the log holds."""


class MemoryStorage:
    """Persisted entries. `_ents[0]` is the dummy entry carrying the snapshot's index and term."""

    __slots__ = ("_ents",)

    def __init__(self, snapshot_index: int = 0, snapshot_term: int = 0) -> None:
        self._ents: list[Entry] = [Entry(term=snapshot_term, index=snapshot_index)]

    def __deepcopy__(self, memo: dict[int, object]) -> MemoryStorage:
        # Entries are immutable: copying the list is a full, and fast, copy.
        clone = MemoryStorage.__new__(MemoryStorage)
        clone._ents = list(self._ents)
        return clone

    def first_index(self) -> int:
        return self._ents[0].index + 1

    def last_index(self) -> int:
        return self._ents[0].index + len(self._ents) - 1

    def term(self, i: int) -> int:
        offset = self._ents[0].index
        if i < offset or i - offset >= len(self._ents):
            raise LogUnavailable(i)
        return self._ents[i - offset].term

    def entries(self, lo: int, hi: int) -> list[Entry]:
        """Entries in [lo, hi)."""
        offset = self._ents[0].index
        if lo <= offset or hi > self.last_index() + 1:
            raise LogUnavailable(lo)
        return self._ents[lo - offset : hi - offset]

    def append(self, entries: Sequence[Entry]) -> None:
        """Persist entries, replacing any conflicting suffix (what the entries overwrite)."""
        if not entries:
            return
        offset = self._ents[0].index
        first = entries[0].index
        if first <= offset:
            entries = entries[offset + 1 - first :]
            if not entries:
                return
            first = entries[0].index
        del self._ents[first - offset :]
        self._ents.extend(entries)

    def snapshot(self) -> tuple[int, int, tuple[Entry, ...]]:
        return (self._ents[0].index, self._ents[0].term, tuple(self._ents[1:]))


class Unstable:
    """Entries appended but not yet persisted, starting at index `offset`.

    `offset_in_progress` marks how far the entries were already handed out in a Ready: those are
    being persisted and must not be handed out again.
    """

    __slots__ = ("entries", "log", "offset", "offset_in_progress")

    def __init__(self, offset: int, log: Logf) -> None:
        self.offset = offset
        self.offset_in_progress = offset
        self.entries: list[Entry] = []
        self.log = log

    def maybe_term(self, i: int) -> int | None:
        if i < self.offset:
            return None
        k = i - self.offset
        return self.entries[k].term if k < len(self.entries) else None

    def next_entries(self) -> list[Entry]:
        return self.entries[self.offset_in_progress - self.offset :]

    def accept_in_progress(self) -> None:
        if self.entries:
            self.offset_in_progress = self.entries[-1].index + 1

    def stable_to(self, index: int, term: int) -> None:
        """Forget entries up to `index` once persisted, unless they were replaced meanwhile."""
        t = self.maybe_term(index)
        if t is None:
            self.log("entry at index %s missing from unstable log; ignoring", index)
            return
        if t != term:
            self.log(
                "entry at (index,term)=(%s,%s) mismatched with entry at "
                "(%s,%s) in unstable log; ignoring",
                index,
                term,
                index,
                t,
            )
            return
        del self.entries[: index + 1 - self.offset]
        self.offset = index + 1
        self.offset_in_progress = max(self.offset_in_progress, self.offset)

    def truncate_and_append(self, ents: Sequence[Entry]) -> None:
        first = ents[0].index
        if first == self.offset + len(self.entries):
            self.entries.extend(ents)
        elif first <= self.offset:
            self.log("replace the unstable entries from index %s", first)
            self.entries = list(ents)
            self.offset = first
            self.offset_in_progress = first
        else:
            self.log("truncate the unstable entries before index %s", first)
            del self.entries[first - self.offset :]
            self.entries.extend(ents)
            self.offset_in_progress = min(self.offset_in_progress, first)

    def slice(self, lo: int, hi: int) -> list[Entry]:
        return self.entries[lo - self.offset : hi - self.offset]


class RaftLog:
    """A node's whole log: storage + unstable tail, with `committed`, `applying`, `applied`."""

    __slots__ = ("applied", "applying", "committed", "log", "storage", "unstable")

    def __init__(self, storage: MemoryStorage, log: Logf) -> None:
        self.storage = storage
        self.log = log
        first = storage.first_index()
        last = storage.last_index()
        self.unstable = Unstable(last + 1, log)
        # A log starts committed and applied up to its snapshot: nothing before it can change.
        self.committed = first - 1
        self.applying = first - 1
        self.applied = first - 1

    # ------------------------------------------------------------------ positions

    def first_index(self) -> int:
        return self.storage.first_index()

    def last_index(self) -> int:
        if self.unstable.entries:
            return self.unstable.offset + len(self.unstable.entries) - 1
        return self.storage.last_index()

    def last_term(self) -> int:
        return self.term(self.last_index())

    def term(self, i: int) -> int:
        """The term at index `i`; raises LogUnavailable outside [first_index-1, last_index]."""
        unstable = self.unstable
        if i >= unstable.offset:
            k = i - unstable.offset
            if k < len(unstable.entries):
                return unstable.entries[k].term
            raise LogUnavailable(i)
        return self.storage.term(i)

    def term_or_zero(self, i: int) -> int:
        try:
            return self.term(i)
        except LogUnavailable:
            return 0

    def match_term(self, index: int, term: int) -> bool:
        try:
            return self.term(index) == term
        except LogUnavailable:
            return False

    def is_up_to_date(self, last_index: int, last_term: int) -> bool:
        """Is a log ending at (last_term, last_index) at least as up to date as ours?"""
        our_term = self.last_term()
        return last_term > our_term or (last_term == our_term and last_index >= self.last_index())

    # ------------------------------------------------------------------ reading entries

    def entries_from(self, lo: int) -> list[Entry]:
        """Every entry from `lo` to the end of the log.

        A leader asks this for every append it sends, nearly always for entries of the unstable
        tail only (or none): that case is answered first, without slice()'s bounds checks."""
        unstable = self.unstable
        if lo >= unstable.offset:
            return unstable.entries[lo - unstable.offset :]
        return self.slice(lo, self.last_index() + 1)

    def slice(self, lo: int, hi: int) -> list[Entry]:
        """Entries in [lo, hi), from storage and the unstable tail."""
        if lo >= hi:
            return []
        if lo < self.first_index() or hi > self.last_index() + 1:
            raise LogUnavailable(lo)
        off = self.unstable.offset
        if lo >= off:
            return self.unstable.slice(lo, hi)
        if hi <= off:
            return self.storage.entries(lo, hi)
        return self.storage.entries(lo, off) + self.unstable.slice(off, hi)

    def all_entries(self) -> list[Entry]:
        return self.entries_from(self.first_index())

    # ------------------------------------------------------------------ conflicts

    def find_conflict(self, ents: Sequence[Entry]) -> int:
        """Index of the first entry that does not match our log, or 0 if all match."""
        last = self.last_index()
        for e in ents:
            if e.index > last:
                return e.index  # a new entry (the common case: no lookup, no exception)
            if not self.match_term(e.index, e.term):
                self.log(
                    "found conflict at index %s [existing term: %s, conflicting term: %s]",
                    e.index,
                    self.term_or_zero(e.index),
                    e.term,
                )
                return e.index
        return 0

    def find_conflict_by_term(self, index: int, term: int) -> tuple[int, int]:
        """The largest (i, term(i)) with i <= index and term(i) <= term; (i, 0) if unknown."""
        while index > 0:
            try:
                ours = self.term(index)
            except LogUnavailable:
                return index, 0
            if ours <= term:
                return index, ours
            index -= 1
        return 0, 0

    # ------------------------------------------------------------------ changing the log

    def append(self, ents: Sequence[Entry]) -> int:
        if ents:
            if ents[0].index - 1 < self.committed:
                raise AssertionError(
                    f"after({ents[0].index - 1}) is out of range [committed({self.committed})]"
                )
            self.unstable.truncate_and_append(ents)
        return self.last_index()

    def maybe_append(
        self, prev_index: int, prev_term: int, ents: Sequence[Entry], commit: int
    ) -> int | None:
        """Append a leader's entries anchored at (prev_term, prev_index); None if it misses."""
        if not self.match_term(prev_index, prev_term):
            return None
        last_new = prev_index + len(ents)
        # Half of a leader's appends only carry a commit index: the guards below spare them
        # calls that would do nothing (6% of `bench core` went to this method's callees), and
        # the commit is moved without commit_to's range check: last_new is in the log.
        if ents:
            ci = self.find_conflict(ents)
            if ci:
                if ci <= self.committed:
                    raise AssertionError(f"entry {ci} conflict with committed entry")
                # append() without its own check (the one above) and its unused last index.
                self.unstable.truncate_and_append(ents[ci - prev_index - 1 :])
        to_commit = min(commit, last_new)
        if to_commit > self.committed:
            self.committed = to_commit
        return last_new

    def commit_to(self, index: int) -> None:
        if index > self.committed:
            if index > self.last_index():
                raise AssertionError(f"tocommit({index}) is out of range")
            self.committed = index

    def maybe_commit(self, index: int, term: int) -> bool:
        """Commit up to `index` if it is beyond the commit and holds an entry of `term`."""
        if index > self.committed and self.match_term(index, term):
            self.committed = index
            return True
        return False

    # ------------------------------------------------------------------ Ready bookkeeping

    def next_committed_entries(self) -> list[Entry]:
        if self.applying >= self.committed:
            return []
        return self.slice(self.applying + 1, self.committed + 1)

    def accept_applying(self, index: int) -> None:
        self.applying = index

    def applied_to(self, index: int) -> None:
        self.applied = max(self.applied, index)
        self.applying = max(self.applying, index)
