"""Worker processes for the commands that spread work over cores (`check`, `experiment`):
Ctrl-C must stop them cleanly, with no traceback from any process and no pool left hanging;
and the live progress bar both show on stderr while they work.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@contextmanager
def worker_pool(jobs: int) -> Iterator[Any]:
    """`jobs` worker processes that ignore Ctrl-C, closed and waited for once the work is done,
    terminated at once if it failed or was stopped. From the command line (the main thread)
    they start with Ctrl-C ignored already; from the TUI's worker thread, the real stderr is
    lent to multiprocessing while it starts them (Textual replaces sys.stderr by an object
    without a file descriptor, which the resource tracker it starts would be handed)."""
    spawn = multiprocessing.get_context("spawn")
    if threading.current_thread() is threading.main_thread():
        with sigint_ignored():
            pool = spawn.Pool(jobs, initializer=ignore_sigint)
    else:
        with redirect_stderr(sys.__stderr__):
            pool = spawn.Pool(jobs, initializer=ignore_sigint)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()
    pool.join()


def progress_bar(what: str, *counts: ProgressColumn) -> Progress:
    """A bar on stderr (only on a terminal): `what`, the bar, `counts`, time spent and left."""
    console = Console(stderr=True)
    return Progress(
        TextColumn(f"[bold]{what}"),
        BarColumn(),
        *counts,
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    )


def ignore_sigint() -> None:
    """Ctrl-C reaches every process of the terminal's group: only the parent acts on it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def sigint_ignored() -> Iterator[None]:
    """Workers start with Ctrl-C ignored, before their first line of Python runs (a spawned
    process inherits an ignored signal, not a handler), so none can die of it mid-start with a
    traceback. The price: a Ctrl-C in the few milliseconds the workers take to start is lost
    (pressed again, it stops the hunt)."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def sigint_deferred() -> Iterator[threading.Event]:
    """Ctrl-C only sets the event the parent's loop looks at between two results: raised at
    any bytecode, KeyboardInterrupt could land inside the pool's own bookkeeping with one of its
    locks held, and `Pool.terminate()` could wait on that lock for ever."""
    asked = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: asked.set())
    try:
        yield asked
    finally:
        signal.signal(signal.SIGINT, previous)
