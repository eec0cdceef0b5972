"""`raftviz serve` without a browser: where it listens, how it stops, what it refuses.

Every server here listens on loopback (or, for the warning, on all addresses, to which only
loopback connections are made).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import pytest

from tests.e2e.serving import Served, accepts, free_port

TIMEOUT_S = 20


def test_serve_listens_on_127_0_0_1_only_by_default_and_ctrl_c_frees_the_port() -> None:
    port = free_port()
    server = Served("--port", str(port))
    try:
        banner = server.first_line()
        assert f"http://127.0.0.1:{port} " in banner
        assert accepts("127.0.0.1", port)
        # Bound to 127.0.0.1 itself: another loopback address of this machine is refused,
        # where a server on every address (0.0.0.0) would take it.
        assert not accepts("127.0.0.2", port)
    finally:
        code, err = server.stop()
    assert (code, err) == (0, "")
    with socket.create_server(("127.0.0.1", port)):
        pass  # free again


def test_another_address_is_served_with_a_warning() -> None:
    port = free_port()
    server = Served("--host", "0.0.0.0", "--port", str(port))
    try:
        assert f"http://localhost:{port} " in server.first_line()
        assert accepts("127.0.0.2", port)
    finally:
        code, err = server.stop()
    assert code == 0
    assert err.startswith(
        "raftviz serve: warning: listening on 0.0.0.0, not only on this machine: "
        f"anyone who can reach port {port} can open sessions"
    )


def rejected(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "raftviz", "serve", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr.rstrip("\n")


def test_a_port_in_use_is_one_line() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        line = rejected("--port", str(port))
    assert line == f"raftviz serve: --port {port}: 127.0.0.1:{port} is already in use"


PORT_RULE = "raftviz serve: argument --port: the port must be a number from 1 to 65535"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "0"], rf"{PORT_RULE}, got 0"),
        (["--port", "65536"], rf"{PORT_RULE}, got 65536"),
        (["--port", "http"], rf"{PORT_RULE}, got http"),
        (["--port"], r"raftviz serve: argument --port: expected one argument"),
        (["--host", "192.0.2.1"], r"raftviz serve: --host 192\.0\.2\.1: not an address of .*"),
        (["leader-crsh"], r"leader-crsh: neither a file nor a built-in scenario \(did you .*"),
        (["--nodes", "12"], r"raftviz serve: --nodes must be between 3 and 9, got 12"),
        (["--theme", "nope"], r"raftviz serve: unknown theme 'nope' .*"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args: list[str], message: str) -> None:
    line = rejected("--port", str(free_port()), *args)
    assert re.fullmatch(message, line), line
