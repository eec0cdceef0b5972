"""The `raftviz` command line: the TUI by default, plus run, conform and bench subcommands.

User errors (bad options, unreadable files) end in one line on stderr and exit code 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line and exit with code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _build_parser() -> _Parser:
    parser = _Parser(prog="raftviz", description="See Raft work, the way etcd does it.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    conform = sub.add_parser(
        "conform", help="run etcd/raft interaction test files against raftviz's core"
    )
    conform.add_argument("paths", nargs="+", type=Path, help="files or folders of .txt files")
    conform.add_argument("--diff", action="store_true", help="show a unified diff on failure")

    run = sub.add_parser("run", help="run a script headless, as fast as possible")
    run.add_argument("file", help="a raftviz script")
    run.add_argument("--json", action="store_true", help="print one JSON report")
    run.add_argument("--seed", type=int, help="override the script's cluster seed")

    bench = sub.add_parser("bench", help="measure performance")
    bench.add_argument("target", choices=["core", "sim"], help="what to measure")
    return parser


def _conform(paths: list[Path], diff: bool) -> int:
    from raftviz.core.interaction import collect_files, run_file

    for p in paths:
        if not p.exists():
            print(f"raftviz conform: {p}: no such file or directory", file=sys.stderr)
            return EXIT_USAGE
    files = collect_files(paths)
    if not files:
        print("raftviz conform: no .txt files found", file=sys.stderr)
        return EXIT_USAGE
    failed = 0
    for path, name in files:
        result = run_file(path, name)
        print(result.summary())
        if not result.passed:
            failed += 1
            if diff and result.diff:
                print(result.diff)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    if args.command == "conform":
        return _conform(args.paths, args.diff)
    if args.command == "run":
        from raftviz.headless import run_script

        return run_script(args.file, as_json=args.json, seed=args.seed)
    if args.command == "bench":
        from raftviz import bench

        for line in {"core": bench.bench_core, "sim": bench.bench_sim}[args.target]():
            print(line, flush=True)
        return 0
    print(
        "raftviz: the TUI is not available yet; try `raftviz conform` or `raftviz bench core`",
        file=sys.stderr,
    )
    return EXIT_USAGE


def entry() -> None:
    """Console-script entry: a closed pipe (`raftviz run x | head`) is not an error."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    entry()
