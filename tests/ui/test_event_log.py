"""The event log as a class reads it: whole lines, drops folded, scrolled from the keyboard.

A fake controller feeds hand-made events; what is checked is the text inside the log's own
region of the screen, as a student at the back of the room would read it.
"""

from __future__ import annotations

import re
from typing import Any

from textual import events
from textual.pilot import Pilot

from raftviz.app import ClusterUpdated, RaftvizApp
from raftviz.core.raft.logline import Level, LogLine
from raftviz.core.raft.messages import Message, MsgType
from raftviz.core.sim.events import Event, MessageDropped, Narration, NetworkChanged, RaftLog
from raftviz.themes import THEMES
from raftviz.widgets import EventLog
from raftviz.widgets.event_log import STORY, DropFold, format_event, wrap_offsets
from raftviz.widgets.palette import Palette
from tests.ui.conftest import screen_text

LONG = (
    "1 [logterm: 2, index: 4, vote: 0] rejected MsgVote from 3 [logterm: 1, index: 2] "
    "at term 4 because its log is behind: stepped down to follower since quorum is not active"
)


def log_of(app: RaftvizApp) -> EventLog:
    return app.screen_main.query_one(EventLog)


def log_rows(app: RaftvizApp) -> list[str]:
    """The rows of the screen inside the event log's region, as plain text."""
    region = log_of(app).content_region
    lines = screen_text(app).splitlines()
    return [lines[y][region.x : region.right] for y in range(region.y, region.bottom)]


def flat(rows: list[str]) -> str:
    """The rows run together, whitespace collapsed: wrapped text reads as one line again."""
    return re.sub(r"\s+", " ", " ".join(rows))


def line(seq: int, text: str, node: int = 1, time_ms: int = 10_000) -> RaftLog:
    return RaftLog(time_ms, seq, LogLine(Level.INFO, node, "raft", text))


def drop(seq: int, frm: int, to: int, msg_type: MsgType, time_ms: int, reason: str) -> Event:
    msg = Message(msg_type, to=to, frm=frm, term=3, log_term=3, index=8, commit=6)
    return MessageDropped(time_ms, seq, seq, msg, time_ms - 50, time_ms, reason)


async def feed(pilot: Pilot[Any], app: RaftvizApp, events: list[Event]) -> None:
    """Show `events` in etcd's INFO view, whose lines (not the default story's) these tests
    wrap, fold and scroll."""
    await pilot.pause()
    assert app.view is not None
    log = log_of(app)
    if log.min_level == STORY:
        log.set_filters(node=log.node_filter, level=Level.INFO)
    app.post_message(ClusterUpdated(app.view, tuple(events)))
    await pilot.pause()
    await pilot.pause()


# ------------------------------------------------------------------ whole lines


def test_wrapping_breaks_between_words_and_only_inside_words_too_long_for_a_row() -> None:
    assert wrap_offsets("aaa bbb ccc", 6, 6) == [4, 8]
    assert wrap_offsets("aaa bbb ccc", 7, 7) == [8]  # a row may end exactly at a word's end
    assert wrap_offsets("aaa bbb ccc", 11, 3) == []
    assert wrap_offsets("abcdefgh", 3, 3) == [3, 6]
    assert wrap_offsets("ab cdef", 2, 4) == [3]  # a first row narrower than the others
    assert wrap_offsets("日本語 日本語", 6, 6) == [4]  # wide characters count two cells


async def test_a_long_line_wraps_so_its_reason_is_on_screen(make_ui: Any) -> None:
    ui = make_ui()
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await feed(pilot, ui.app, [line(1, "1 became leader at term 3"), line(2, LONG)])
        text = flat(log_rows(ui.app))
        assert LONG in text
        # Wrapped rows start under the text, not under the time column.
        rows = [row for row in log_rows(ui.app) if row.strip()]
        continuation = rows[-1]
        assert continuation.startswith(" " * 18) and continuation.strip()


async def test_a_narrow_log_still_shows_every_word(make_ui: Any) -> None:
    ui = make_ui()
    async with ui.app.run_test(size=(80, 24)) as pilot:
        await feed(pilot, ui.app, [line(1, LONG)])
        assert LONG in flat(log_rows(ui.app))


# ------------------------------------------------------------------ drops


async def test_repeated_drops_on_one_link_fold_into_one_counting_line(make_ui: Any) -> None:
    ui = make_ui()
    async with ui.app.run_test(size=(160, 48)) as pilot:
        events: list[Event] = [line(1, "1 became leader at term 3", time_ms=12_000)]
        for k in range(42):
            kind = MsgType.MsgApp if k % 3 == 0 else MsgType.MsgHeartbeat
            events.append(drop(10 + k, 1, 3, kind, 12_300 + 100 * k, "partition"))
            events.append(drop(100 + k, 1, 4, MsgType.MsgHeartbeat, 12_300 + 100 * k, "partition"))
        await feed(pilot, ui.app, events)
        log = log_of(ui.app)
        assert len(log.lines) == 3  # the election line stays in view
        text = flat(log_rows(ui.app))
        assert "1 became leader at term 3" in text
        assert "S1→S3 dropped ×42 (MsgApp, MsgHeartbeat) since 12.300s: partition" in text
        assert "S1→S4 dropped ×42 (MsgHeartbeat) since 12.300s: partition" in text
        # More drops update the same line.
        await feed(pilot, ui.app, [drop(500, 1, 3, MsgType.MsgApp, 20_000, "partition")])
        assert len(log.lines) == 3
        assert "S1→S3 dropped ×43" in flat(log_rows(ui.app))
        # A change of the network starts a new story: the next drop is a new line.
        await feed(
            pilot,
            ui.app,
            [
                NetworkChanged(20_100, 501, "partition 1 | 2,3,4,5"),
                drop(502, 1, 3, MsgType.MsgHeartbeat, 20_200, "partition"),
            ],
        )
        assert len(log.lines) == 5
        # At DEBUG every drop is a line of its own, for the engineer who wants each one.
        await pilot.press("v", "v", "v", "v")  # INFO -> WARN, ERROR, story, DEBUG
        assert log.min_level == Level.DEBUG
        assert sum(isinstance(item, MessageDropped) for item in log.lines) == 86


def test_a_single_drop_keeps_its_details() -> None:
    palette = Palette.from_variables(THEMES["raft-dark"].variables)
    lost = drop(1, 2, 5, MsgType.MsgApp, 12_200, "loss")
    assert isinstance(lost, MessageDropped)
    once = DropFold(lost)
    assert (
        "DROPPED (loss) S2→S5 MsgApp term=3 log=3/8 commit=6" in format_event(once, palette).plain
    )


# ------------------------------------------------------------------ scrolling


async def test_the_log_scrolls_from_the_keyboard_and_says_what_arrived_below(
    make_ui: Any,
) -> None:
    ui = make_ui()
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await feed(pilot, ui.app, [line(k, f"line number {k}", time_ms=k) for k in range(100)])
        log = log_of(ui.app)
        assert log.following and "line number 99" in flat(log_rows(ui.app))
        await pilot.press("up")
        assert log.following and ui.app.focused is None  # not focused: keys are the app's
        await pilot.press("L")
        await pilot.pause()
        assert ui.app.focused is log
        assert str(log.border_title).startswith("▶ Events") and "PgUp" in str(log.border_title)
        await pilot.press("up", "up")
        assert not log.following
        shown = flat(log_rows(ui.app))
        # Two lines up, and the last row says what is below (the banner takes a row).
        assert "line number 99" not in shown and "line number 96" in shown
        assert "↓ 3 more lines" in shown
        # New lines arrive below: the view holds still and says so.
        await feed(pilot, ui.app, [line(200 + k, f"late {k}", time_ms=200 + k) for k in range(12)])
        shown = flat(log_rows(ui.app))
        assert "line number 96" in shown and "late" not in shown
        assert "↓ 12 new lines" in shown
        # The app's single keys still work while the log has focus.
        await pilot.press("c")
        assert ui.controller.commands[-1] == "crash 1"
        await pilot.press("home")
        assert "line number 0 " in flat(log_rows(ui.app)) + " "
        await pilot.press("pagedown")
        assert "line number 0 " not in flat(log_rows(ui.app)) + " "
        await pilot.press("end")
        assert log.following and "late 11" in flat(log_rows(ui.app))
        assert "new line" not in flat(log_rows(ui.app))
        # Scrolling back down to the newest line follows again, too.
        await pilot.press("pageup", "pagedown")
        assert log.following
        # esc gives the keys back (and still reaches the app: it stops a running command).
        await pilot.press("escape")
        assert ui.app.focused is None
        assert ui.controller.calls[-1] == ("interrupt",)
        await pilot.press("L", "L")
        assert ui.app.focused is None


async def test_the_mouse_wheel_scrolls_the_log_without_focusing_it(make_ui: Any) -> None:
    ui = make_ui()
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await feed(pilot, ui.app, [line(k, f"line number {k}", time_ms=k) for k in range(100)])
        log = log_of(ui.app)
        notch = events.MouseScrollUp(log, 5, 5, 0, -1, 0, False, False, False)
        log.post_message(notch)
        await pilot.pause()
        assert not log.following and ui.app.focused is None
        assert "↓ 0 new lines" not in flat(log_rows(ui.app))
        assert "more lines" in flat(log_rows(ui.app))


async def test_going_back_in_time_takes_later_lines_off_and_keeps_the_old_story(
    make_ui: Any,
) -> None:
    """In the story view, a long run's first line has left the history (2000 events) but is
    still shown: undoing the last events must take exactly the later lines off, not rebuild
    the log from what the history still holds."""
    ui = make_ui()
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        first = Narration(1000, 1, "the first election")
        chatter = [line(seq, f"heartbeat {seq}") for seq in range(2, 2600)]
        later = [Narration(20_000, 2600, "before"), Narration(20_000, 2700, "after")]
        ui.app.post_message(ClusterUpdated(ui.app.view, (first, *chatter, *later)))
        await pilot.pause()
        log = log_of(ui.app)
        assert log.min_level == STORY
        assert log.lines == (first, *later) and first not in log.history
        ui.app.post_message(ClusterUpdated(ui.app.view, (), undone_after=2650))
        await pilot.pause()
        assert log.lines == (first, later[0]) and log.history[-1].seq == 2600
        shown = flat(log_rows(ui.app))
        assert "the first election" in shown and "before" in shown and "after" not in shown
