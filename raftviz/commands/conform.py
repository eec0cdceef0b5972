"""`raftviz conform PATH...`: runs etcd/raft's interaction files on raftviz's core.

Prints `PASS name` or `FAIL name: line N: reason` per file; exit 0 only if all pass.
"""

from __future__ import annotations

import sys
from pathlib import Path

from raftviz.commands import EXIT_USAGE


def conform(paths: list[Path], diff: bool) -> int:
    from raftviz.core.etcdtext.describe import escape
    from raftviz.core.etcdtext.interaction import collect_files, run_file

    for p in paths:
        if not p.exists():
            print(f"raftviz conform: {escape(str(p))}: no such file or directory", file=sys.stderr)
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
