"""Worker processes for the commands that spread work over cores (`check`, `experiment`):
Ctrl-C must stop them cleanly, with no traceback from any process and no pool left hanging.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


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
