"""Widget logic that needs no running app: layouts, vocabulary, formatting."""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations
from typing import Any

import pytest

from raftviz.core.raft.logline import Level, LogLine
from raftviz.core.raft.messages import Message, MsgType
from raftviz.core.sim.events import (
    FlightView,
    MessageDelivered,
    MessageDropped,
    MessageSent,
    RaftLog,
    TimersChanged,
)
from raftviz.themes import THEMES
from raftviz.widgets.cluster_map import WALL, flight_progress, layout_cards, layout_sides, map_sides
from raftviz.widgets.event_log import event_actors, event_level, format_event
from raftviz.widgets.flight_table import flight_glyph, progress_bar
from raftviz.widgets.node_card import CARD_LEVELS, link_state, render_card, timer_ratio
from raftviz.widgets.palette import Palette, classify_message, direction_arrow, role_info, role_key
from tests.ui.conftest import Flight, screen_text

SIZES = [(80, 6), (80, 10), (100, 14), (160, 30), (200, 50)]


@pytest.mark.parametrize("count", range(3, 10))
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_cards_never_overlap_and_never_fall_off(count: int, width: int, height: int) -> None:
    layout = layout_cards(count, width, height)
    rects = [layout.rect(i) for i in range(count)]
    for x, y, w, h in rects:
        assert x >= 0 and x + w <= layout.size.width
        assert y >= 0 and y + h <= layout.size.height
    for (x1, y1, w1, h1), (x2, y2, w2, h2) in combinations(rects, 2):
        assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1
    assert layout.size.width >= width and layout.size.height >= height


def test_a_big_map_gets_the_most_detailed_cards_on_a_ring() -> None:
    layout = layout_cards(5, 110, 40)
    assert layout.ring and layout.level.name == "full"


def test_a_small_map_still_gets_a_ring() -> None:
    layout = layout_cards(5, 80, 6)
    assert layout.ring and layout.level.name == "micro"


def test_an_impossible_map_scrolls_rather_than_cuts() -> None:
    layout = layout_cards(9, 30, 4)
    assert layout.size.height > 4  # the widget scrolls; no node is cut off


def _flight(msg_type: str = "MsgApp", reject: bool = False) -> FlightView:
    return Flight(1, 1, 2, msg_type, 3, 2, 7, 6, reject, 1, 1000, 1100)


def test_flight_progress_is_clamped() -> None:
    flight = _flight()
    assert flight_progress(flight, 900) == 0.0
    assert flight_progress(flight, 1050) == pytest.approx(0.5)
    assert flight_progress(flight, 5000) == 1.0


@pytest.mark.parametrize(
    ("msg_type", "reject", "glyph"),
    [
        ("MsgPreVote", False, "P→"),
        ("MsgPreVoteResp", False, "p✓"),
        ("MsgVote", False, "V→"),
        ("MsgVoteResp", True, "v✗"),
        ("MsgApp", False, "A→"),
        ("MsgAppResp", True, "a✗"),
        ("MsgHeartbeat", False, "H→"),
        ("MsgHeartbeatResp", False, "h✓"),
        ("MsgTransferLeader", False, "T→"),
        ("MsgTimeoutNow", False, "T→"),
        ("MsgSnap", False, "S→"),
        ("MsgProp", False, "M→"),
    ],
)
def test_every_message_kind_has_its_own_glyph(msg_type: str, reject: bool, glyph: str) -> None:
    assert flight_glyph(_flight(msg_type, reject)) == glyph


def test_message_names_are_read_in_any_spelling() -> None:
    assert classify_message("prevote-resp") == classify_message("MsgPreVoteResp")
    assert classify_message("MsgPreVoteResp")[1] is True


def test_direction_arrows_follow_the_screen() -> None:
    assert direction_arrow(10, 0) == "→"
    assert direction_arrow(-10, 0) == "←"
    assert direction_arrow(0, 5) == "↓"
    assert direction_arrow(10, 5) == "↘"


def test_progress_bar_reads_without_colour() -> None:
    assert progress_bar(0.4) == "▰▰▱▱▱  40%"


@pytest.mark.parametrize(
    ("role", "alive", "key"),
    [
        ("leader", True, "leader"),
        ("StateLeader", True, "leader"),
        ("pre-candidate", True, "pre-candidate"),
        ("StatePreCandidate", True, "pre-candidate"),
        ("candidate", False, "crashed"),
    ],
)
def test_role_names_are_normalised(role: str, alive: bool, key: str) -> None:
    assert role_key(role, alive) == key


def test_roles_differ_by_glyph_not_only_colour() -> None:
    glyphs = {role_info(r).glyph for r in ("leader", "candidate", "pre-candidate", "follower")}
    assert len(glyphs) == 4 and role_info("leader", alive=False).glyph == "✖"


@pytest.mark.parametrize("level", CARD_LEVELS, ids=lambda level: level.name)
def test_cards_have_exactly_their_size(level: Any, views: Any) -> None:
    palette = Palette.from_variables(THEMES["raft-dark"].variables)
    for node in views.partition().nodes:
        rows = render_card(node, level, palette, selected=node.id == 1, cuts=((1, 3), (3, 1)))
        assert len(rows) == level.height
        assert all(len(row) == level.width for row in rows)


@pytest.mark.parametrize("selected", [False, True])
@pytest.mark.parametrize("term", [1, 12])
def test_a_compact_card_s_title_stays_whole(views: Any, selected: bool, term: int) -> None:
    """80x24 draws compact cards: selected, or at a two-digit term, the title is not cut."""
    palette = Palette.from_variables(THEMES["raft-dark"].variables)
    node = replace(views.five().nodes[3], term=term)  # S4, a follower
    level = next(level for level in CARD_LEVELS if level.name == "compact")
    top = "".join(char for char, _ in render_card(node, level, palette, selected=selected)[0])
    assert f"S4 ○ FOLL T{term}" in top and "…" not in top
    assert ("▶S4" in top) == selected


def test_timer_ratio_is_clamped(views: Any) -> None:
    node = views.five().nodes[3]
    assert timer_ratio(node) == pytest.approx(10 / 11)


def test_event_levels_and_nodes(events: Any) -> None:
    palette = Palette.from_variables(THEMES["raft-dark"].variables)
    assert [event_level(e) for e in events].count(Level.DEBUG) == 1
    drop = next(e for e in events if isinstance(e, MessageDropped))
    assert event_actors(drop) == (2,)  # the sender, whose message was lost
    assert "DROPPED (loss)" in format_event(drop, palette).plain
    line = RaftLog(1500, 1, LogLine(Level.INFO, 2, "k", "2 became follower at term 1"))
    assert format_event(line, palette).plain.endswith("INFO S2 2 became follower at term 1")


@pytest.mark.parametrize("level", CARD_LEVELS, ids=lambda level: level.name)
def test_every_card_shows_term_commit_and_last_index(level: Any, views: Any) -> None:
    palette = Palette.from_variables(THEMES["raft-dark"].variables)
    node = views.five().nodes[3]  # S4: term 3, commit 4, last 4
    text = "\n".join("".join(char for char, _ in row) for row in render_card(node, level, palette))
    assert "S4" in text and "3" in text
    assert "c4/4" in text or ("commit 4" in text and "last 4" in text) or "cmt 4" in text


def test_candidate_cards_show_the_votes(views: Any) -> None:
    palette = Palette.from_variables(THEMES["raft-dark"].variables)
    candidate = views.partition().nodes[2]  # S3 campaigning: 2 granted of the 3 needed
    for level in CARD_LEVELS:
        text = "".join(char for row in render_card(candidate, level, palette) for char, _ in row)
        assert "2/3" in text, level.name


def test_timer_changes_are_logged_as_timer_events_not_network_ones() -> None:
    palette = Palette.from_variables(THEMES["raft-dark"].variables)
    aligned = format_event(TimersChanged(1500, 1, "aligned", ((2, 14), (3, 14))), palette).plain
    assert "network" not in aligned
    assert aligned.endswith("INFO -- timers aligned: S2 S3 time out after 14 ticks")
    spread = format_event(TimersChanged(1500, 2, "spread", ((2, 10), (3, 15))), palette).plain
    assert spread.endswith("timers spread: S2 10 · S3 15 ticks")


def _msg(cls: type[MessageSent] | type[MessageDelivered]) -> MessageSent | MessageDelivered:
    msg = Message(MsgType.MsgApp, to=5, frm=2, term=3, log_term=2, index=4, commit=4)
    return cls(12_200, 5, 77, msg, 12_150, 12_200)


def test_a_received_message_is_the_receiver_s_line() -> None:
    palette = Palette.from_variables(THEMES["raft-dark"].variables)
    recv = format_event(_msg(MessageDelivered), palette).plain
    assert " DEBG S5 recv S2→S5 MsgApp" in recv
    sent = format_event(_msg(MessageSent), palette).plain
    assert " DEBG S2 sent S2→S5 MsgApp" in sent


def test_a_node_filter_keeps_what_the_node_did_not_what_mentions_it() -> None:
    assert event_actors(_msg(MessageDelivered)) == (5,)
    assert event_actors(_msg(MessageSent)) == (2,)


def test_cards_say_which_way_a_link_is_cut(views: Any) -> None:
    """A one-way cut reads differently from a two-way one: ↔ both ways, → cannot send to,
    ← cannot hear from."""
    node = views.five().nodes[0]  # S1
    cuts = ((1, 3), (3, 1), (1, 2), (4, 1), (2, 5))
    assert link_state(node, cuts) == "✂↔S3 →S2 ←S4"
    assert link_state(node, ((1, 3), (1, 4), (3, 1))) == "✂↔S3 →S4"
    assert link_state(node, ((2, 5),)) == ""
    palette = Palette.from_variables(THEMES["raft-dark"].variables)
    for level in CARD_LEVELS:
        text = "".join(
            char for row in render_card(node, level, palette, cuts=((1, 2),)) for char, _ in row
        )
        assert "✂→S2" in text, level.name


SIDES = [
    ((0, 1), (2, 3, 4)),
    ((0, 1), (2, 3), (4,)),
    ((0,), (1,), (2, 3, 4)),
    ((0, 1, 2, 3), (4, 5, 6, 7, 8)),
    ((0, 2, 4, 6), (1, 3, 5), (7,), (8,)),
]


@pytest.mark.parametrize("sides", SIDES, ids=str)
@pytest.mark.parametrize(("width", "height"), [(80, 6), (80, 10), (100, 14), (96, 33), (200, 50)])
def test_each_side_of_a_partition_stays_between_its_walls(
    sides: tuple[tuple[int, ...], ...], width: int, height: int
) -> None:
    labels = ("partition",) * (len(sides) - 1)
    layout = layout_sides(sides, labels, width, height)
    count = sum(len(side) for side in sides)
    rects = [layout.rect(i) for i in range(count)]
    for x, y, w, h in rects:
        assert x >= 0 and x + w <= layout.size.width
        assert y >= 1 and y + h <= layout.size.height  # the top row is the walls' labels
    for (x1, y1, w1, h1), (x2, y2, w2, h2) in combinations(rects, 2):
        assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1
    assert len(layout.walls) == len(sides) - 1
    bounds = [-1, *(wall.x for wall in layout.walls), layout.size.width]
    for number, side in enumerate(sides):
        for node in side:
            x, _, w, _ = layout.rect(node)
            assert bounds[number] < x and x + w <= bounds[number + 1], (number, node)


def test_the_sides_are_the_partition_groups_then_each_isolated_node(views: Any) -> None:
    assert map_sides(views.five()) is None
    assert map_sides(views.partition()) == (((0, 1), (2, 3, 4)), ("partition",))
    assert map_sides(views.split()) == (((0, 1), (2, 3), (4,)), ("partition", "isolated"))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_partition_is_drawn_as_sides_apart_readable_without_colour(
    make_ui: Any, views: Any, size: tuple[int, int]
) -> None:
    from tests.ui.test_keys import map_text, settle

    ui = make_ui(views.split())
    async with ui.app.run_test(size=size) as pilot:
        await settle(pilot)
        picture = map_text(ui.app).splitlines()
        cluster_map = ui.app.screen_main.query_one("#map")
        layout = cluster_map.layout_info  # type: ignore[attr-defined]
        assert [wall.label for wall in layout.walls] == ["partition", "isolated"]
        first, second = (wall.x for wall in layout.walls)
        # The labels in the top row, the walls as shaded columns down the map.
        assert " partition " in picture[0] and " isolated " in picture[0]
        for wall in (first, second):
            column = "".join(row[wall] for row in picture[1:])
            assert column.count(WALL) >= len(column) - 2  # only a message may cross it

        # Each group on its own side, S5 alone beyond the second wall.
        def side_of(label: str) -> int:
            row = next(r for r in picture if label in r)
            x = row.index(label)
            return 0 if x < first else 1 if x < second else 2

        assert [side_of(f"S{n} ") for n in (1, 2, 3, 4, 5)] == [0, 0, 1, 1, 2]
        # The one-way cut S3→S4 shows its direction on the map: ✂ and one arrow (the cards'
        # own "✂→S4" aside), not ←✂→ as for a cut both ways.
        assert map_cut_marks(picture) == ["✂↓" if size[0] > 100 else "✂→"]


def map_cut_marks(picture: list[str]) -> list[str]:
    """The cut marks drawn on the map itself (not the cards' ✂→S4 words)."""
    import re

    return re.findall(r"[→↘↓↙←↖↑↗]?✂[→↘↓↙←↖↑↗](?!S)", "\n".join(picture))


@pytest.mark.parametrize("size", [(90, 28), (100, 28), (100, 29)], ids=str)
async def test_a_cut_between_touching_cards_still_shows_on_the_map(
    make_ui: Any, views: Any, size: tuple[int, int]
) -> None:
    """Cards stacked with no row between them leave no cell at the link's middle."""
    from tests.ui.test_keys import map_text, settle

    ui = make_ui(views.split())
    async with ui.app.run_test(size=size) as pilot:
        await settle(pilot)
        assert len(map_cut_marks(map_text(ui.app).splitlines())) == 1


def _logs_text(app: Any) -> str:
    from tests.ui.conftest import screen_text

    grid = app.screen_main.query_one("#logs")
    region = grid.content_region
    rows = screen_text(app).splitlines()[region.y : region.bottom]
    return "\n".join(row[region.x : region.right] for row in rows)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_logs_show_each_entry_s_data_when_it_fits(
    make_ui: Any, size: tuple[int, int]
) -> None:
    from tests.ui.test_keys import settle

    ui = make_ui()
    async with ui.app.run_test(size=size) as pilot:
        await settle(pilot)
        text = _logs_text(ui.app)
        rows = {line.split()[0].lstrip("▶"): line for line in text.splitlines()[1:]}
        assert "1 x=1" in rows["S1"] and "2 y=2" in rows["S1"]
        # Longer data is cut to the room there is, never the entries after it.
        assert ("3 k3=v3" if size[0] > 100 else "3 k3=…") in rows["S1"]
        assert "k3=" not in rows["S3"]  # S3's log ends at index 7
        assert "3 –" in rows["S2"]  # an entry without data (e.g. a new leader's) is a dash


async def test_the_logs_fall_back_to_terms_when_the_data_does_not_fit(
    make_ui: Any, views: Any
) -> None:
    import dataclasses

    from raftviz.core.raft.messages import Entry
    from tests.ui.test_keys import settle

    log = tuple(Entry(1 + i // 10, i + 1, f"key{i}=value{i}") for i in range(40))
    view = views.five()
    nodes = tuple(dataclasses.replace(n, log=log, last_index=40, commit=40) for n in view.nodes)
    ui = make_ui(dataclasses.replace(view, nodes=nodes))
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        text = _logs_text(ui.app)
        assert "=" not in text and " 4 " in text


def test_an_entry_s_data_is_shown_as_typed_but_cannot_drive_the_terminal() -> None:
    from raftviz.core.raft.messages import Entry
    from raftviz.widgets.log_grid import entry_data

    assert entry_data(Entry(1, 1, "[b]x[/b]=1")) == "[b]x[/b]=1"
    assert entry_data(Entry(1, 1, "a\x1b[2J\nb")) == "a?[2J?b"
    assert entry_data(Entry(1, 1, "")) == "–"


async def test_a_flight_waiting_for_its_disk_write_says_so() -> None:
    """A message whose Ready wrote to disk (`disk=`) leaves later than it was made: until
    then the table says it waits on the disk instead of showing 0% of a flight."""
    from textual.app import App, ComposeResult

    from raftviz.widgets.flight_table import FlightTable

    class Table(App[None]):
        def compose(self) -> ComposeResult:
            yield FlightTable()

    vote = Message(MsgType.MsgVoteResp, to=1, frm=2, term=1)
    flight = MessageSent(100, 1, 7, vote, sent_ms=140, deliver_ms=190)
    app = Table()
    async with app.run_test(size=(60, 5)) as pilot:
        table = app.query_one(FlightTable)
        table.update_flights([flight], now_ms=120)
        await pilot.pause()
        assert "▱▱▱▱▱ disk" in screen_text(app)
        table.update_flights([flight], now_ms=165)
        await pilot.pause()
        assert "▰▰▱▱▱  50%" in screen_text(app) and "disk" not in screen_text(app)


def test_a_timer_story_names_its_node_once() -> None:
    """The event log's node column says who decided and the sentence goes on from there: the
    timer's story used to open with a possessive ("S1 S1's election timer fired")."""
    from raftviz.core.script.executor import Executor
    from raftviz.core.script.parse import parse_script
    from raftviz.core.sim.story import Story

    script = "cluster nodes=3 auto-tick=false\nset-randomized-election-timeout 1 timeout=12\n"
    parsed = parse_script(script + "tick 1 count=12\n", "timer.raft")
    executor = Executor(parsed.cluster, stories=True)
    for located in parsed.commands:
        executor.run(located.command, located.line)
    story = next(e for e in executor.cluster.drain() if type(e) is Story and e.kind == "campaign")
    palette = Palette.from_variables(THEMES["raft-dark"].variables)
    line = format_event(story, palette).plain
    assert "WHY  S1 timed out: its election timer fired after 12 ticks" in line
    assert "S1 S1" not in line
