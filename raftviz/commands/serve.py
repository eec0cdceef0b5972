"""`raftviz serve`: the TUI in web browsers, through textual-serve.

textual-serve starts one process per browser session - here a plain `raftviz` with the options
given to `serve` - and relays its screen and keys over a websocket to xterm.js in the page. So
each tab has its own cluster, and a session that crashes or quits takes nothing else with it.

The options and the script are checked once, here, before anything listens: a mistake is one
line and exit code 2, not an error page in every tab. So is an address that cannot be listened
on (a port in use, a host that is not this machine's).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import ipaddress
import shlex
import socket
import sys
from collections.abc import Sequence
from typing import Any

from textual_serve.server import Server

from raftviz.commands import EXIT_USAGE
from raftviz.commands.tui import UsageError, build_app

PROG = "raftviz serve"


def serve(args: argparse.Namespace, session_argv: Sequence[str]) -> int:
    """Serve until Ctrl-C (or SIGTERM); `session_argv` is what each session's `raftviz` gets:
    the TUI's options and script as typed."""
    try:
        build_app(args, prog=PROG)  # what every session will build: it must not fail there
        loopback = _check_address(args.host, args.port)
    except UsageError as e:
        print(e, file=sys.stderr)
        return EXIT_USAGE
    if not loopback:
        print(
            f"{PROG}: warning: listening on {args.host}, not only on this machine: anyone who "
            f"can reach port {args.port} can open sessions, each a process here",
            file=sys.stderr,
        )
    server = _Server(
        # textual-serve runs it through a shell: `exec` leaves one process per session.
        "exec " + shlex.join([sys.executable, "-m", "raftviz", *session_argv]),
        host=args.host,
        port=args.port,
        title="raftviz",
    )
    try:
        server.serve()
    except OSError as e:  # the address was taken between the check and now
        print(_cannot_listen(args.host, args.port, e), file=sys.stderr)
        return EXIT_USAGE
    return 0


def _check_address(host: str, port: int) -> bool:
    """Whether `host` is this machine alone (a loopback address); `UsageError` if it cannot be
    listened on at `port`. Binds every address `host` resolves to, as the server will."""
    try:
        found = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE | socket.AI_ADDRCONFIG
        )
    except socket.gaierror as e:
        raise UsageError(
            f"{PROG}: --host {host}: not an address of this machine ({e.strerror})"
        ) from None
    for family, kind, proto, _, address in found:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as e:
                raise UsageError(_cannot_listen(host, port, e)) from None
    return all(ipaddress.ip_address(address[0]).is_loopback for *_, address in found)


def _cannot_listen(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"{PROG}: --port {port}: {host}:{port} is already in use"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{PROG}: --host {host}: not an address of this machine"
    return f"{PROG}: cannot listen on {host}:{port}: {error.strerror or error}"


class _Server(Server):
    """textual-serve's server, saying what raftviz's user needs instead of its banner, giving
    each page the address the browser used (not the one listened on, which for 0.0.0.0 would
    send the page's websocket nowhere), and ending the sessions when it stops: aiohttp waits
    for open websockets to close, up to a minute, and nothing else would close them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sessions: set[asyncio.Task[Any]] = set()

    async def on_startup(self, app: Any) -> None:
        if self.host in ("0.0.0.0", "::"):  # every address: this one works here
            where = f"http://localhost:{self.port} (from elsewhere: this machine's name)"
        else:
            where = f"http://{f'[{self.host}]' if ':' in self.host else self.host}:{self.port}"
        print(
            f"{PROG}: open {where} in a browser - each tab runs its own cluster; Ctrl-C stops",
            flush=True,
        )

    async def handle_index(self, request: Any) -> Any:
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    async def handle_websocket(self, request: Any) -> Any:
        session = asyncio.current_task()
        assert session is not None
        self._sessions.add(session)
        try:
            return await super().handle_websocket(request)
        finally:
            self._sessions.discard(session)

    async def on_shutdown(self, app: Any) -> None:
        """Cancelled, a session tells its app to quit and waits for its process to end."""
        sessions = list(self._sessions)
        for session in sessions:
            session.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)
