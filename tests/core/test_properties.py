"""Property tests: the core's quorum, log and inflight primitives against brute-force definitions.

Each property states the definition from the spec (sections 7 and 8) in the most naive way
possible and compares the core's implementation with it on generated inputs.
"""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from raftviz.core.raft.log import LogUnavailable, MemoryStorage, RaftLog
from raftviz.core.raft.messages import Entry
from raftviz.core.raft.quorum import VoteResult, committed_index, vote_result
from raftviz.core.raft.tracker import Inflights, Progress, ProgressTracker

settings.register_profile("raftviz-core", max_examples=200, deadline=None)
settings.load_profile("raftviz-core")

# ------------------------------------------------------------------------------ strategies

voter_sets = st.sets(st.integers(min_value=1, max_value=9), min_size=1, max_size=7)
terms_lists = st.lists(st.integers(min_value=1, max_value=6), max_size=12)


@st.composite
def acks(draw: st.DrawFn) -> tuple[set[int], dict[int, int]]:
    """A voter set and acknowledged indexes for some of them (and maybe for non-voters)."""
    voters = draw(voter_sets)
    ids = st.sampled_from(sorted(voters | {10, 11}))
    acked = draw(st.dictionaries(ids, st.integers(min_value=0, max_value=20)))
    return voters, acked


@st.composite
def ballots(draw: st.DrawFn) -> tuple[set[int], dict[int, bool]]:
    """A voter set and the votes received so far (maybe including non-voters')."""
    voters = draw(voter_sets)
    ids = st.sampled_from(sorted(voters | {10, 11}))
    return voters, draw(st.dictionaries(ids, st.booleans()))


def split_log(terms: list[int], split: int) -> RaftLog:
    """A RaftLog of `terms` at 1..k: entries up to `split` persisted, the rest unstable."""
    entries = [Entry(term=t, index=i + 1) for i, t in enumerate(terms)]
    storage = MemoryStorage()
    storage.append(entries[:split])
    log = RaftLog(storage, lambda *_: None)
    log.append(entries[split:])
    return log


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[int], RaftLog]:
    terms = draw(terms_lists)
    split = draw(st.integers(min_value=0, max_value=len(terms)))
    return terms, split_log(terms, split)


def term_at(terms: list[int], i: int) -> int | None:
    """The brute-force log: index 0 is the dummy entry of term 0; None past the end."""
    if i == 0:
        return 0
    return terms[i - 1] if 1 <= i <= len(terms) else None


# ------------------------------------------------------------------------------ quorum


def brute_committed(voters: set[int], acked: Mapping[int, int]) -> int:
    """The largest i acknowledged by a majority: |{v: acked[v] >= i}| >= n//2 + 1."""
    q = len(voters) // 2 + 1
    best = 0
    for i in range(0, max(acked.values(), default=0) + 1):
        if sum(1 for v in voters if acked.get(v, 0) >= i) >= q:
            best = i
    return best


@given(acks())
def test_committed_index_is_the_highest_majority_acknowledged_index(
    case: tuple[set[int], dict[int, int]],
) -> None:
    voters, acked = case
    assert committed_index([acked.get(v, 0) for v in voters]) == brute_committed(voters, acked)


def test_committed_index_of_an_empty_config_is_unbounded() -> None:
    assert committed_index([]) == 2**63 - 1


def brute_vote(voters: set[int], votes: Mapping[int, bool]) -> VoteResult:
    q = len(voters) // 2 + 1
    granted = sum(1 for v in voters if votes.get(v) is True)
    rejected = sum(1 for v in voters if votes.get(v) is False)
    if granted >= q:
        return VoteResult.VoteWon
    if len(voters) - rejected < q:  # even all missing votes could not make a majority
        return VoteResult.VoteLost
    return VoteResult.VotePending


@given(ballots())
def test_vote_result_matches_brute_force(case: tuple[set[int], dict[int, bool]]) -> None:
    voters, votes = case
    assert vote_result(voters, votes) == brute_vote(voters, votes)


@given(voter_sets, st.data())
def test_votes_only_move_towards_a_decision(voters: set[int], data: st.DataObject) -> None:
    """Once Won or Lost, more votes never change the result (monotonicity)."""
    order = data.draw(st.permutations(sorted(voters)))
    votes: dict[int, bool] = {}
    decided: VoteResult | None = None
    for v in order:
        votes[v] = data.draw(st.booleans())
        res = vote_result(voters, votes)
        if decided is not None:
            assert res == decided
        elif res != VoteResult.VotePending:
            decided = res
    assert decided is not None  # every voter answered: the election is decided


@given(
    voter_sets,
    st.lists(st.tuples(st.integers(min_value=1, max_value=11), st.booleans()), max_size=20),
)
def test_tally_counts_the_first_vote_of_each_voter(
    voters: set[int], received: list[tuple[int, bool]]
) -> None:
    """Spec 8.1: duplicates are ignored, non-members are not counted."""
    trk = ProgressTracker(sorted(voters), [], 256)
    for v in voters:
        trk.progress[v] = Progress(1, 256)
    first: dict[int, bool] = {}
    for id, granted in received:
        trk.record_vote(id, granted)
        first.setdefault(id, granted)
    counted = {v: g for v, g in first.items() if v in voters}
    want = (
        sum(counted.values()),
        sum(not g for g in counted.values()),
        brute_vote(voters, counted),
    )
    assert trk.tally_votes() == want


def test_empty_config_wins_every_vote() -> None:
    assert vote_result(set(), {}) == VoteResult.VoteWon


# ------------------------------------------------------------------------------ log


@st.composite
def incoming(draw: st.DrawFn, terms: list[int]) -> list[Entry]:
    """A contiguous run of entries, overlapping our log or extending it by a few."""
    start = draw(st.integers(min_value=1, max_value=len(terms) + 2))
    n = draw(st.integers(min_value=0, max_value=6))
    return [
        Entry(term=draw(st.integers(min_value=1, max_value=6)), index=start + k) for k in range(n)
    ]


@given(logs(), st.data())
def test_find_conflict_returns_the_first_non_matching_entry(
    case: tuple[list[int], RaftLog], data: st.DataObject
) -> None:
    terms, log = case
    ents = data.draw(incoming(terms))
    want = next((e.index for e in ents if term_at(terms, e.index) != e.term), 0)
    assert log.find_conflict(ents) == want


@given(logs(), st.integers(min_value=0, max_value=15), st.integers(min_value=0, max_value=7))
def test_find_conflict_by_term_returns_the_largest_candidate(
    case: tuple[list[int], RaftLog], index: int, term: int
) -> None:
    terms, log = case
    if index > len(terms):
        # Past the end the term is unknown: the index comes back with term 0.
        assert log.find_conflict_by_term(index, term) == (index, 0)
        return
    with_dummy = [0, *terms]
    best = max(i for i in range(0, index + 1) if with_dummy[i] <= term)  # 0 always qualifies
    assert log.find_conflict_by_term(index, term) == (best, with_dummy[best])


@given(logs(), st.integers(min_value=0, max_value=15), st.integers(min_value=0, max_value=7))
def test_is_up_to_date_follows_the_raft_paper(
    case: tuple[list[int], RaftLog], last_index: int, last_term: int
) -> None:
    """Paper 5.4.1: compare last terms; if equal, the longer log is more up to date."""
    terms, log = case
    ours = (term_at(terms, len(terms)), len(terms))
    assert log.is_up_to_date(last_index, last_term) == ((last_term, last_index) >= ours)


@given(logs())
def test_log_terms_and_entries_agree_across_the_stable_split(
    case: tuple[list[int], RaftLog],
) -> None:
    terms, log = case
    assert log.last_index() == len(terms)
    assert [log.term(i) for i in range(0, len(terms) + 1)] == [0, *terms]
    assert [e.term for e in log.all_entries()] == terms
    try:
        log.term(len(terms) + 1)
    except LogUnavailable:
        pass
    else:
        raise AssertionError("term past the end must be unavailable")


@given(logs(), st.data())
def test_maybe_append_makes_the_log_agree_with_the_leader(
    case: tuple[list[int], RaftLog], data: st.DataObject
) -> None:
    """After an accepted append, the log holds the leader's entries at their indexes, and the
    prefix before the first conflict is untouched."""
    terms, log = case
    prev = data.draw(st.integers(min_value=0, max_value=len(terms)))
    ents = [
        Entry(term=data.draw(st.integers(min_value=1, max_value=6)), index=prev + 1 + k)
        for k in range(data.draw(st.integers(min_value=0, max_value=5)))
    ]
    conflict = next((e.index for e in ents if term_at(terms, e.index) != e.term), 0)
    last_new = log.maybe_append(prev, term_at(terms, prev) or 0, ents, commit=0)
    assert last_new == prev + len(ents)
    got = [log.term(i) for i in range(1, log.last_index() + 1)]
    if conflict:
        want = terms[: conflict - 1] + [e.term for e in ents if e.index >= conflict]
    else:
        want = terms
    assert got == want


# ------------------------------------------------------------------------------ storage


@given(
    st.integers(min_value=0, max_value=5),
    terms_lists,
    st.data(),
)
def test_memory_storage_append_replaces_a_conflicting_suffix(
    offset: int, old_terms: list[int], data: st.DataObject
) -> None:
    storage = MemoryStorage(snapshot_index=offset, snapshot_term=1)
    old = [Entry(term=t, index=offset + 1 + i) for i, t in enumerate(old_terms)]
    storage.append(old)
    last = offset + len(old)
    # New entries start anywhere from before the snapshot to just past our last entry.
    start = data.draw(st.integers(min_value=1, max_value=last + 1))
    new_terms = data.draw(st.lists(st.integers(min_value=1, max_value=9), max_size=6))
    new = [Entry(term=t, index=start + i, data="new") for i, t in enumerate(new_terms)]
    storage.append(new)
    # Entries at or below the snapshot are dropped first (they are compacted away); the suffix
    # from the first remaining new entry on is then replaced.
    kept = [e for e in new if e.index > offset]
    model = {e.index: e for e in old}
    if kept:
        model = {i: e for i, e in model.items() if i < kept[0].index}
        model.update({e.index: e for e in kept})
    snap_index, snap_term, ents = storage.snapshot()
    assert (snap_index, snap_term) == (offset, 1)
    assert list(ents) == [model[i] for i in sorted(model)]
    assert [e.index for e in ents] == list(range(offset + 1, offset + 1 + len(ents)))
    assert storage.last_index() == offset + len(ents)


# ------------------------------------------------------------------------------ inflights


@given(
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=0, max_value=40),
    st.lists(
        st.one_of(
            st.tuples(st.just("add"), st.integers(min_value=1, max_value=3), st.integers(0, 15)),
            st.tuples(st.just("free"), st.integers(min_value=0, max_value=30), st.just(0)),
            st.tuples(st.just("reset"), st.just(0), st.just(0)),
        ),
        max_size=40,
    ),
)
def test_inflights_behave_as_a_bounded_fifo(
    size: int, max_bytes: int, ops: list[tuple[str, int, int]]
) -> None:
    infl = Inflights(size, max_bytes)
    model: list[tuple[int, int]] = []  # (last index of the append, its bytes), oldest first
    last = 0
    for op, a, b in ops:
        full = len(model) == size or (max_bytes > 0 and sum(n for _, n in model) >= max_bytes)
        assert infl.full() == full
        if op == "add":
            if full:
                continue  # adding to a full window is a bug in the caller
            last += a  # appends go out in index order
            infl.add(last, b)
            model.append((last, b))
        elif op == "free":
            infl.free_le(a)
            while model and model[0][0] <= a:
                model.pop(0)
        else:
            infl.reset()
            model.clear()
        assert infl.count() == len(model)
    assert infl.full() == (
        len(model) == size or (max_bytes > 0 and sum(n for _, n in model) >= max_bytes)
    )


def test_inflights_refuse_an_add_when_full() -> None:
    infl = Inflights(2)
    infl.add(1, 0)
    infl.add(2, 0)
    try:
        infl.add(3, 0)
    except AssertionError:
        pass
    else:
        raise AssertionError("adding to a full Inflights must fail")
    infl.free_le(1)
    assert (infl.count(), infl.full()) == (1, False)
