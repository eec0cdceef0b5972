"""A real `raftviz serve` in a subprocess, on a free loopback port, for the serve tests."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STOP_TIMEOUT_S = 10


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick, released at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


class Served:
    """`raftviz serve ARGS` until `stop()`: Ctrl-C, as a user would stop it."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "raftviz", "serve", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        self.stdout = self.proc.stdout

    def first_line(self, timeout: float = 20) -> str:
        """The banner, once the server accepts connections (it is printed as it starts to
        listen), or fail with what the server said instead."""
        ready, _, _ = select.select([self.stdout], [], [], timeout)
        line = self.stdout.readline().decode() if ready else ""
        if not line:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=STOP_TIMEOUT_S)
            raise AssertionError(f"the server said nothing on stdout; stderr: {err.decode()}")
        port = int(line.split()[3].rsplit(":", 1)[1])
        end = time.monotonic() + timeout
        while not accepts("127.0.0.1", port):
            assert time.monotonic() < end, f"nothing listens on port {port} after: {line}"
            time.sleep(0.05)
        return line

    def sessions(self) -> list[int]:
        """The processes the server runs for its browser sessions (its children)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> tuple[int, str]:
        """Ctrl-C; the exit code and everything it wrote to stderr."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.communicate()
            raise AssertionError(f"Ctrl-C did not stop the server in {STOP_TIMEOUT_S} s") from None
        return self.proc.returncode, err.decode()


def gone(pid: int, timeout: float = STOP_TIMEOUT_S) -> bool:
    """Whether process `pid` has ended (been reaped, or is a zombie) within `timeout`."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False
