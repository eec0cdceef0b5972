"""The runtime's side of lecture-ready (issue 8): a check typed at the prompt answers both
ways, what a command prints names the command, and a played script says when it waits."""

from __future__ import annotations

import trio

from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import ClusterCmd, parse_script
from raftviz.runtime import Resume, Runtime, Subscription

from .test_runtime import do, run_with_runtime


def test_a_typed_expect_answers_whether_it_holds_or_not() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=1)), paused=True)
    notices: list[str] = []
    errors: list[str] = []

    async def body(rt: Runtime, sub: Subscription) -> None:
        do(rt, "run until leader")
        while rt.busy is not None or rt.cluster.leader() is None:
            await sub.receive()
        do(rt, "expect leader term=1")
        do(rt, "expect leader term=9")
        with trio.move_on_after(60):  # simulated seconds: a bound, not a timing
            while len(notices) < 2:
                batch = await sub.receive()
                notices.extend(batch.notices)
                errors.extend(batch.errors)

    run_with_runtime(body, rt)
    assert notices == [
        "✔ expect leader term=1: holds",
        "✖ expect leader term=9: fails: expected leader's term = 9, got 1",
    ]
    assert errors == []  # an answer, not an error: the screen keeps it up until replaced
    # Saved like any command, the failed one as a comment so that the replay does not fail.
    assert rt.recorded[-2:] == ["expect leader term=1", "# failed: expect leader term=9"]


def test_a_played_script_says_while_it_has_commands_left() -> None:
    script = parse_script('say "one"\nsay "two"\n', "l.raft")
    rt = Runtime(Executor(script.cluster), script=script.commands, lecture=True)
    playing: list[tuple[bool, bool]] = []

    async def body(rt: Runtime, sub: Subscription) -> None:
        for _ in range(2):
            await trio.sleep(5)
            playing.append((rt.paused, rt.playing))
            rt.control(Resume())

    run_with_runtime(body, rt)
    assert playing == [(True, True), (True, False)]
    assert rt.script == script.commands
