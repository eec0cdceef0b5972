"""The real `raftviz` command in a pseudo-terminal, read through a terminal emulator (pyte):
wait for a leader, crash it with `c`, see another node lead, quit with `q`; and keys that
used to crash it."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pyte
import pytest

COLS, ROWS = 160, 48
LEADER = re.compile(r"★ S(\d) leader\s+term (\d+)")


class Terminal:
    """A child process on a pty, its output rendered by pyte into a screen we can read."""

    def __init__(self, *args: str) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
        env.pop("NO_COLOR", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "raftviz", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], min(left, 0.05))
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    return
                self.stream.feed(data)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, pattern: re.Pattern[str], timeout: float, reject: str = "") -> re.Match[str]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0.2)
            match = pattern.search(self.text())
            if match and (not reject or match.group(1) != reject):
                return match
        raise AssertionError(f"never saw {pattern.pattern!r}; screen:\n{self.text()}")

    def press(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> int | None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(5)
        os.close(self.master)
        return self.proc.returncode


def quits_cleanly(term: Terminal) -> None:
    """`q` still works and the exit code is 0: the app neither died nor hung."""
    assert term.proc.poll() is None, f"the app died; screen:\n{term.text()}"
    term.press("q")
    deadline = time.monotonic() + 10
    while term.proc.poll() is None and time.monotonic() < deadline:
        term.pump(0.1)
    assert term.proc.returncode == 0, term.text()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_crash_the_leader_and_see_a_new_one_elected() -> None:
    term = Terminal("--seed", "3", "--speed", "4")
    try:
        first = term.wait_for(LEADER, timeout=30)
        old = first.group(1)
        term.press(old)
        term.wait_for(re.compile(rf"selected ▶S{old}"), timeout=10)
        term.press("c")
        term.wait_for(re.compile(rf"S{old} ✖ CRASHED"), timeout=10)
        second = term.wait_for(LEADER, timeout=30, reject=old)
        assert second.group(1) != old
        assert int(second.group(2)) > int(first.group(2))
        quits_cleanly(term)
    finally:
        term.close()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_keys_typed_at_once_into_the_palette_run_one_command() -> None:
    """A real terminal delivers ``down enter enter`` in one read: the second enter reaches the
    palette after the first closed it."""
    term = Terminal("--seed", "1", "--paused")
    try:
        term.wait_for(re.compile(r"(PAUSED)"), timeout=30)
        term.press("\x10")  # ctrl+p
        term.pump(0.5)
        term.press("campaign")
        term.wait_for(re.compile(r"(Campaign \(e\))"), timeout=10)
        term.press("\x1b[B\r\r")
        term.wait_for(re.compile(r"(PRE-CAND)"), timeout=10)
        quits_cleanly(term)  # keys are handled in order: q comes after the second enter
    finally:
        term.close()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_a_command_with_markup_is_shown_not_parsed() -> None:
    term = Terminal("--seed", "1", "--paused")
    try:
        term.wait_for(re.compile(r"(PAUSED)"), timeout=30)
        term.press(":")
        term.wait_for(re.compile(r"(enter run, esc cancel)"), timeout=10)
        term.press("crash [/x]\r")
        term.wait_for(re.compile(r"(got \[/x\])"), timeout=10)
        term.press("\x1b")  # escape: close the prompt...
        term.pump(0.5)  # ...alone: an escape followed at once by q would read as alt+q
        quits_cleanly(term)
    finally:
        term.close()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_text_typed_at_the_prompt_is_on_the_screen_and_runs() -> None:
    term = Terminal("--paused", "--seed", "3")
    try:
        term.wait_for(re.compile(r"(PAUSED)"), timeout=30)
        term.press(":")
        term.wait_for(re.compile(r"(esc cancel)"), timeout=10)
        term.press("campaign 2")
        term.wait_for(re.compile(r"(campaign 2)"), timeout=10)
        term.press("\r")
        term.wait_for(re.compile(r"S2 (◇ PRE-CANDIDATE)"), timeout=10)
        term.press(":")
        term.wait_for(re.compile(r"(esc cancel)"), timeout=10)
        term.press("propose hello=world")
        term.wait_for(re.compile(r"(propose hello=world)"), timeout=10)
        term.press("\x1b")  # esc: the prompt closes, nothing was run
        term.pump(0.5)
        assert "propose hello=world" not in term.text()
        term.press("q")
        deadline = time.monotonic() + 10
        while term.proc.poll() is None and time.monotonic() < deadline:
            term.pump(0.1)
        assert term.proc.returncode == 0
    finally:
        term.close()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_unsafe_variants_of_the_option_join_the_script_s_and_are_shown() -> None:
    term = Terminal("unsafe-forget-vote", "--unsafe", "no-log-check,forget-vote", "--paused")
    try:
        term.wait_for(re.compile(r"( UNSAFE: forget-vote, no-log-check )"), timeout=30)
        quits_cleanly(term)
    finally:
        term.close()
