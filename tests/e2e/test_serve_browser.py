"""`raftviz serve` in a real browser: Debian's Chromium, headless, driven by Playwright.

Two tabs open the served page; each waits until its screen shows an elected leader. In the
first, the keys a user would type select the leader and crash it, and a new leader appears at
a higher term; the second tab, meanwhile, still shows its own first leader, uncrashed, at its
first term: the tabs do not share a cluster. Then Ctrl-C stops the server with both tabs open,
ends their sessions and frees the port.

The page paints its terminal (xterm.js) on a canvas, from the text in the terminal's buffer:
the test reads that buffer, which the page does not expose, through a script that catches the
terminal as the page builds it. Keys go in through the page's keyboard.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.serving import Served, accepts, free_port, gone

CHROMIUM = shutil.which("chromium")

CHROMIUM_FLAGS = [
    # No GPU here; and nothing but the page's own server is reachable, so Chromium's own
    # background connections (updates, sync, QUIC probes) would only be refused.
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

CATCH_TERMINAL = """
// xterm.js's Terminal sets `this._core` in its constructor: a setter on Object.prototype
// sees it happen, keeps the terminal (the object with `loadAddon`), and steps aside.
Object.defineProperty(Object.prototype, "_core", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "_core", { value, writable: true, configurable: true });
    if (typeof this.loadAddon === "function") window.raftvizTerminal = this;
  },
});
"""

SCREEN_TEXT = """() => {
  const terminal = window.raftvizTerminal;
  if (!terminal) return "";
  const buffer = terminal.buffer.active, lines = [];
  for (let y = 0; y < terminal.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
}"""

LEADER = re.compile(r"★ S(\d) leader\s+term (\d+)")
TIMEOUT_MS = 30_000
POLL_MS = 200

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium installed (on Debian: apt-get install chromium; .ci/run installs it)",
)


class Tab:
    """A browser tab on the served page (a context of its own: nothing shared)."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.page: Page = browser.new_context().new_page()
        self.page.add_init_script(CATCH_TERMINAL)
        self.page.goto(url)
        self.page.wait_for_selector("body.-first-byte", timeout=TIMEOUT_MS)
        # Keys go where a user's go: the terminal's input, focused without a click, which
        # would land on the map.
        self.page.focus(".xterm-helper-textarea")

    def text(self) -> str:
        return str(self.page.evaluate(SCREEN_TEXT))

    def wait_for(self, pattern: re.Pattern[str], not_node: str = "") -> re.Match[str]:
        for _ in range(TIMEOUT_MS // POLL_MS):
            for match in pattern.finditer(self.text()):
                if match.group(1) != not_node:
                    return match
            self.page.wait_for_timeout(POLL_MS)
        raise AssertionError(f"never saw {pattern.pattern!r}; screen:\n{self.text()}")

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def test_two_tabs_each_elect_and_one_survives_its_leader_s_crash(browser: Browser) -> None:
    port = free_port()
    server = Served("--port", str(port), "--seed", "3", "--speed", "4")
    try:
        url = server.first_line().split()[3]
        assert url == f"http://127.0.0.1:{port}"
        first, second = Tab(browser, url), Tab(browser, url)
        elected = first.wait_for(LEADER)
        leader, term = elected.group(1), int(elected.group(2))
        other = second.wait_for(LEADER)
        assert len(server.sessions()) == 2  # a process per tab

        first.press(leader)
        first.wait_for(re.compile(rf"selected ▶S({leader})"))
        first.press("c")
        first.wait_for(re.compile(rf"S({leader}) ✖ CRASHED"))
        after = first.wait_for(LEADER, not_node=leader)
        assert int(after.group(2)) > term

        # The second tab's cluster never saw the crash: same leader, same term, all alive.
        still = second.wait_for(LEADER)
        assert still.groups() == other.groups()
        assert "CRASHED" not in second.text()
    finally:
        sessions = server.sessions()
        code, err = server.stop()
    assert code == 0, err
    assert "Traceback" not in err
    assert all(gone(pid) for pid in sessions), "a session outlived the server"
    assert not accepts("127.0.0.1", port)  # the port is free again
