"""`raftviz [SCRIPT]`: the TUI, assembled from the runtime, the Trio bridge and the app.

User errors (a bad script, options that contradict it) end in one line on stderr and exit code
2 before anything is drawn.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from raftviz.commands import EXIT_USAGE, NO_SCRIPT
from raftviz.scenarios import is_builtin, scenario_path


def tui(args: argparse.Namespace) -> int:
    import dataclasses

    from raftviz.core.etcdtext.describe import escape
    from raftviz.core.script.parse import ClusterCmd, Located, ScriptError, load_script

    if args.nodes is not None and not 3 <= args.nodes <= 9:
        print(f"raftviz: --nodes must be between 3 and 9, got {args.nodes}", file=sys.stderr)
        return EXIT_USAGE
    if args.script == "":
        print(f"raftviz: {NO_SCRIPT}", file=sys.stderr)
        return EXIT_USAGE
    commands: tuple[Located, ...] = ()
    cluster = ClusterCmd()
    if args.script is not None:
        try:
            script = load_script(scenario_path(args.script), nodes=args.nodes or 5)
        except ScriptError as e:
            print(e, file=sys.stderr)
            return EXIT_USAGE
        cluster, commands = script.cluster, script.commands
        if args.nodes is not None and cluster.nodes != args.nodes:
            print(
                f"{escape(args.script)}: the script's cluster has {cluster.nodes} nodes; "
                f"--nodes {args.nodes} contradicts it",
                file=sys.stderr,
            )
            return EXIT_USAGE
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
        print(
            f"raftviz: the TUI shows 3 to 9 nodes, the script asks for {cluster.nodes}",
            file=sys.stderr,
        )
        return EXIT_USAGE

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
    bridge = TrioBridge(runtime, scenario=Path(args.script).stem if args.script else None)
    title = f"raftviz - {Path(args.script).stem}" if args.script else "raftviz"
    try:
        app = RaftvizApp(
            bridge,
            theme=args.theme or os.environ.get("RAFTVIZ_THEME") or DEFAULT_THEME,
            title=title,
            services=[bridge],
        )
    except ValueError as e:
        print(f"raftviz: {e}", file=sys.stderr)
        return EXIT_USAGE
    result = app.run()
    return result if isinstance(result, int) else app.return_code or 0
