"""Core room: the parser of the raftviz script language (see SCRIPT.md).

Scenario files, the TUI's prompt, saved sessions and tests all speak this one language, so this
is the single place where a user's text becomes values. Everything downstream (the executor, the
TUI, the headless runner) receives frozen command objects whose arguments are already checked,
and every mistake is reported here as one `FILE:LINE: problem` line, before a run starts, rather
than as a traceback in the middle of one. Each command renders itself back with `to_text()`,
which is how a TUI session is saved as a script that replays it.

Nothing here knows a running cluster: resolving `leader` to a node and checking a condition
against the cluster's state are the executor's job.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import ClassVar, Final, Literal, TypeAlias, TypeVar

from raftviz.core.etcdtext.describe import escape
from raftviz.core.raft.raft import TIMER_RULES
from raftviz.core.raft.unsafe import UNSAFE
from raftviz.core.sim.cluster import Settings

NodeRef: TypeAlias = int | Literal["leader"]
"""A node as a script names it: its number, or `leader`, resolved only when the command runs."""

MAX_NODES: Final = 99
MAX_SEED: Final = 2**63 - 1
"""Seeds run from 0 to the largest signed 64-bit integer, one range for `cluster seed=` and for
`--seed`: Python's Random would take any integer, but reads a negative seed as its absolute value
(-1 ran exactly as 1), and a seed the command line accepted must also load from the session it
saves. 64 bits are what other tools (etcd's Go among them) can pass on."""
_DEFAULTS: Final = Settings()
"""The cluster's defaults, so a script's `cluster` line and the simulation never disagree."""
DEFAULT_TIMEOUT_MS: Final = 60_000
"""How long `run until` waits by default, in simulated time."""
MAX_DURATION_MS: Final = 24 * 60 * 60 * 1000
"""The longest duration a script may give (`run`, `timeout=`, and `tick` and `latency` too): one
simulated day. Headless, a simulated day of a five-node cluster at the default settings takes about
two minutes; without a bound, `run 999999999999999m` was accepted and never ended."""
MAX_SCRIPT_BYTES: Final = 1 << 20
"""The largest script file loaded, 1 MiB: some 50000 lines, beyond any scenario or saved session,
while a file is read whole before its first line is parsed, so a bigger one (or an endless one)
would only eat memory before any error could be shown."""
MAX_TICK_COUNT: Final = 100_000
"""The most ticks one command may give a node: `tick count=`, and `tick-election` /
`tick-heartbeat` through election-tick and heartbeat-tick. A node's ticks are processed at once,
without the clock moving, so this bounds the command's work: 100000 ticks take seconds and are
more than any timeout worth stepping through; a billion never ended."""

MSG_TYPES: Final = (
    "MsgHup",
    "MsgBeat",
    "MsgProp",
    "MsgApp",
    "MsgAppResp",
    "MsgVote",
    "MsgVoteResp",
    "MsgSnap",
    "MsgHeartbeat",
    "MsgHeartbeatResp",
    "MsgUnreachable",
    "MsgSnapStatus",
    "MsgCheckQuorum",
    "MsgTransferLeader",
    "MsgTimeoutNow",
    "MsgReadIndex",
    "MsgReadIndexResp",
    "MsgPreVote",
    "MsgPreVoteResp",
    "MsgForgetLeader",
)
ROLES: Final = ("follower", "pre-candidate", "candidate", "leader", "crashed")


class ScriptError(ValueError):
    """A mistake a user made in a script or at the prompt.

    Its text is always one line naming the place and the problem, so a caller can print it as is
    and exit with code 2: what is not printable in the file's name or in the text it quotes is
    escaped. `line` is None when the problem is the file itself. It is a ValueError so that
    callers promising "ValueError on bad input" (the controller) need no translation.
    """

    def __init__(self, filename: str, line: int | None, problem: str) -> None:
        self.filename = filename
        self.line = line
        self.problem = escape(" ".join(problem.splitlines()))
        where = escape(filename) if line is None else f"{escape(filename)}:{line}"
        super().__init__(f"{where}: {self.problem}")


class _Bad(Exception):
    """A problem found where the file and line are not known; the caller adds them."""


# ------------------------------------------------------------------ values


_INT = re.compile(r"[0-9]{1,30}")  # bounded so int() never meets Python's digit limit
_DURATION = re.compile(r"(-?)([0-9]{1,15}(?:\.[0-9]{1,15})?)(ms|s|m)?")
_DECIMAL = re.compile(r"(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:[eE][-+]?[0-9]{1,3})?")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000}
_BOOLS = {"true": True, "false": False}


def _duration(key: str, text: str) -> int:
    """Simulated time is integer milliseconds, so a duration that is not one is refused."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise _Bad(f"{key}: {text or 'nothing'} is not a duration (like 250ms, 1.5s or 2m)")
    sign, number, unit = match.groups()
    if sign:
        raise _Bad(f"{key}: a duration cannot be negative, got {text}")
    if unit is None:
        raise _Bad(f"{key}: a duration needs a unit (ms, s or m), got {text}")
    ms = Fraction(number) * _UNIT_MS[unit]
    if ms.denominator != 1:
        raise _Bad(f"{key}: a duration must be a whole number of milliseconds, got {text}")
    if ms > MAX_DURATION_MS:
        raise _Bad(
            f"{key}: a duration can be at most {_ms_text(MAX_DURATION_MS)} (one simulated day),"
            f" got {text}"
        )
    return int(ms)


def _ms_text(ms: int) -> str:
    for unit, scale in (("m", 60_000), ("s", 1000)):
        if ms and ms % scale == 0:
            return f"{ms // scale}{unit}"
    return f"{ms}ms"


def _range_ms(key: str, text: str) -> tuple[int, int]:
    """`150-300ms` (each end a duration; a unit after the second one alone applies to both)."""
    low, dash, high = text.partition("-")
    if not dash:
        raise _Bad(f"{key} must be a range like 150-300ms, got {text or 'nothing'}")
    low_match, high_match = _DURATION.fullmatch(low), _DURATION.fullmatch(high)
    if low_match and high_match and low_match[3] is None and high_match[3] is not None:
        low += high_match[3]
    lo, hi = _duration(key, low), _duration(key, high)
    if not 0 < lo <= hi:
        raise _Bad(f"{key}: the low end must be above 0ms and at most the high end, got {text}")
    return lo, hi


def _range_text(lo: int, hi: int) -> str:
    return f"{lo}-{hi}ms"


def _timer_rule(key: str, text: str) -> str:
    if text not in TIMER_RULES:
        raise _Bad(f"{key} must be one of {', '.join(TIMER_RULES)}, got {text or 'nothing'}")
    return text


def _probability(key: str, text: str) -> float:
    if _DECIMAL.fullmatch(text) and 0 <= float(text) <= 1:
        return float(text)
    raise _Bad(f"{key} must be a probability between 0 and 1, got {text or 'nothing'}")


def _number_text(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _bool(key: str, text: str) -> bool:
    if text in _BOOLS:
        return _BOOLS[text]
    raise _Bad(f"{key} must be true or false, got {text or 'nothing'}")


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def _whole(low: int, high: int | None = None) -> Callable[[str, str], int]:
    def read(key: str, text: str) -> int:
        if _INT.fullmatch(text) and low <= int(text) and (high is None or int(text) <= high):
            return int(text)
        bounds = f"of at least {low}" if high is None else f"from {low} to {high}"
        raise _Bad(f"{key} must be a whole number {bounds}, got {text or 'nothing'}")

    return read


_TICKS = _whole(1, MAX_TICK_COUNT)
_SEED = _whole(0, MAX_SEED)


def parse_seed(text: str) -> int:
    """A seed given on the command line, read by the same rule as `cluster seed=`; raises
    ValueError naming the problem."""
    try:
        return _SEED("seed", text)
    except _Bad as bad:
        raise ValueError(str(bad)) from None


def _unsafe(value: _Value) -> tuple[str, ...]:
    """`unsafe=a,b` (or the list form `unsafe=(a,b)`): names of unsafe variants, each once."""
    items = value if isinstance(value, tuple) else tuple(value.split(","))
    names = tuple(item.strip() for item in items)
    known = f"the unsafe variants are {', '.join(UNSAFE)}"
    if not any(names):
        raise _Bad(f"unsafe needs at least one name: {known}")
    for at, name in enumerate(names):
        if name not in UNSAFE:
            raise _Bad(
                f"unknown unsafe variant {name or 'nothing'}{_did_you_mean(name, UNSAFE)}; {known}"
            )
        if name in names[:at]:
            raise _Bad(f"unsafe variant {name} is given twice")
    return names


def parse_unsafe(text: str) -> tuple[str, ...]:
    """Unsafe variants given on the command line (`NAME[,NAME]`), read by the rule of the
    script's `cluster unsafe=`; raises ValueError naming the problem."""
    try:
        return _unsafe(text)
    except _Bad as bad:
        raise ValueError(str(bad)) from None


def _node_number(text: str, nodes: int, *, none: int | None = None) -> int:
    """`none` is the number that stands for "no node" where one is allowed (0 for lead/vote)."""
    if not _INT.fullmatch(text):
        raise _Bad(f"expected a node number, got {text or 'nothing'}")
    number = int(text)
    if number != none and not 1 <= number <= nodes:
        members = "only node 1" if nodes == 1 else f"nodes 1-{nodes}"
        raise _Bad(f"unknown node {number} (cluster has {members})")
    return number


def _node(text: str, nodes: int) -> NodeRef:
    return "leader" if text == "leader" else _node_number(text, nodes)


def _msg_type(key: str, text: str) -> str:
    if text in MSG_TYPES:
        return text
    raise _Bad(f"unknown message type {text or 'nothing'}{_did_you_mean(text, MSG_TYPES)}")


def _latency(value: _Value) -> tuple[int, int]:
    if not isinstance(value, tuple) or len(value) != 2:
        raise _Bad("latency must be a range (MIN,MAX), like latency=(200ms,600ms)")
    low, high = (_duration("latency", text) for text in value)
    if low > high:
        raise _Bad(f"latency minimum {value[0]} is above its maximum {value[1]}")
    return low, high


def _latency_text(latency: tuple[int, int]) -> str:
    return f"latency=({_ms_text(latency[0])},{_ms_text(latency[1])})"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _word(text: str) -> str:
    """Writes `text` bare when it reads back as the same single token, quoted otherwise."""
    bare = bool(text) and text[0] != "=" and not any(c.isspace() or c in '#"()\\' for c in text)
    return text if bare else _quote(text)


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


# ------------------------------------------------------------------ tokens

_Value: TypeAlias = str | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Token:
    """A bare word or quoted string (`value` None), or `key=value` / `key=(v1,v2,...)`."""

    word: str
    value: _Value | None = None


_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
"""What no line may hold: C0 controls but tab, DEL, C1 controls and Unicode's line and
paragraph separators. A line ends only at a line feed, so anything else that some reader could
take for a line break (form feed, NEL, U+2028...) would split a line for that reader and not for
the parser; and a saved command must load back as the same command, while a terminal would act on
the others rather than show them."""


def _refuse_controls(line: str) -> None:
    found = _CONTROL.search(line)
    if found:
        raise _Bad(
            f"control character U+{ord(found[0]):04X} is not allowed (column {found.start() + 1});"
            " tab is the only one a line may hold"
        )


def _tokenize(line: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(line):
        char = line[i]
        if char.isspace():
            i += 1
            continue
        if char == "#":
            break
        if char in "()":
            raise _Bad(f"unexpected {char!r} at column {i + 1}")
        if char == '"':
            text, i = _quoted(line, i)
            tokens.append(_Token(text))
        else:
            token, i = _bare_token(line, i)
            tokens.append(token)
        if i < len(line) and not (line[i].isspace() or line[i] == "#"):
            raise _Bad(f"unexpected {line[i]!r} at column {i + 1}")
    return tokens


def _bare_token(line: str, start: int) -> tuple[_Token, int]:
    end = start
    while end < len(line) and not line[end].isspace() and line[end] not in '#"()':
        end += 1
    key, eq, value = line[start:end].partition("=")
    if not eq:
        return _Token(key), end
    if not key:
        raise _Bad(f"missing name before '=' at column {start + 1}")
    if not value and line[end : end + 1] == "(":
        return _list(line, end, key)
    if not value and line[end : end + 1] == '"':
        text, end = _quoted(line, end)
        return _Token(key, text), end
    return _Token(key, value), end


def _list(line: str, start: int, key: str) -> tuple[_Token, int]:
    end = start + 1
    while end < len(line) and line[end] not in '#"()':
        end += 1
    if line[end : end + 1] != ")":
        raise _Bad(f"{key}=( at column {start + 1} has no closing ')'")
    inner = line[start + 1 : end]
    items = tuple(item.strip() for item in inner.split(",")) if inner.strip() else ()
    return _Token(key, items), end + 1


def _quoted(line: str, start: int) -> tuple[str, int]:
    chars: list[str] = []
    i = start + 1
    while i < len(line):
        char = line[i]
        if char == '"':
            return "".join(chars), i + 1
        if char == "\\":
            i += 1
            char = line[i : i + 1]
            if not char:
                break
            if char not in ('"', "\\"):
                raise _Bad(f'unknown escape \\{char} in a quoted string (only \\" and \\\\)')
        chars.append(char)
        i += 1
    raise _Bad(f"unterminated quoted string starting at column {start + 1}")


def _data(token: _Token) -> str:
    """DATA, a narration or a label: one word, one `key=value` word, or a quoted string."""
    if isinstance(token.value, tuple):
        raise _Bad(f"{token.word}=(...) is a list, not a word or a quoted string")
    return token.word if token.value is None else f"{token.word}={token.value}"


# ------------------------------------------------------------------ conditions


@dataclass(frozen=True, slots=True)
class HasLeader:
    """`leader`: some live node is leader."""

    def describe(self) -> str:
        return "leader"


@dataclass(frozen=True, slots=True)
class LeaderIs:
    """`leader=N` / `leader=none`: `node` None means that there must be no leader."""

    node: int | None

    def describe(self) -> str:
        return f"leader={'none' if self.node is None else self.node}"


@dataclass(frozen=True, slots=True)
class Converged:
    """`converged`: every live node has the same log, commit and applied index."""

    def describe(self) -> str:
        return "converged"


@dataclass(frozen=True, slots=True)
class NoViolations:
    """`violations=0`: no safety property has been violated so far."""

    def describe(self) -> str:
        return "violations=0"


@dataclass(frozen=True, slots=True)
class HasViolations:
    """`violations>0`: some safety property has been violated, what a breakpoint waits for
    in a run with an unsafe setting."""

    def describe(self) -> str:
        return "violations>0"


class _Scoped(ABC):
    """A term about one node, the one named by the `node=N` before it in the condition."""

    __slots__ = ()
    node: NodeRef | None

    @abstractmethod
    def text(self) -> str:
        """The term as written after its `node=N`."""

    def describe(self) -> str:
        return self.text() if self.node is None else f"node={self.node} {self.text()}"


@dataclass(frozen=True, slots=True)
class Compare(_Scoped):
    """`term`, `lead`, `vote`, `commit`, `applied`, `last-index` or `last-term` against a value.

    `node` is None only for `term`, which then means the leader's term; `lead=0` / `vote=0`
    mean none.
    """

    node: NodeRef | None
    key: str
    op: Literal["=", ">="]
    value: int

    def text(self) -> str:
        return f"{self.key}{self.op}{self.value}"


@dataclass(frozen=True, slots=True)
class RoleIs(_Scoped):
    node: NodeRef
    role: str

    def text(self) -> str:
        return f"role={self.role}"


@dataclass(frozen=True, slots=True)
class LogIs(_Scoped):
    """The node's log, exactly: (term, index) pairs in order."""

    node: NodeRef
    entries: tuple[tuple[int, int], ...]

    def text(self) -> str:
        return f"log=({','.join(f'{term}/{index}' for term, index in self.entries)})"


@dataclass(frozen=True, slots=True)
class KvIs(_Scoped):
    """The node's applied key-value store holds `key`=`value`."""

    node: NodeRef
    key: str
    value: str

    def text(self) -> str:
        return f"kv.{self.key}={_word(self.value)}"


ConditionTerm: TypeAlias = (
    HasLeader
    | LeaderIs
    | Converged
    | NoViolations
    | HasViolations
    | Compare
    | RoleIs
    | LogIs
    | KvIs
)


@dataclass(frozen=True, slots=True)
class Condition:
    """What `expect`, `run until` and `break` check: every term must hold."""

    terms: tuple[ConditionTerm, ...]

    def to_text(self) -> str:
        words: list[str] = []
        scope: NodeRef | None = None
        for term in self.terms:
            if isinstance(term, _Scoped) and term.node is not None:
                if term.node != scope:
                    scope = term.node
                    words.append(f"node={scope}")
                words.append(term.text())
            else:
                words.append(term.describe())
        return " ".join(words)


_ORDERED = ("term", "commit", "applied", "last-index", "last-term")
_ABOUT_A_NODE = (*_ORDERED[1:], "lead", "vote", "role", "log")
_TERM_NAMES = ("leader", "converged", "violations", "node", "term", *_ABOUT_A_NODE, "kv.")


def _condition(tokens: list[_Token], nodes: int) -> Condition:
    terms: list[ConditionTerm] = []
    scope: NodeRef | None = None
    unused = False  # a node= that no term has used yet
    for token in tokens:
        if token.value is None:
            terms.append(_global_term(token.word))
        elif token.word == "node":
            if unused:
                raise _Bad(f"node={scope} is not followed by a term about it")
            scope, unused = _node(_scalar("node", token.value), nodes), True
        else:
            term = _term(token.word, token.value, scope, nodes)
            unused = unused and not isinstance(term, _Scoped)
            terms.append(term)
    if unused:
        raise _Bad(f"node={scope} is not followed by a term about it")
    if not terms:
        raise _Bad("missing condition (like leader=1, or node=2 role=follower)")
    return Condition(tuple(terms))


def _global_term(word: str) -> HasLeader | Converged | HasViolations:
    if word == "leader":
        return HasLeader()
    if word == "converged":
        return Converged()
    if word == "violations>0":
        return HasViolations()
    raise _Bad(f"unknown condition {word}{_did_you_mean(word, _TERM_NAMES)}")


def _term(key: str, value: _Value, scope: NodeRef | None, nodes: int) -> ConditionTerm:
    op: Literal["=", ">="] = "="
    if key.endswith(">"):
        key, op = key[:-1], ">="
        if key not in _ORDERED:
            raise _Bad(f"{key} cannot be compared with >=")
    if key == "leader":
        text = _scalar(key, value)
        return LeaderIs(None if text == "none" else _node_number(text, nodes))
    if key == "violations":
        if value != "0":
            raise _Bad(
                "only violations=0 and violations>0 can be checked,"
                f" got violations={_scalar(key, value)}"
            )
        return NoViolations()
    if key == "term":
        return Compare(scope, key, op, _whole(0)(key, _scalar(key, value)))
    if key not in _ABOUT_A_NODE and not key.startswith("kv."):
        raise _Bad(f"unknown condition {key}={_did_you_mean(key, _TERM_NAMES)}")
    if scope is None:
        raise _Bad(f"{key}= needs a node: put node=N (or node=leader) before it")
    if key == "log":
        return LogIs(scope, _log(value))
    text = _scalar(key, value)
    if key in ("lead", "vote"):
        return Compare(scope, key, op, _node_number(text, nodes, none=0))
    if key == "role":
        if text not in ROLES:
            raise _Bad(f"role must be one of {', '.join(ROLES)}, got {text or 'nothing'}")
        return RoleIs(scope, text)
    if key.startswith("kv."):
        if key == "kv.":
            raise _Bad("kv. needs a key, like kv.x=1")
        return KvIs(scope, key[3:], text)
    return Compare(scope, key, op, _whole(0)(key, text))


def _scalar(key: str, value: _Value) -> str:
    if isinstance(value, tuple):
        raise _Bad(f"{key} takes one value, not a list")
    return value


def _log(value: _Value) -> tuple[tuple[int, int], ...]:
    if not isinstance(value, tuple):
        raise _Bad("log must be a list of term/index entries, like log=(1/1,1/2)")
    entries: list[tuple[int, int]] = []
    for item in value:
        term, slash, index = item.partition("/")
        if not (slash and _INT.fullmatch(term) and _INT.fullmatch(index)) or "0" in (term, index):
            raise _Bad(f"a log entry is TERM/INDEX with both at least 1, got {item or 'nothing'}")
        entries.append((int(term), int(index)))
    for (term0, index0), (term1, index1) in pairwise(entries):
        if index1 != index0 + 1:
            raise _Bad(f"log indexes must follow each other, got {index0} then {index1}")
        if term1 < term0:
            raise _Bad(f"log terms cannot go down, got {term0}/{index0} then {term1}/{index1}")
    return tuple(entries)


# ------------------------------------------------------------------ commands


@dataclass(frozen=True, slots=True)
class ClusterCmd:
    """A fresh cluster at time 0. It always renders every setting, so a saved session replays
    identically even if a default changes later; all but `unsafe` (the unsafe variants of Raft
    switched on, see core/raft/unsafe.py), which is written only when some are on, so that a
    session of etcd's own Raft never mentions them, and the settings of the Raft paper's
    experiments (`election-timeout`, `timer-rule`, `disk`), written only when not etcd's."""

    name: ClassVar[str] = "cluster"
    nodes: int = _DEFAULTS.nodes
    seed: int = _DEFAULTS.seed
    prevote: bool = _DEFAULTS.prevote
    checkquorum: bool = _DEFAULTS.checkquorum
    election_tick: int = _DEFAULTS.election_tick
    heartbeat_tick: int = _DEFAULTS.heartbeat_tick
    tick_ms: int = _DEFAULTS.tick_ms
    latency_ms: tuple[int, int] = _DEFAULTS.latency
    loss: float = _DEFAULTS.loss
    dup: float = _DEFAULTS.dup
    auto_tick: bool = _DEFAULTS.auto_tick
    unsafe: tuple[str, ...] = ()
    election_timeout_ms: tuple[int, int] | None = None
    timer_rule: str = _DEFAULTS.timer_rule
    disk_ms: int = _DEFAULTS.disk_ms

    def settings(self) -> Settings:
        return Settings(
            nodes=self.nodes,
            seed=self.seed,
            prevote=self.prevote,
            checkquorum=self.checkquorum,
            election_tick=self.election_tick,
            heartbeat_tick=self.heartbeat_tick,
            tick_ms=self.tick_ms,
            latency=self.latency_ms,
            loss=self.loss,
            dup=self.dup,
            auto_tick=self.auto_tick,
            unsafe=self.unsafe,
            election_timeout_ms=self.election_timeout_ms,
            timer_rule=self.timer_rule,
            disk_ms=self.disk_ms,
        )

    def to_text(self) -> str:
        return (
            f"cluster nodes={self.nodes} seed={self.seed} prevote={_bool_text(self.prevote)}"
            f" checkquorum={_bool_text(self.checkquorum)} election-tick={self.election_tick}"
            f" heartbeat-tick={self.heartbeat_tick} tick={_ms_text(self.tick_ms)}"
            f" {_latency_text(self.latency_ms)} loss={_number_text(self.loss)}"
            f" dup={_number_text(self.dup)} auto-tick={_bool_text(self.auto_tick)}"
            + (f" unsafe={','.join(self.unsafe)}" if self.unsafe else "")
            + (
                f" election-timeout={_range_text(*self.election_timeout_ms)}"
                if self.election_timeout_ms
                else ""
            )
            + (f" timer-rule={self.timer_rule}" if self.timer_rule != "etcd" else "")
            + (f" disk={_ms_text(self.disk_ms)}" if self.disk_ms else "")
        )


@dataclass(frozen=True, slots=True)
class _Bare:
    """The commands without arguments."""

    name: ClassVar[str]

    def to_text(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class _OnNode:
    """The commands whose one argument is a node."""

    name: ClassVar[str]
    node: NodeRef

    def to_text(self) -> str:
        return f"{self.name} {self.node}"


@dataclass(frozen=True, slots=True)
class RunCmd:
    name: ClassVar[str] = "run"
    duration_ms: int

    def to_text(self) -> str:
        return f"run {_ms_text(self.duration_ms)}"


@dataclass(frozen=True, slots=True)
class StepCmd:
    """Process exactly the next `count` scheduled events, even inside one millisecond: what the
    TUI's step key does, saved so that a session stopped between two events replays exactly."""

    name: ClassVar[str] = "step"
    count: int = 1

    def to_text(self) -> str:
        return "step" + (f" {self.count}" if self.count != 1 else "")


@dataclass(frozen=True, slots=True)
class RunUntilCmd:
    """Timing out is a failure, like a failed `expect`."""

    name: ClassVar[str] = "run"
    condition: Condition
    timeout_ms: int = DEFAULT_TIMEOUT_MS

    def to_text(self) -> str:
        text = f"run until {self.condition.to_text()}"
        if self.timeout_ms != DEFAULT_TIMEOUT_MS:
            text += f" timeout={_ms_text(self.timeout_ms)}"
        return text


@dataclass(frozen=True, slots=True)
class StabilizeCmd(_Bare):
    name: ClassVar[str] = "stabilize"


@dataclass(frozen=True, slots=True)
class DeliverMsgsCmd:
    """`msg_type` None delivers messages of every type."""

    name: ClassVar[str] = "deliver-msgs"
    node: NodeRef
    msg_type: str | None = None

    def to_text(self) -> str:
        only = f" type={self.msg_type}" if self.msg_type else ""
        return f"deliver-msgs {self.node}{only}"


@dataclass(frozen=True, slots=True)
class CampaignCmd(_OnNode):
    name: ClassVar[str] = "campaign"


@dataclass(frozen=True, slots=True)
class TickCmd:
    name: ClassVar[str] = "tick"
    node: NodeRef
    count: int = 1

    def to_text(self) -> str:
        return f"tick {self.node}" + (f" count={self.count}" if self.count != 1 else "")


@dataclass(frozen=True, slots=True)
class TickElectionCmd(_OnNode):
    name: ClassVar[str] = "tick-election"


@dataclass(frozen=True, slots=True)
class TickHeartbeatCmd(_OnNode):
    name: ClassVar[str] = "tick-heartbeat"


@dataclass(frozen=True, slots=True)
class ProposeCmd:
    """DATA of the form `key=value` sets a key of the replicated store when applied."""

    name: ClassVar[str] = "propose"
    data: str
    node: NodeRef = "leader"

    def to_text(self) -> str:
        at = "" if self.node == "leader" else f" {self.node}"
        return f"propose{at} {_word(self.data)}"


@dataclass(frozen=True, slots=True)
class TransferLeadershipCmd:
    name: ClassVar[str] = "transfer-leadership"
    frm: NodeRef
    to: NodeRef

    def to_text(self) -> str:
        return f"transfer-leadership from={self.frm} to={self.to}"


@dataclass(frozen=True, slots=True)
class ForgetLeaderCmd(_OnNode):
    name: ClassVar[str] = "forget-leader"


@dataclass(frozen=True, slots=True)
class SetRandomizedElectionTimeoutCmd:
    """`timeout` is in ticks, as in etcd."""

    name: ClassVar[str] = "set-randomized-election-timeout"
    node: NodeRef
    timeout: int

    def to_text(self) -> str:
        return f"set-randomized-election-timeout {self.node} timeout={self.timeout}"


@dataclass(frozen=True, slots=True)
class AlignTimersCmd(_Bare):
    name: ClassVar[str] = "align-timers"


@dataclass(frozen=True, slots=True)
class SpreadTimersCmd(_Bare):
    name: ClassVar[str] = "spread-timers"


@dataclass(frozen=True, slots=True)
class CrashCmd(_OnNode):
    name: ClassVar[str] = "crash"


@dataclass(frozen=True, slots=True)
class RestartCmd(_OnNode):
    name: ClassVar[str] = "restart"


@dataclass(frozen=True, slots=True)
class PartitionCmd:
    """Nodes in no group form one more group together. No node is listed twice, except that
    `leader` may turn out to be a listed number: the executor checks that when it resolves it."""

    name: ClassVar[str] = "partition"
    groups: tuple[tuple[NodeRef, ...], ...]

    def to_text(self) -> str:
        return "partition " + " | ".join(",".join(map(str, group)) for group in self.groups)


@dataclass(frozen=True, slots=True)
class IsolateCmd(_OnNode):
    name: ClassVar[str] = "isolate"


@dataclass(frozen=True, slots=True)
class RejoinCmd(_OnNode):
    name: ClassVar[str] = "rejoin"


@dataclass(frozen=True, slots=True)
class CutCmd:
    """`cut A-B` drops messages both ways; `cut A>B` only those from `a` to `b`; with
    `type=MsgApp`, only the messages of that type (to make logs differ, say)."""

    name: ClassVar[str] = "cut"
    a: NodeRef
    b: NodeRef
    both_ways: bool = True
    msg_type: str | None = None

    def to_text(self) -> str:
        only = f" type={self.msg_type}" if self.msg_type else ""
        return f"cut {self.a}{'-' if self.both_ways else '>'}{self.b}{only}"


@dataclass(frozen=True, slots=True)
class HealCmd(_Bare):
    name: ClassVar[str] = "heal"


@dataclass(frozen=True, slots=True)
class SetCmd:
    """A None setting stays as it is."""

    name: ClassVar[str] = "set"
    loss: float | None = None
    dup: float | None = None
    latency_ms: tuple[int, int] | None = None
    # auto: messages arrive by themselves; manual: each waits in flight for a command
    delivery: Literal["auto", "manual"] | None = None

    def network_changes(self) -> bool:
        """Does it change the network's loss, duplication or latency (not only delivery)?"""
        return (self.loss, self.dup, self.latency_ms) != (None, None, None)

    def to_text(self) -> str:
        words = ["set"]
        if self.loss is not None:
            words.append(f"loss={_number_text(self.loss)}")
        if self.dup is not None:
            words.append(f"dup={_number_text(self.dup)}")
        if self.latency_ms is not None:
            words.append(_latency_text(self.latency_ms))
        if self.delivery is not None:
            words.append(f"delivery={self.delivery}")
        return " ".join(words)


@dataclass(frozen=True, slots=True)
class _OnMessages:
    """The commands that decide the fate of messages in flight, `NAME A->B [MsgType] [K]`:

    - `deliver` - deliver it now, out of order, even if held or in manual delivery (a cut link,
      a crashed receiver or a loss still drops it, with the reason shown);
    - `drop` - remove it from the network, reported as dropped by hand;
    - `duplicate` - put a copy in flight (a new flight, with its own flight time);
    - `hold` - keep it in flight, whatever the delivery mode, until `release` or `deliver`;
    - `release` - let a held message arrive by itself again (in manual delivery it waits on).

    They pick among the messages in flight from A to B (only of etcd's type MsgType if given),
    in send order; K (1-based) picks the Kth of them, counted the same way for every command.
    Without K, `drop`, `hold` and `release` act on every match (they filter a route), while
    `deliver` and `duplicate` act on the first, the oldest (each makes one thing happen, like a
    debugger's single step): `every` says which."""

    name: ClassVar[str]
    every: ClassVar[bool]
    frm: NodeRef
    to: NodeRef
    msg_type: str | None = None
    index: int | None = None

    def to_text(self) -> str:
        words = [self.name, f"{self.frm}->{self.to}"]
        if self.msg_type is not None:
            words.append(self.msg_type)
        if self.index is not None:
            words.append(str(self.index))
        return " ".join(words)


@dataclass(frozen=True, slots=True)
class DeliverCmd(_OnMessages):
    """Now, out of order, even if held or in manual delivery; a cut link, a crashed receiver
    or a loss still drops it."""

    name: ClassVar[str] = "deliver"
    every: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class DropCmd(_OnMessages):
    name: ClassVar[str] = "drop"
    every: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class DuplicateCmd(_OnMessages):
    """A copy goes in flight with its own flight time, as if the network had duplicated it."""

    name: ClassVar[str] = "duplicate"
    every: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class HoldCmd(_OnMessages):
    """Held messages stay in flight, whatever the delivery mode, until released or delivered."""

    name: ClassVar[str] = "hold"
    every: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class ReleaseCmd(_OnMessages):
    """Released messages arrive by themselves again (in manual delivery they still wait)."""

    name: ClassVar[str] = "release"
    every: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class ExpectCmd:
    name: ClassVar[str] = "expect"
    condition: Condition

    def to_text(self) -> str:
        return f"expect {self.condition.to_text()}"


@dataclass(frozen=True, slots=True)
class BreakCmd:
    """A breakpoint: fires each time `condition` starts to hold (not while it goes on holding),
    so that a run can stop, or say so, at the moment something happens."""

    name: ClassVar[str] = "break"
    condition: Condition

    def to_text(self) -> str:
        return f"break {self.condition.to_text()}"


@dataclass(frozen=True, slots=True)
class UnbreakCmd:
    """Removes breakpoint `number` (1-based, in the order they were set), or all of them."""

    name: ClassVar[str] = "unbreak"
    number: int | None = None

    def to_text(self) -> str:
        return f"unbreak {'all' if self.number is None else self.number}"


@dataclass(frozen=True, slots=True)
class SayCmd:
    name: ClassVar[str] = "say"
    text: str

    def to_text(self) -> str:
        return f"say {_quote(self.text)}"


@dataclass(frozen=True, slots=True)
class PauseCmd(_Bare):
    name: ClassVar[str] = "pause"


@dataclass(frozen=True, slots=True)
class MarkCmd:
    name: ClassVar[str] = "mark"
    label: str

    def to_text(self) -> str:
        return f"mark {_quote(self.label)}"


@dataclass(frozen=True, slots=True)
class RaftStateCmd(_Bare):
    name: ClassVar[str] = "raft-state"


@dataclass(frozen=True, slots=True)
class RaftLogCmd(_OnNode):
    name: ClassVar[str] = "raft-log"


@dataclass(frozen=True, slots=True)
class StatusCmd(_OnNode):
    name: ClassVar[str] = "status"


Command: TypeAlias = (
    RunCmd
    | StepCmd
    | RunUntilCmd
    | StabilizeCmd
    | DeliverMsgsCmd
    | DeliverCmd
    | DropCmd
    | DuplicateCmd
    | HoldCmd
    | ReleaseCmd
    | CampaignCmd
    | TickCmd
    | TickElectionCmd
    | TickHeartbeatCmd
    | ProposeCmd
    | TransferLeadershipCmd
    | ForgetLeaderCmd
    | SetRandomizedElectionTimeoutCmd
    | AlignTimersCmd
    | SpreadTimersCmd
    | CrashCmd
    | RestartCmd
    | PartitionCmd
    | IsolateCmd
    | RejoinCmd
    | CutCmd
    | HealCmd
    | SetCmd
    | ExpectCmd
    | BreakCmd
    | UnbreakCmd
    | SayCmd
    | PauseCmd
    | MarkCmd
    | RaftStateCmd
    | RaftLogCmd
    | StatusCmd
)
"""Every command that may follow `cluster` in a script or be typed at the prompt."""


@dataclass(frozen=True, slots=True)
class Located:
    """A command and its line, so the executor can name the line of a failed `expect`."""

    line: int
    command: Command


@dataclass(frozen=True, slots=True)
class Script:
    """`cluster` is the script's own first command, or the defaults when it has none; it is not
    repeated in `commands`."""

    cluster: ClusterCmd
    commands: tuple[Located, ...]


# ------------------------------------------------------------------ parsing

_T = TypeVar("_T")


class _Args:
    """A command's tokens, consumed by its parser so that whatever is left over is an error."""

    def __init__(self, name: str, tokens: list[_Token], nodes: int) -> None:
        self.name = name
        self.nodes = nodes
        self._left = tokens

    def bad(self, problem: str) -> _Bad:
        return _Bad(f"{problem} (usage: {COMMANDS[self.name]})")

    def word(self, what: str) -> str:
        for token in self._left:
            if token.value is None:
                self._left.remove(token)
                return token.word
        raise self.bad(f"{self.name} needs {what}")

    def node(self) -> NodeRef:
        return _node(self.word("a node"), self.nodes)

    def node_option(self, key: str, text: str) -> NodeRef:
        return _node(text, self.nodes)

    def option(self, key: str, read: Callable[[str, str], _T], default: _T) -> _T:
        value = self._take(key)
        return default if value is None else read(key, _scalar(key, value))

    def need(self, key: str, read: Callable[[str, str], _T]) -> _T:
        value = self._take(key)
        if value is None:
            raise self.bad(f"{self.name} needs {key}=")
        return read(key, _scalar(key, value))

    def latency(self, default: _T) -> tuple[int, int] | _T:
        value = self._take("latency")
        return default if value is None else _latency(value)

    def unsafe(self) -> tuple[str, ...]:
        value = self._take("unsafe")
        return () if value is None else _unsafe(value)

    def rest(self) -> list[_Token]:
        """All the tokens left, for the commands whose arguments are read in order."""
        rest, self._left = self._left, []
        return rest

    def done(self) -> None:
        if self._left:
            token = self._left[0]
            if token.value is None:
                raise self.bad(f"unexpected argument {token.word} to {self.name}")
            raise self.bad(f"{self.name} has no option {token.word}=")

    def _take(self, key: str) -> _Value | None:
        found = [token for token in self._left if token.word == key and token.value is not None]
        if len(found) > 1:
            raise _Bad(f"{key}= is given twice")
        if not found:
            return None
        self._left.remove(found[0])
        return found[0].value


def _cluster(args: _Args) -> ClusterCmd:
    default = ClusterCmd()
    election_tick = args.option("election-tick", _TICKS, None)
    cluster = ClusterCmd(
        nodes=args.option("nodes", _whole(1, MAX_NODES), default.nodes),
        seed=args.option("seed", _SEED, default.seed),
        prevote=args.option("prevote", _bool, default.prevote),
        checkquorum=args.option("checkquorum", _bool, default.checkquorum),
        election_tick=default.election_tick if election_tick is None else election_tick,
        heartbeat_tick=args.option("heartbeat-tick", _TICKS, default.heartbeat_tick),
        tick_ms=args.option("tick", _duration, default.tick_ms),
        latency_ms=args.latency(default.latency_ms),
        loss=args.option("loss", _probability, default.loss),
        dup=args.option("dup", _probability, default.dup),
        auto_tick=args.option("auto-tick", _bool, default.auto_tick),
        unsafe=args.unsafe(),
        election_timeout_ms=args.option("election-timeout", _range_ms, None),
        timer_rule=args.option("timer-rule", _timer_rule, default.timer_rule),
        disk_ms=args.option("disk", _duration, default.disk_ms),
    )
    if cluster.tick_ms == 0:
        raise _Bad("tick must be longer than 0ms")
    if cluster.election_timeout_ms is not None:
        return _with_election_timeout(cluster, given_tick=election_tick is not None)
    if cluster.election_tick <= cluster.heartbeat_tick:
        raise _Bad(
            f"election-tick ({cluster.election_tick}) must be greater than"
            f" heartbeat-tick ({cluster.heartbeat_tick})"
        )
    return cluster


def _with_election_timeout(cluster: ClusterCmd, given_tick: bool) -> ClusterCmd:
    """An election-timeout range is counted in whole ticks, longer than the heartbeat's; its
    low end is the election tick (what check-quorum and transfers count), which a saved
    session writes too."""
    assert cluster.election_timeout_ms is not None
    tick = cluster.tick_ms
    for end in cluster.election_timeout_ms:
        if end % tick:
            raise _Bad(
                f"election-timeout: {_ms_text(end)} is not a whole number of ticks"
                f" (tick={_ms_text(tick)}; a shorter tick, like tick=1ms, allows it)"
            )
    if cluster.election_timeout_ms[0] // tick <= cluster.heartbeat_tick:
        raise _Bad(
            f"election-timeout ({_range_text(*cluster.election_timeout_ms)}) must be longer than"
            f" heartbeat-tick ({cluster.heartbeat_tick} ticks of {_ms_text(tick)})"
        )
    low = cluster.election_timeout_ms[0] // tick
    if given_tick and cluster.election_tick != low:
        raise _Bad(
            f"election-tick={cluster.election_tick} disagrees with election-timeout="
            f"{_range_text(*cluster.election_timeout_ms)} ({low} ticks of {_ms_text(tick)})"
        )
    return replace(cluster, election_tick=low)


def _run(args: _Args) -> RunCmd | RunUntilCmd:
    what = args.word("a duration, or until and a condition")
    if what != "until":
        return RunCmd(_duration("run", what))
    timeout = args.option("timeout", _duration, DEFAULT_TIMEOUT_MS)
    return RunUntilCmd(_condition(args.rest(), args.nodes), timeout)


def _propose(args: _Args) -> ProposeCmd:
    tokens = args.rest()
    if len(tokens) == 2 and tokens[0].value is None:
        return ProposeCmd(_data(tokens[1]), _node(tokens[0].word, args.nodes))
    if len(tokens) != 1:
        raise args.bad("propose takes an optional node and one DATA; quote data with spaces")
    return ProposeCmd(_data(tokens[0]))


def _text(args: _Args) -> str:
    tokens = args.rest()
    if len(tokens) != 1:
        raise args.bad(f"{args.name} takes one quoted text")
    return _data(tokens[0])


def _words(args: _Args, shape: str) -> list[str]:
    tokens = args.rest()
    if not tokens or any(token.value is not None for token in tokens):
        raise args.bad(f"{args.name} takes {shape}")
    return [token.word for token in tokens]


def _partition(args: _Args) -> PartitionCmd:
    groups: list[tuple[NodeRef, ...]] = []
    seen: set[NodeRef] = set()
    for part in " ".join(_words(args, "groups of nodes")).split("|"):
        group = tuple(_node(item, args.nodes) for item in re.split(r"[\s,]+", part) if item)
        if not group:
            raise args.bad("partition has an empty group")
        for node in group:
            if node in seen:
                raise _Bad(f"node {node} appears twice in the partition")
            seen.add(node)
        groups.append(group)
    return PartitionCmd(tuple(groups))


def _cut(args: _Args) -> CutCmd:
    msg_type = args.option("type", _msg_type, None)
    link = "".join(_words(args, "a link"))
    match = re.fullmatch(r"([^->]+)([->])([^->]+)", link)
    if match is None:
        raise args.bad(f"cut takes a link like 1-2 or 1>2, got {link}")
    a, b = _node(match[1], args.nodes), _node(match[3], args.nodes)
    if a == b:
        raise _Bad(f"cannot cut node {a} from itself")
    return CutCmd(a, b, both_ways=match[2] == "-", msg_type=msg_type)


STEP_LIMIT: Final = 100_000
"""Most events one `step` may process: a step is for looking at events one by one."""


def _step(args: _Args) -> StepCmd:
    tokens = args.rest()
    if not tokens:
        return StepCmd()
    if len(tokens) > 1 or tokens[0].value is not None:
        raise args.bad("step takes at most one number")
    return StepCmd(_whole(1, STEP_LIMIT)("count", tokens[0].word))


def _delivery(key: str, text: str) -> Literal["auto", "manual"]:
    if text == "auto":
        return "auto"
    if text == "manual":
        return "manual"
    raise _Bad(f"{key} must be auto or manual, got {text or 'nothing'}")


def _set(args: _Args) -> SetCmd:
    settings = SetCmd(
        loss=args.option("loss", _probability, None),
        dup=args.option("dup", _probability, None),
        latency_ms=args.latency(None),
        delivery=args.option("delivery", _delivery, None),
    )
    if settings == SetCmd():
        raise args.bad("set needs at least one setting")
    return settings


_M = TypeVar("_M", bound=_OnMessages)


def _on_messages(cls: type[_M]) -> Callable[[_Args], _M]:
    """`NAME A->B [MsgType] [K]`: a route, then optionally a type, then optionally a number."""

    def parse(args: _Args) -> _M:
        route, *rest = _words(args, "a route like 1->3, then a message type and a number if any")
        match = re.fullmatch(r"([^->]+)->([^->]+)", route)
        if match is None:
            raise args.bad(f"{args.name} takes a route like 1->3, got {route}")
        frm, to = _node(match[1], args.nodes), _node(match[2], args.nodes)
        if frm == to:
            raise _Bad(f"a message goes from a node to another, got {route}")
        if len(rest) > 2:
            raise args.bad(f"unexpected argument {rest[2]} to {args.name}")
        numbered = len(rest) == 2 or bool(rest and _INT.fullmatch(rest[0]))
        index = _whole(1)("number", rest.pop()) if numbered else None
        msg_type = _msg_type("type", rest[0]) if rest else None
        return cls(frm, to, msg_type, index)

    return parse


def _unbreak(args: _Args) -> UnbreakCmd:
    words = _words(args, "a breakpoint number or all")
    if len(words) > 1:
        raise args.bad(f"unexpected argument {words[1]} to unbreak")
    if words[0] == "all":
        return UnbreakCmd()
    return UnbreakCmd(_whole(1)("breakpoint", words[0]))


_Parser: TypeAlias = Callable[[_Args], ClusterCmd | Command]
_B = TypeVar("_B", bound=_Bare)
_N = TypeVar("_N", bound=_OnNode)


def _no_args(cls: type[_B]) -> Callable[[_Args], _B]:
    return lambda args: cls()


def _one_node(cls: type[_N]) -> Callable[[_Args], _N]:
    return lambda args: cls(args.node())


_LATENCY_USAGE = _latency_text(_DEFAULTS.latency)

_TABLE: tuple[tuple[str, _Parser], ...] = (
    (
        "cluster [nodes=5] [seed=1] [prevote=true] [checkquorum=true] [election-tick=10]"
        f" [heartbeat-tick=1] [tick=100ms] [{_LATENCY_USAGE}] [loss=0] [dup=0] [auto-tick=true]"
        " [election-timeout=MIN-MAXms] [timer-rule=etcd|raft]"
        " [unsafe=NAME,...]",
        _cluster,
    ),
    ("run DURATION | run until CONDITION [timeout=60s]", _run),
    ("step [COUNT]", _step),
    ("stabilize", _no_args(StabilizeCmd)),
    (
        "deliver-msgs N [type=MsgType]",
        lambda args: DeliverMsgsCmd(args.node(), args.option("type", _msg_type, None)),
    ),
    ("deliver A->B [MsgType] [K]", _on_messages(DeliverCmd)),
    ("drop A->B [MsgType] [K]", _on_messages(DropCmd)),
    ("duplicate A->B [MsgType] [K]", _on_messages(DuplicateCmd)),
    ("hold A->B [MsgType] [K]", _on_messages(HoldCmd)),
    ("release A->B [MsgType] [K]", _on_messages(ReleaseCmd)),
    ("campaign N", _one_node(CampaignCmd)),
    ("tick N [count=1]", lambda args: TickCmd(args.node(), args.option("count", _TICKS, 1))),
    ("tick-election N", _one_node(TickElectionCmd)),
    ("tick-heartbeat N", _one_node(TickHeartbeatCmd)),
    ("propose [N] DATA", _propose),
    (
        "transfer-leadership from=N to=M",
        lambda args: TransferLeadershipCmd(
            args.need("from", args.node_option), args.need("to", args.node_option)
        ),
    ),
    ("forget-leader N", _one_node(ForgetLeaderCmd)),
    (
        "set-randomized-election-timeout N timeout=T",
        lambda args: SetRandomizedElectionTimeoutCmd(args.node(), args.need("timeout", _whole(1))),
    ),
    ("align-timers", _no_args(AlignTimersCmd)),
    ("spread-timers", _no_args(SpreadTimersCmd)),
    ("crash N", _one_node(CrashCmd)),
    ("restart N", _one_node(RestartCmd)),
    ("partition 1,2 | 3,4,5", _partition),
    ("isolate N", _one_node(IsolateCmd)),
    ("rejoin N", _one_node(RejoinCmd)),
    ("cut A-B | cut A>B", _cut),
    ("heal", _no_args(HealCmd)),
    ("set [loss=P] [dup=P] [latency=(MIN,MAX)] [delivery=auto|manual]", _set),
    ("expect CONDITION", lambda args: ExpectCmd(_condition(args.rest(), args.nodes))),
    ("break CONDITION", lambda args: BreakCmd(_condition(args.rest(), args.nodes))),
    ("unbreak N | unbreak all", _unbreak),
    ('say "text"', lambda args: SayCmd(_text(args))),
    ("pause", _no_args(PauseCmd)),
    ('mark "label"', lambda args: MarkCmd(_text(args))),
    ("raft-state", _no_args(RaftStateCmd)),
    ("raft-log N", _one_node(RaftLogCmd)),
    ("status N", _one_node(StatusCmd)),
)

COMMANDS: Final[Mapping[str, str]] = {usage.split()[0]: usage for usage, _ in _TABLE}
"""Each command's name and usage line, for error messages and the prompt's help."""
_PARSERS: Final = {usage.split()[0]: parse for usage, parse in _TABLE}


def _parse_line(line: str, nodes: int, no_cluster: str | None) -> ClusterCmd | Command | None:
    """`no_cluster` says why `cluster` is refused here, or is None where it is allowed."""
    _refuse_controls(line)
    tokens = _tokenize(line)
    if not tokens:
        return None
    head, *rest = tokens
    name = head.word if head.value is None else _data(head)
    if name not in _PARSERS:
        raise _Bad(f"unknown command {name}{_did_you_mean(name, COMMANDS)}")
    if name == "cluster" and no_cluster:
        raise _Bad(no_cluster)
    args = _Args(name, rest, nodes)
    command = _PARSERS[name](args)
    args.done()
    return command


def parse_command(
    line: str, *, nodes: int, filename: str = "<prompt>", lineno: int = 1
) -> Command | None:
    """Parses one prompt line (None for a blank or comment line) for a cluster of `nodes`."""
    try:
        command = _parse_line(
            line, nodes, "cluster cannot be typed at the prompt: it can only start a script"
        )
    except _Bad as bad:
        raise ScriptError(filename, lineno, str(bad)) from None
    assert not isinstance(command, ClusterCmd)
    return command


def parse_script(text: str, filename: str, *, nodes: int = 5) -> Script:
    """`nodes` is the cluster size when the script has no `cluster` command of its own."""
    cluster: ClusterCmd | None = None
    commands: list[Located] = []
    for lineno, line in enumerate(_lines(text), start=1):
        first = cluster is None and not commands
        try:
            command = _parse_line(
                line,
                cluster.nodes if cluster else nodes,
                None if first else "cluster must be the first command of a script",
            )
        except _Bad as bad:
            raise ScriptError(filename, lineno, str(bad)) from None
        if isinstance(command, ClusterCmd):
            cluster = command
        elif command is not None:
            commands.append(Located(lineno, command))
    return Script(cluster or ClusterCmd(nodes=nodes), tuple(commands))


def _lines(text: str) -> list[str]:
    """Lines end at a line feed (or CR LF) only, never where `str.splitlines()` would also end
    them (at U+2028, NEL, form feed...): those are refused inside a line instead, so an error's
    line number is the one every editor shows."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def load_script(path: str | os.PathLike[str], *, nodes: int = 5) -> Script:
    """Reads and parses a script file; a file that cannot be read is a ScriptError too.

    Only a regular file is opened (opening a pipe blocks, a device may never end) and at most
    MAX_SCRIPT_BYTES of it are read, even from a file whose size the system does not know.
    """
    filename = os.fspath(path)
    file = Path(filename)
    try:
        mode = file.stat().st_mode
        if stat.S_ISDIR(mode):
            raise ScriptError(filename, None, "is a directory, not a script")
        if not stat.S_ISREG(mode):
            raise ScriptError(filename, None, "not a regular file, so not a script")
        with file.open("rb") as stream:
            data = stream.read(MAX_SCRIPT_BYTES + 1)
    except FileNotFoundError:
        raise ScriptError(filename, None, "no such file") from None
    except OSError as err:
        raise ScriptError(filename, None, f"cannot read it: {err.strerror or err}") from None
    if len(data) > MAX_SCRIPT_BYTES:
        raise ScriptError(
            filename, None, f"too large for a script: over {MAX_SCRIPT_BYTES} bytes (1 MiB)"
        )
    if b"\0" in data:
        raise ScriptError(filename, None, "not a text file (it contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ScriptError(
            filename, None, f"not UTF-8 text (bad byte at offset {err.start})"
        ) from None
    return parse_script(text, filename, nodes=nodes)
