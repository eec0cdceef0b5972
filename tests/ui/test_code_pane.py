"""The code pane (``C``): the steps of etcd/raft's code behind the latest decisions.

The pure parts (which stories make a moment, how chained paths are drawn) are checked on
hand-built stories; the key and step mode (``.``) against the real stack, as a user sees them.
"""

from __future__ import annotations

from rich.console import Console

from raftviz.core.raft.decision import Campaign, ElectionResult
from raftviz.core.sim.events import Narration
from raftviz.core.sim.story import Story
from raftviz.widgets.code_pane import CodePane, code_text, moment_stories
from raftviz.widgets.event_log import EventLog
from raftviz.widgets.palette import Palette
from tests.ui.conftest import screen_text
from tests.ui.test_keys_live import (
    SIZE,
    Stack,
    changed,
    make_stack,
    press_until,
    started,
    until,
)

WON = ("stepCandidate: poll", "VoteWon -> campaign(campaignElection)")


def story(seq: int, time_ms: int, node: int, path: tuple[str, ...] = ()) -> Story:
    won = ElectionResult(node, True, 2, True, (1, 2), (), (1, 2, 3), path=path)
    return Story(time_ms, seq, won)


def plain(stories: list[Story]) -> str:
    console = Console(width=80, color_system=None)
    with console.capture() as captured:
        console.print(code_text(stories, Palette.from_variables({})))
    return "\n".join(line.rstrip() for line in captured.get().splitlines())


def test_a_moment_is_the_latest_time_with_a_story_up_to_the_view() -> None:
    history = [
        story(1, 100, 1),
        story(2, 200, 1),
        story(3, 200, 2),
        Narration(300, 4, "said later"),
        story(5, 400, 3),
    ]
    assert [s.seq for s in moment_stories(history)] == [5]
    assert [s.seq for s in moment_stories(history, upto_seq=4)] == [2, 3]
    assert [s.seq for s in moment_stories(history, node=1)] == [2]
    assert moment_stories(history, node=4) == ()


def test_a_path_that_goes_on_from_the_one_above_shows_only_its_new_steps() -> None:
    campaign = Campaign(
        1, False, False, "pre-vote-won", "pre-candidate", 0, 1, 0, 0, (2, 3),
        path=(*WON, "campaign(campaignElection): becomeCandidate"),
    )  # fmt: skip
    text = plain([story(1, 0, 1, WON), Story(0, 2, campaign)])
    assert text.splitlines() == [
        "0.000s S1 election-result",
        "1 stepCandidate: poll",
        "2 VoteWon -> campaign(campaignElection)",
        "",
        "0.000s S1 campaign  steps 1-2 as above, then",
        "3 campaign(campaignElection): becomeCandidate",
    ]


def test_steps_are_text_never_markup() -> None:
    assert "[bold]x[/] y" in plain([story(1, 0, 1, ("[bold]x[/] y",))])


async def test_c_shows_the_code_of_each_step_as_it_happens() -> None:
    stack: Stack = make_stack()
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        pane = stack.app.screen_main.query_one(CodePane)
        assert not pane.display
        await pilot.press("C")
        await pilot.pause()
        assert pane.display and "No decision yet" in screen_text(stack.app)
        await press_until(pilot, stack, "e", lambda: bool(stack.cluster.flights), "a campaign")
        await until(pilot, stack, lambda: "S1 campaign" in screen_text(stack.app), "the pane")
        assert "hup(campaignPreElection)" in screen_text(stack.app)
        log = stack.app.screen_main.query_one(EventLog)
        # Step until a follower answers the pre-vote: the pane shows that step's decision.
        for _ in range(20):
            await press_until(pilot, stack, "full_stop", changed(stack, stack.cluster.view()), ".")
            await pilot.pause()
            latest = moment_stories(log.history)
            if latest[-1].kind == "vote":
                break
        voter = latest[-1].node
        await until(pilot, stack, lambda: f"S{voter} vote" in screen_text(stack.app), "the vote")
        shown = screen_text(stack.app)
        assert "Step: case MsgPreVote from 1" in shown
        assert "canVote true: r.Vote None and r.lead None" in shown
        assert "S1 campaign" not in shown  # an earlier moment's
        await pilot.press("C")
        await pilot.pause()
        assert not pane.display
