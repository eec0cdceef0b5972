"""`raftviz [SCRIPT]`: the TUI, assembled from the runtime, the Trio bridge and the app.

User errors (a bad script, options that contradict it) end in one line on stderr and exit code
2 before anything is drawn. `raftviz serve` and `raftviz record` assemble the same app from the
same options, so they check them here too, before serving or recording anything.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from raftviz.commands import EXIT_USAGE, NO_SCRIPT
from raftviz.scenarios import is_builtin, not_found, scenario_path

if TYPE_CHECKING:
    import trio

    from raftviz.app import RaftvizApp


class UsageError(Exception):
    """A user error in the TUI's options or script: its text is the one line to print."""


def tui(args: argparse.Namespace) -> int:
    try:
        app = build_app(args)
    except UsageError as e:
        print(e, file=sys.stderr)
        return EXIT_USAGE
    result = app.run()
    return result if isinstance(result, int) else app.return_code or 0


def build_app(
    args: argparse.Namespace,
    *,
    prog: str = "raftviz",
    trio_clock: trio.abc.Clock | None = None,
    animate: bool = True,
    clock: Callable[[], float] = time.monotonic,
) -> RaftvizApp:
    """The app the TUI's options describe, ready to run; `UsageError` if they are wrong.

    `prog` names the command in errors that are about its options. A recording passes the
    clocks it steps by hand: `trio_clock` for the simulation's pace, `clock` for the app's, and
    `animate=False` so that nothing moves between the frames it takes."""
    import dataclasses

    from raftviz.core.etcdtext.describe import escape
    from raftviz.core.script.parse import ClusterCmd, Located, ScriptError, load_script

    if args.nodes is not None and not 3 <= args.nodes <= 9:
        raise UsageError(f"{prog}: --nodes must be between 3 and 9, got {args.nodes}")
    if args.script == "":
        raise UsageError(f"{prog}: {NO_SCRIPT}")
    commands: tuple[Located, ...] = ()
    cluster = ClusterCmd()
    if args.script is not None:
        missing = not_found(args.script)
        if missing is not None:
            raise UsageError(missing)
        try:
            script = load_script(scenario_path(args.script), nodes=args.nodes or 5)
        except ScriptError as e:
            raise UsageError(str(e)) from None
        cluster, commands = script.cluster, script.commands
        if args.nodes is not None and cluster.nodes != args.nodes:
            raise UsageError(
                f"{escape(args.script)}: the script's cluster has {cluster.nodes} nodes; "
                f"--nodes {args.nodes} contradicts it"
            )
    overrides: dict[str, Any] = {}
    if args.nodes is not None:
        overrides["nodes"] = args.nodes
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.no_prevote:
        overrides["prevote"] = False
    if args.no_checkquorum:
        overrides["checkquorum"] = False
    if args.unsafe:
        # Added to the script's own, each once.
        overrides["unsafe"] = tuple(dict.fromkeys((*cluster.unsafe, *args.unsafe)))
    cluster = dataclasses.replace(cluster, **overrides)
    if not 3 <= cluster.nodes <= 9:
        raise UsageError(f"{prog}: the TUI shows 3 to 9 nodes, the script asks for {cluster.nodes}")

    from raftviz.app import RaftvizApp
    from raftviz.bridge import TrioBridge
    from raftviz.controller import clamp_speed
    from raftviz.core.script.executor import Executor
    from raftviz.runtime import Runtime
    from raftviz.themes import DEFAULT_THEME

    lecture = args.lecture
    if lecture is None:
        lecture = args.script is not None and is_builtin(scenario_path(args.script))
    runtime = Runtime(
        Executor(cluster, stories=True),
        speed=clamp_speed(args.speed),
        paused=args.paused,
        script=commands,
        lecture=lecture,
    )
    bridge = TrioBridge(
        runtime, scenario=Path(args.script).stem if args.script else None, clock=trio_clock
    )
    title = f"raftviz - {Path(args.script).stem}" if args.script else "raftviz"
    try:
        return RaftvizApp(
            bridge,
            theme=args.theme or os.environ.get("RAFTVIZ_THEME") or DEFAULT_THEME,
            title=title,
            services=[bridge],
            animate=animate,
            clock=clock,
        )
    except ValueError as e:
        raise UsageError(f"{prog}: {e}") from None
