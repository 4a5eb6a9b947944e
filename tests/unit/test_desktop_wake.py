"""Telling a wake from sleep by the wall clock, without a window."""

from __future__ import annotations

import pytest

from docshelf.desktop.wake import woke_up

TICK = 10.0
SLACK = 60.0


@pytest.mark.parametrize(
    ("elapsed", "woke"),
    [
        (10.0, False),  # on time
        (12.5, False),  # a busy machine delays a tick a little
        (TICK + SLACK, False),  # the edge is still no wake
        (TICK + SLACK + 0.1, True),
        (8 * 3600.0, True),  # a night asleep
        (-3600.0, False),  # the clock set back an hour is no wake
    ],
)
def test_a_tick_far_behind_the_wall_clock_means_the_machine_slept(
    elapsed: float, woke: bool
) -> None:
    start = 1_800_000_000.0
    assert woke_up(start, start + elapsed, TICK, SLACK) is woke


def test_the_slack_scales_with_the_timer() -> None:
    assert woke_up(0.0, 200.0, 120.0, 60.0) is True
    assert woke_up(0.0, 170.0, 120.0, 60.0) is False
