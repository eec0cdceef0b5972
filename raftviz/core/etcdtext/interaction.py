"""Core room: runs etcd/raft's datadriven interaction files against raftviz's core.

etcd/raft proves its behaviour with text files of commands and their exact expected output
(`testdata/*.txt`). This driver plays the same commands on raftviz's Raft with the same harness
semantics (one global FIFO of messages, synchronous storage, `stabilize` rounds) and compares
the output byte for byte. Passing these files is raftviz's claim to behave like etcd.
"""

from __future__ import annotations

import difflib
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raftviz.core.etcdtext.describe import (
    describe_message,
    describe_progress,
    describe_raft_state,
    describe_ready,
    describe_stable_log,
)
from raftviz.core.raft.decision import Decision
from raftviz.core.raft.log import MemoryStorage
from raftviz.core.raft.logline import LogLine
from raftviz.core.raft.messages import Message, MsgType
from raftviz.core.raft.raft import Config, ProposalDropped
from raftviz.core.raft.rawnode import RawNode, StepError

LEVELS = {"DEBUG": 0, "INFO": 1, "WARN": 2, "ERROR": 3, "FATAL": 4, "NONE": 5}
QUIET = LEVELS["NONE"]


class InteractionError(Exception):
    """A command the driver cannot run: unknown, unsupported or with bad arguments."""


# ---------------------------------------------------------------------- the file format


@dataclass(frozen=True, slots=True)
class Arg:
    key: str
    vals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Block:
    """One `command / ---- / expected output` block of a datadriven file."""

    line: int  # 1-based line of the command
    cmd: str
    args: tuple[Arg, ...]
    expected: str
    output_line: int  # 1-based line where the expected output starts


_ARG = re.compile(r"([^\s=]+)(?:=(\([^)]*\)|\S*))?")


def parse_args(text: str, line: int) -> tuple[Arg, ...]:
    args: list[Arg] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        m = _ARG.match(text, pos)
        if m is None or m.end() == pos:
            raise InteractionError(f"line {line}: cannot parse argument at {text[pos:]!r}")
        key, val = m.group(1), m.group(2)
        if val is None:
            args.append(Arg(key, ()))
        elif val.startswith("("):
            inner = val[1:-1].strip()
            args.append(Arg(key, tuple(v.strip() for v in inner.split(",")) if inner else ()))
        else:
            args.append(Arg(key, (val,)))
        pos = m.end()
    return tuple(args)


def parse_file(text: str) -> Iterator[Block]:
    """Yield the blocks of a datadriven file; raises InteractionError on a malformed block."""
    lines = text.split("\n")
    i = 0
    n = len(lines)
    while i < n:
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start = i + 1
        cmd_line = stripped
        i += 1
        # Input lines between the command and the separator (only conf changes use them).
        while i < n and lines[i].strip() != "----":
            if not lines[i].strip():
                raise InteractionError(f"line {start}: missing '----' after command {cmd_line!r}")
            i += 1
        if i >= n:
            raise InteractionError(f"line {start}: missing '----' after command {cmd_line!r}")
        i += 1
        out: list[str] = []
        output_line = i + 1
        if i < n and lines[i] == "----":
            # The two-separator form allows blank lines in the expected output.
            i += 1
            output_line = i + 1
            while i < n and not (lines[i] == "----" and i + 1 < n and lines[i + 1] == "----"):
                out.append(lines[i])
                i += 1
            if i >= n:
                raise InteractionError(f"line {start}: unterminated '----' output block")
            i += 2
        else:
            while i < n and lines[i].strip():
                out.append(lines[i])
                i += 1
        name, _, rest = cmd_line.partition(" ")
        yield Block(start, name, parse_args(rest, start), "\n".join(out), output_line)


# ---------------------------------------------------------------------- output with indent


class Output:
    """Collects a command's output; nested sections are indented two spaces per level."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.indent = 0

    def write(self, text: str) -> None:
        pad = "  " * self.indent
        self.lines.extend(pad + line for line in text.split("\n"))

    def text(self) -> str:
        return "\n".join(self.lines)


# ---------------------------------------------------------------------- the environment


@dataclass
class Node:
    raw: RawNode
    config: Config


@dataclass
class InteractionEnv:
    """etcd's rafttest.InteractionEnv: nodes, one global message queue, a log level."""

    nodes: list[Node] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    level: int = LEVELS["DEBUG"]
    out: Output = field(default_factory=Output)
    stories: bool = False
    """Build the nodes with decision records on: etcd prints none, so they must not show."""

    # -- output

    def say(self, text: str) -> None:
        """Harness output: silenced entirely at log level NONE, like etcd's."""
        if self.level < QUIET:
            self.out.write(text)

    def _sink(self, line: LogLine | Decision) -> None:
        if isinstance(line, Decision):
            return  # raftviz's own explanations: etcd's output has no such lines
        if line.level.value >= self.level:
            self.out.write(line.render())

    def _indented(self, fn: Callable[..., object], *args: Any) -> None:
        self.out.indent += 1
        try:
            fn(*args)
        finally:
            self.out.indent -= 1

    # -- dispatch

    def handle(self, block: Block) -> str:
        self.out = Output()
        handler = getattr(self, "cmd_" + block.cmd.replace("-", "_"), None)
        if handler is None:
            if block.cmd in UNSUPPORTED:
                raise InteractionError(
                    f"unsupported command {block.cmd!r}: {UNSUPPORTED[block.cmd]}"
                )
            raise InteractionError(f"unknown command {block.cmd!r}")
        try:
            handler(block.args)
        except ProposalDropped as e:
            self.out.write(str(e))
        except (ValueError, IndexError) as e:
            raise InteractionError(f"bad arguments to {block.cmd}: {e}") from e
        text = self.out.text()
        return text if text else "ok"

    # -- argument helpers

    def _node(self, id_text: str) -> Node:
        id = int(id_text)
        if not 1 <= id <= len(self.nodes):
            raise InteractionError(f"unknown node {id} (have {len(self.nodes)} nodes)")
        return self.nodes[id - 1]

    @staticmethod
    def _ids(args: tuple[Arg, ...]) -> list[int]:
        return [int(a.key) for a in args if not a.vals]

    @staticmethod
    def _bool(val: str) -> bool:
        if val not in ("true", "false"):
            raise InteractionError(f"expected true or false, got {val!r}")
        return val == "true"

    # -- commands

    def cmd_log_level(self, args: tuple[Arg, ...]) -> None:
        if len(args) != 1 or args[0].key.upper() not in LEVELS:
            raise InteractionError("log-level takes one of " + " ".join(LEVELS))
        self.level = LEVELS[args[0].key.upper()]

    def cmd__breakpoint(self, args: tuple[Arg, ...]) -> None:
        pass

    def cmd_add_nodes(self, args: tuple[Arg, ...]) -> None:
        if not args or args[0].vals:
            raise InteractionError("add-nodes needs a node count")
        count = int(args[0].key)
        voters: list[int] = []
        learners: list[int] = []
        index = 0
        opts: dict[str, object] = {}
        for a in args[1:]:
            if a.key == "voters":
                voters = [int(v) for v in a.vals]
            elif a.key == "learners":
                learners = [int(v) for v in a.vals]
            elif a.key == "index":
                index = int(a.vals[0])
            elif a.key in ("prevote", "checkquorum"):
                opts[a.key] = self._bool(a.vals[0])
            elif a.key == "inflight":
                opts["max_inflight"] = int(a.vals[0])
            elif a.key == "read-only":
                if a.vals[0] not in ("safe", "lease-based"):
                    raise InteractionError(f"unknown read-only option {a.vals[0]!r}")
                opts["read_only_lease_based"] = a.vals[0] == "lease-based"
            elif a.key == "async-storage-writes":
                if self._bool(a.vals[0]):
                    raise InteractionError("async-storage-writes=true is not supported")
            elif a.key in ("content", "max-committed-size-per-ready"):
                raise InteractionError(f"add-nodes option {a.key} is not supported")
            elif a.key in ("disable-conf-change-validation", "step-down-on-removal"):
                self._bool(a.vals[0])  # conf changes are out of scope; accepted and unused
            else:
                raise InteractionError(f"unknown add-nodes option {a.key!r}")
        for _ in range(count):
            id = len(self.nodes) + 1
            config = Config(
                id=id,
                voters=voters,
                learners=learners,
                election_tick=3,
                heartbeat_tick=1,
                check_quorum=bool(opts.get("checkquorum", False)),
                pre_vote=bool(opts.get("prevote", False)),
                read_only_lease_based=bool(opts.get("read_only_lease_based", False)),
                max_inflight=int(str(opts.get("max_inflight", 2**31 - 1))),
                rng=random.Random(id),
            )
            storage = MemoryStorage(index, 1 if index > 0 else 0)
            raw = RawNode(config, storage, sink=self._sink, stories=self.stories)
            self.nodes.append(Node(raw, config))

    def cmd_campaign(self, args: tuple[Arg, ...]) -> None:
        self._node(args[0].key).raw.campaign()

    def cmd_tick_election(self, args: tuple[Arg, ...]) -> None:
        node = self._node(args[0].key)
        for _ in range(node.config.election_tick):
            node.raw.tick()

    def cmd_tick_heartbeat(self, args: tuple[Arg, ...]) -> None:
        node = self._node(args[0].key)
        for _ in range(node.config.heartbeat_tick):
            node.raw.tick()

    def cmd_set_randomized_election_timeout(self, args: tuple[Arg, ...]) -> None:
        node = self._node(args[0].key)
        timeout = next((a.vals[0] for a in args[1:] if a.key == "timeout"), None)
        if timeout is None:
            raise InteractionError("set-randomized-election-timeout needs timeout=")
        node.raw.raft.randomized_election_timeout = int(timeout)

    def cmd_propose(self, args: tuple[Arg, ...]) -> None:
        if len(args) != 2:
            raise InteractionError("propose takes a node and the data")
        self._node(args[0].key).raw.propose(args[1].key)

    def cmd_transfer_leadership(self, args: tuple[Arg, ...]) -> None:
        kv = {a.key: a.vals[0] for a in args if a.vals}
        if "from" not in kv or "to" not in kv:
            raise InteractionError("transfer-leadership needs from= and to=")
        self._node(kv["from"]).raw.transfer_leader(int(kv["to"]))

    def cmd_forget_leader(self, args: tuple[Arg, ...]) -> None:
        self._node(args[0].key).raw.forget_leader()

    def cmd_report_unreachable(self, args: tuple[Arg, ...]) -> None:
        if len(args) != 2:
            raise InteractionError("report-unreachable takes two nodes")
        self._node(args[0].key).raw.report_unreachable(int(args[1].key))

    def cmd_raft_state(self, args: tuple[Arg, ...]) -> None:
        for node in self.nodes:
            self.say(describe_raft_state(node.raw.raft))

    def cmd_status(self, args: tuple[Arg, ...]) -> None:
        for line in describe_progress(self._node(args[0].key).raw.raft):
            self.say(line)

    def cmd_raft_log(self, args: tuple[Arg, ...]) -> None:
        self.say(describe_stable_log(self._node(args[0].key).raw.storage))

    def cmd_process_ready(self, args: tuple[Arg, ...]) -> None:
        ids = self._ids(args)
        if len(ids) == 1:
            self._process_ready(self._node(str(ids[0])))
            return
        for id in ids:
            node = self._node(str(id))
            self.say(f"> {id} handling Ready")
            self._indented(self._process_ready, node)

    def _process_ready(self, node: Node) -> None:
        rd = node.raw.ready()
        self.say(describe_ready(rd))
        node.raw.persist(rd)
        self.messages.extend(rd.messages)
        node.raw.advance()

    def cmd_deliver_msgs(self, args: tuple[Arg, ...]) -> None:
        recipients: list[tuple[int, bool]] = []
        typ: MsgType | None = None
        for a in args:
            if not a.vals:
                recipients.append((int(a.key), False))
            elif a.key == "drop":
                for v in a.vals:
                    if (int(v), False) in recipients:
                        raise InteractionError(f"can't both deliver and drop msgs to {v}")
                    recipients.append((int(v), True))
            elif a.key == "type":
                if a.vals[0] not in MsgType.__members__:
                    raise InteractionError(f"unknown message type {a.vals[0]!r}")
                typ = MsgType[a.vals[0]]
            else:
                raise InteractionError(f"unknown deliver-msgs option {a.key!r}")
        if self._deliver(recipients, typ) == 0:
            self.say("no messages")

    def _deliver(self, recipients: list[tuple[int, bool]], typ: MsgType | None) -> int:
        delivered = 0
        for id, drop in recipients:
            mine = [m for m in self.messages if m.to == id and (typ is None or m.type == typ)]
            self.messages = [
                m for m in self.messages if not (m.to == id and (typ is None or m.type == typ))
            ]
            delivered += len(mine)
            for m in mine:
                if drop:
                    self.say("dropped: " + describe_message(m))
                    continue
                self.say(describe_message(m))
                try:
                    self._node(str(m.to)).raw.step(m)
                except StepError as e:
                    self.say(str(e))
        return delivered

    def cmd_stabilize(self, args: tuple[Arg, ...]) -> None:
        saved = self.level
        for a in args:
            if a.key == "log-level":
                if a.vals[0].upper() not in LEVELS:
                    raise InteractionError(f"unknown log level {a.vals[0]!r}")
                self.level = LEVELS[a.vals[0].upper()]
            elif a.vals:
                raise InteractionError(f"unknown stabilize option {a.key!r}")
        try:
            ids = self._ids(args) or [n.raw.raft.id for n in self.nodes]
            nodes = [self._node(str(i)) for i in ids]
            while True:
                done = True
                for node in nodes:
                    if node.raw.has_ready():
                        done = False
                        self.say(f"> {node.raw.raft.id} handling Ready")
                        self._indented(self._process_ready, node)
                for node in nodes:
                    id = node.raw.raft.id
                    if any(m.to == id for m in self.messages):
                        done = False
                        self.say(f"> {id} receiving messages")
                        self._indented(self._deliver, [(id, False)], None)
                if done:
                    return
        finally:
            self.level = saved


UNSUPPORTED = {
    "propose-conf-change": "membership changes are out of scope",
    "compact": "log compaction is out of scope",
    "send-snapshot": "snapshots are out of scope",
    "process-append-thread": "asynchronous storage writes are out of scope",
    "process-apply-thread": "asynchronous storage writes are out of scope",
}


# ---------------------------------------------------------------------- running a file


@dataclass(frozen=True, slots=True)
class FileResult:
    name: str
    passed: bool
    reason: str = ""
    diff: str = ""

    def summary(self) -> str:
        return f"PASS {self.name}" if self.passed else f"FAIL {self.name}: {self.reason}"


def run_file(path: Path, name: str | None = None, *, stories: bool = False) -> FileResult:
    """Run one interaction file and compare every block's output with the expected text.

    With `stories`, the nodes also build their decision records (which the output ignores):
    the proof that explaining a decision never changes it."""
    name = name or path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return FileResult(
            name, False, f"cannot read: {e.strerror if isinstance(e, OSError) else e}"
        )
    env = InteractionEnv(stories=stories)
    actual_doc: list[str] = []
    expected_doc: list[str] = []
    first_failure = ""
    try:
        for block in parse_file(text):
            try:
                actual = env.handle(block)
            except InteractionError as e:
                return FileResult(name, False, f"line {block.line}: {e}")
            header = [
                f"{block.line}: {block.cmd} " + " ".join(_fmt_arg(a) for a in block.args),
                "----",
            ]
            actual_doc += [*header, *actual.split("\n"), ""]
            expected_doc += [*header, *block.expected.split("\n"), ""]
            if actual != block.expected and not first_failure:
                first_failure = _first_difference(block, actual)
    except InteractionError as e:
        return FileResult(name, False, str(e))
    if not first_failure:
        return FileResult(name, True)
    diff = "\n".join(
        difflib.unified_diff(expected_doc, actual_doc, "expected", "actual", lineterm="")
    )
    return FileResult(name, False, first_failure, diff)


def _fmt_arg(a: Arg) -> str:
    if not a.vals:
        return a.key
    if len(a.vals) == 1:
        return f"{a.key}={a.vals[0]}"
    return f"{a.key}=({','.join(a.vals)})"


def _first_difference(block: Block, actual: str) -> str:
    exp = block.expected.split("\n")
    act = actual.split("\n")
    for k in range(max(len(exp), len(act))):
        e = exp[k] if k < len(exp) else None
        a = act[k] if k < len(act) else None
        if e != a:
            line = block.output_line + min(k, len(exp))
            if e is None:
                return f"line {line}: unexpected output {a!r} (command at line {block.line})"
            if a is None:
                return f"line {line}: missing output {e!r} (command at line {block.line})"
            return f"line {line}: expected {e!r}, got {a!r}"
    return f"line {block.line}: output differs"


def collect_files(paths: list[Path]) -> list[tuple[Path, str]]:
    """Expand folders into their .txt files (recursively, sorted); names are relative."""
    found: list[tuple[Path, str]] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*.txt")):
                found.append((f, str(f.relative_to(p))))
        else:
            found.append((p, p.name))
    return found
