"""Core room, the etcd port: the unsafe variants, Raft with one of its safety rules switched off.

Each rule of Raft is there for a reason, and the clearest way to teach the reason is to break
the rule and watch what goes wrong. Every variant is a switch in `Config.unsafe`, off by default,
and each changes only the decisions of the rule it switches off (for commit-old-terms, the
commit and the empty entry that exists for it), saying so in their records (see decision.py).
With no switch on, nothing changes: etcd's interaction tests still pass byte for byte.

`UNSAFE` is the one list of the variants, name -> one-line description: the script language
(`cluster ... unsafe=NAME,NAME`), the TUI (`--unsafe NAME`) and whatever explores many runs take
their names and words from here.
"""

from __future__ import annotations

from typing import Final

NO_LOG_CHECK: Final = "no-log-check"
COMMIT_OLD_TERMS: Final = "commit-old-terms"
FORGET_VOTE: Final = "forget-vote"
ACCEPT_STALE_LEADER: Final = "accept-stale-leader"

UNSAFE: Final[dict[str, str]] = {
    NO_LOG_CHECK: "voters grant (pre-)votes without checking that the candidate's log is at "
    "least as up to date as theirs (Raft §5.4.1, etcd's isUpToDate)",
    COMMIT_OLD_TERMS: "a leader commits entries of earlier terms by counting replicas, so it "
    "appends no empty entry when elected (Raft §5.4.2, Figure 8)",
    FORGET_VOTE: "a node's vote is not kept across a restart: it comes back with no vote in "
    "its term and may vote again (Raft Figure 2, persistent state)",
    ACCEPT_STALE_LEADER: "followers accept appends and heartbeats from a leader of an older term "
    "instead of refusing them (Raft §5.1, AppendEntries rule 1)",
}
"""Every unsafe variant: its name, and what it switches off, in one line."""
