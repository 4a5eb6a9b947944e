"""The client's sync scheduler (property 9), driven by a fake clock and seeded chance."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docshelf.client.scheduler import (
    BACKOFF_BASE_S,
    HINT_BACKOFF_CEILING_S,
    RETRY_AFTER_CEILING_S,
    SOON_MAX_S,
    SOON_MIN_S,
    Scheduler,
    SleepDetector,
    backoff_delay,
    bye_delay,
    hint_backoff_delay,
    interval_wait,
    start_delay,
)

MINUTE_MS = 60_000
INTERVAL_MS = 15 * MINUTE_MS
MAX_DELAY_MS = 5 * MINUTE_MS
SEEDS = range(200)


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make(seed: int = 0) -> tuple[Scheduler, FakeClock]:
    clock = FakeClock()
    return Scheduler(clock=clock, rnd=random.Random(seed)), clock


def started(seed: int = 0, interval_ms: int = INTERVAL_MS) -> tuple[Scheduler, FakeClock]:
    """A scheduler past its first sync, waiting one regular interval."""
    sched, clock = make(seed)
    sched.start(cache_empty=True, interval_ms=interval_ms, max_delay_ms=MAX_DELAY_MS)
    sched.on_success()
    return sched, clock


# --- the regular interval ----------------------------------------------------------------


def test_interval_wait_is_interval_minus_up_to_ten_percent_and_varies() -> None:
    waits = [interval_wait(INTERVAL_MS, random.Random(seed)) for seed in SEEDS]
    assert all(0.9 * 900 <= w <= 900 for w in waits)
    # Jitter must actually spread clients, not always shave the same amount.
    assert max(waits) - min(waits) > 0.05 * 900


@given(
    interval_ms=st.integers(min_value=MINUTE_MS, max_value=24 * 60 * MINUTE_MS),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_interval_wait_lies_within_bounds_for_any_interval_and_seed(
    interval_ms: int, seed: int
) -> None:
    wait = interval_wait(interval_ms, random.Random(seed))
    assert 0.9 * interval_ms / 1000 <= wait <= interval_ms / 1000


def test_interval_wait_accepts_a_plain_callable_as_random_source() -> None:
    assert interval_wait(INTERVAL_MS, lambda: 0.0) == 900.0
    assert interval_wait(INTERVAL_MS, lambda: 0.5) == pytest.approx(855.0)


def test_a_random_source_outside_zero_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        interval_wait(INTERVAL_MS, lambda: 1.0)


@pytest.mark.parametrize("interval_ms", [0, -1, float("nan"), float("inf")])
def test_an_interval_that_would_loop_or_never_fire_is_refused(interval_ms: float) -> None:
    with pytest.raises(ValueError):
        interval_wait(interval_ms, random.Random(0))
    sched, _ = make()
    with pytest.raises(ValueError):
        sched.start(cache_empty=False, interval_ms=interval_ms, max_delay_ms=0)


def test_after_a_success_the_next_sync_waits_one_jittered_interval() -> None:
    waits = set()
    for seed in SEEDS:
        sched, _ = started(seed)
        wait = sched.due_in()
        assert wait is not None and 810 <= wait <= 900
        waits.add(round(wait, 3))
    assert len(waits) > 100


def test_the_interval_runs_from_the_end_of_the_sync() -> None:
    sched, clock = make()
    sched.start(cache_empty=True, interval_ms=INTERVAL_MS, max_delay_ms=0)
    clock.advance(120)  # a slow sync
    sched.on_success()
    due_at = sched.next_due_at()
    assert due_at is not None and due_at - clock.now >= 810


# --- the first sync after start ----------------------------------------------------------


def test_first_sync_with_an_empty_cache_is_immediate() -> None:
    assert start_delay(MAX_DELAY_MS, cache_empty=True, rnd=random.Random(1)) == 0.0
    sched, _ = make()
    sched.start(cache_empty=True, interval_ms=INTERVAL_MS, max_delay_ms=MAX_DELAY_MS)
    assert sched.due_in() == 0.0


def test_first_sync_with_a_filled_cache_waits_up_to_the_maximum_and_varies() -> None:
    delays = set()
    for seed in SEEDS:
        sched, _ = make(seed)
        sched.start(cache_empty=False, interval_ms=INTERVAL_MS, max_delay_ms=MAX_DELAY_MS)
        delay = sched.due_in()
        assert delay is not None and 0 <= delay <= 300
        delays.add(round(delay, 3))
    assert len(delays) > 100
    assert max(delays) - min(delays) > 200  # spread over the whole range, not a corner


def test_a_zero_maximum_start_delay_means_at_once() -> None:
    assert start_delay(0, cache_empty=False, rnd=random.Random(3)) == 0.0
    sched, _ = make(3)
    sched.start(cache_empty=False, interval_ms=INTERVAL_MS, max_delay_ms=0)
    assert sched.due_in() == 0.0


def test_nothing_is_due_before_start() -> None:
    sched, _ = make()
    assert sched.due_in() is None and sched.next_due_at() is None
    with pytest.raises(RuntimeError):
        sched.on_success()


# --- settings arriving with a sync --------------------------------------------------------


def test_unchanged_settings_leave_the_plan_exactly_as_it_was() -> None:
    sched, clock = started(5)
    before = sched.next_due_at()
    clock.advance(100)
    sched.update_settings(INTERVAL_MS, MAX_DELAY_MS)
    assert sched.next_due_at() == before


def test_a_shorter_interval_moves_the_next_sync_earlier() -> None:
    sched, clock = started(5)
    before = sched.next_due_at()
    assert before is not None
    clock.advance(60)
    sched.update_settings(5 * MINUTE_MS, MAX_DELAY_MS)
    after = sched.next_due_at()
    assert after is not None and after < before
    assert 270 - 60 <= after - clock.now <= 300 - 60  # 5 min minus jitter, from the last sync


def test_a_shorter_interval_that_has_already_elapsed_makes_the_sync_due_now() -> None:
    sched, clock = started(5)
    clock.advance(10 * 60)
    sched.update_settings(5 * MINUTE_MS, MAX_DELAY_MS)
    assert sched.due_in() == 0.0


def test_a_longer_interval_never_postpones_a_due_sync() -> None:
    sched, clock = started(5)
    clock.advance(901)
    assert sched.due_in() == 0.0
    due_at = sched.next_due_at()
    sched.update_settings(60 * MINUTE_MS, MAX_DELAY_MS)
    assert sched.due_in() == 0.0
    assert sched.next_due_at() == due_at


def test_a_longer_interval_applies_at_once_to_a_sync_not_yet_due() -> None:
    sched, clock = started(5)
    before = sched.next_due_at()
    assert before is not None
    sched.update_settings(60 * MINUTE_MS, MAX_DELAY_MS)
    after = sched.next_due_at()
    assert after is not None and after > before
    assert 0.9 * 3600 <= after - clock.now <= 3600


def test_a_shorter_start_delay_moves_the_first_sync_earlier() -> None:
    sched, _ = make(11)
    sched.start(cache_empty=False, interval_ms=INTERVAL_MS, max_delay_ms=60 * MINUTE_MS)
    before = sched.due_in()
    assert before is not None and before > 60
    sched.update_settings(INTERVAL_MS, MINUTE_MS)
    after = sched.due_in()
    assert after is not None and after < before and after <= 60


# --- failures and backoff -----------------------------------------------------------------


def test_backoff_grows_with_each_failure_in_equal_jitter_windows() -> None:
    for failures, window in [(1, 30), (2, 60), (3, 120), (4, 240), (5, 480)]:
        for seed in SEEDS:
            delay = backoff_delay(failures, INTERVAL_MS, random.Random(seed))
            assert window / 2 <= delay <= window, (failures, seed, delay)


def test_backoff_is_capped_at_the_interval() -> None:
    for failures in (6, 10, 50, 10_000):
        for seed in range(20):
            delay = backoff_delay(failures, INTERVAL_MS, random.Random(seed))
            assert 450 <= delay <= 900


def test_backoff_is_jittered() -> None:
    delays = {round(backoff_delay(3, INTERVAL_MS, random.Random(seed)), 3) for seed in SEEDS}
    assert len(delays) > 100


@given(
    failures=st.integers(min_value=1, max_value=100),
    retry_after=st.floats(min_value=0, max_value=RETRY_AFTER_CEILING_S),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_backoff_never_undercuts_retry_after(failures: int, retry_after: float, seed: int) -> None:
    delay = backoff_delay(failures, INTERVAL_MS, random.Random(seed), retry_after_s=retry_after)
    assert delay >= retry_after
    assert delay <= max(retry_after, 900)


def test_backoff_needs_a_failure() -> None:
    with pytest.raises(ValueError):
        backoff_delay(0, INTERVAL_MS, random.Random(0))


def test_scheduler_backs_off_and_counts_failures() -> None:
    sched, clock = started(2)
    clock.advance(900)
    sched.on_failure()
    assert sched.failures == 1
    first = sched.due_in()
    assert first is not None and BACKOFF_BASE_S / 2 <= first <= BACKOFF_BASE_S
    clock.advance(first)
    sched.on_failure()
    assert sched.failures == 2
    second = sched.due_in()
    assert second is not None and 30 <= second <= 60


def test_scheduler_honours_retry_after_as_a_lower_bound() -> None:
    sched, clock = started(2)
    clock.advance(900)
    sched.on_failure(retry_after_s=600)
    wait = sched.due_in()
    assert wait is not None and wait >= 600
    # Neither a wake-up nor shorter settings may pull the retry before the server's time.
    sched.on_network_back()
    sched.update_settings(MINUTE_MS, MAX_DELAY_MS)
    wait = sched.due_in()
    assert wait is not None and wait >= 600


def test_an_absurd_retry_after_is_capped_at_a_day() -> None:
    sched, _ = started(2)
    sched.on_failure(retry_after_s=10**9)
    wait = sched.due_in()
    assert wait is not None and wait <= RETRY_AFTER_CEILING_S


def test_success_resets_the_failure_count_and_returns_to_the_interval() -> None:
    sched, _ = started(4)
    for _ in range(5):
        sched.on_failure(retry_after_s=3000)
    assert sched.failures == 5
    sched.on_success()
    assert sched.failures == 0
    wait = sched.due_in()
    assert wait is not None and 810 <= wait <= 900  # the old Retry-After no longer applies
    sched.on_failure()
    first = sched.due_in()
    assert first is not None and first <= 30  # backoff starts over


# --- pause and resume ---------------------------------------------------------------------


def test_a_paused_scheduler_is_never_due() -> None:
    sched, clock = started(6)
    sched.pause()
    assert sched.paused
    for _ in range(10):
        clock.advance(3600)
        assert sched.due_in() is None
        assert sched.next_due_at() is None
    assert sched.due_in() is None


def test_wake_or_network_back_during_a_pause_plans_nothing() -> None:
    sched, clock = started(6)
    planned = sched.planned_at()
    sched.pause()
    clock.advance(10)
    sched.on_wake()
    sched.on_network_back()
    assert sched.due_in() is None
    sched.resume()
    assert sched.next_due_at() == planned  # no catch-up sync was waiting for the resume


def test_resume_makes_a_sync_missed_during_the_pause_due_at_once() -> None:
    sched, clock = started(6)
    planned = sched.next_due_at()
    sched.pause()
    clock.advance(2 * 3600)
    sched.resume()
    assert not sched.paused
    assert sched.due_in() == 0.0
    assert sched.next_due_at() == planned


def test_resume_before_the_plan_keeps_it() -> None:
    sched, clock = started(6)
    planned = sched.next_due_at()
    assert planned is not None
    sched.pause()
    clock.advance(60)
    sched.resume()
    assert sched.next_due_at() == planned
    assert sched.due_in() == pytest.approx(planned - clock.now)


# --- manual sync --------------------------------------------------------------------------


def test_a_manual_sync_leaves_the_plan_untouched() -> None:
    """A manual sync calls nothing on the scheduler except update_settings with what the
    server sent; neither its success nor its failure is reported (see Scheduler docs)."""
    sched, clock = started(8)
    sched.on_failure()
    planned, failures = sched.next_due_at(), sched.failures
    clock.advance(5)
    # ... the user clicks "Synchronisieren"; the sync runs and brings the same settings:
    sched.update_settings(INTERVAL_MS, MAX_DELAY_MS)
    clock.advance(3)
    assert sched.next_due_at() == planned
    assert sched.failures == failures


def test_a_manual_sync_during_a_pause_leaves_the_pause_and_the_plan() -> None:
    sched, clock = started(8)
    sched.pause()
    planned = sched.planned_at()
    clock.advance(30)
    sched.update_settings(INTERVAL_MS, MAX_DELAY_MS)
    assert sched.paused
    assert sched.due_in() is None
    assert sched.planned_at() == planned


def test_reporting_success_would_move_the_plan_which_is_why_manual_syncs_do_not() -> None:
    # Guards the documented contract: on_success reschedules, so it is for scheduled syncs.
    sched, clock = started(8)
    planned = sched.next_due_at()
    clock.advance(300)
    sched.on_success()
    assert sched.next_due_at() != planned


# --- wake from sleep and network return -------------------------------------------------


@pytest.mark.parametrize("event", ["on_wake", "on_network_back"])
def test_wake_or_network_back_makes_a_sync_due_within_seconds(event: str) -> None:
    waits = set()
    for seed in range(50):
        sched, _ = started(seed)
        getattr(sched, event)()
        wait = sched.due_in()
        assert wait is not None and SOON_MIN_S <= wait <= SOON_MAX_S
        waits.add(round(wait, 3))
    assert len(waits) > 10  # a small random spread, not everyone in the same second


def test_wake_never_postpones_a_sync_planned_even_sooner() -> None:
    sched, clock = started(9)
    clock.advance(899.5)
    planned = sched.next_due_at()
    sched.on_wake()
    assert sched.next_due_at() == planned


def test_the_catch_up_sync_is_followed_by_the_regular_interval() -> None:
    sched, clock = started(9)
    sched.on_wake()
    clock.advance(5)
    sched.on_success()
    wait = sched.due_in()
    assert wait is not None and 810 <= wait <= 900


# --- sleep detection ----------------------------------------------------------------------


def test_sleep_detector_sees_an_hour_long_jump_of_the_wall_clock() -> None:
    detector = SleepDetector(threshold_s=60)
    assert not detector.feed(monotonic=100.0, wall=1_700_000_000.0)
    assert detector.feed(monotonic=110.0, wall=1_700_003_610.0)
    assert not detector.feed(monotonic=120.0, wall=1_700_003_620.0)  # back to normal


def test_sleep_detector_ignores_drift_and_clocks_set_back() -> None:
    detector = SleepDetector(threshold_s=60)
    mono, wall = 0.0, 1_700_000_000.0
    assert not detector.feed(mono, wall)
    for step in range(1000):
        mono += 10.0
        wall += 10.0 + (0.5 if step % 2 else -0.3)  # NTP slewing, timer jitter
        assert not detector.feed(mono, wall)
    assert not detector.feed(mono + 10, wall - 3600)  # wall clock set back an hour


# --- change hints ----------------------------------------------------------------------------


class Fixed:
    """A random source that returns the numbers it was given, in order."""

    def __init__(self, *values: float) -> None:
        self.values = list(values)

    def __call__(self) -> float:
        return self.values.pop(0)


def test_hint_plans_a_sync_within_its_window() -> None:
    for seed in SEEDS:
        sched, _ = started(seed)
        assert sched.on_hint(5000)
        assert 0.0 <= sched.due_in() <= 5.0  # type: ignore[operator]


def test_hint_draws_the_delay_from_zero_to_max() -> None:
    clock = FakeClock()
    sched = Scheduler(clock=clock, rnd=Fixed(0.0, 0.0, 0.25))
    sched.start(cache_empty=True, interval_ms=INTERVAL_MS, max_delay_ms=MAX_DELAY_MS)
    sched.on_success()
    assert sched.on_hint(8000)
    assert sched.due_in() == pytest.approx(2.0)


def test_hints_coalesce_into_the_sync_planned_first() -> None:
    for seed in SEEDS:
        sched, clock = started(seed)
        sched.on_hint(5000)
        first = sched.next_due_at()
        for _ in range(20):
            clock.advance(0.01)
            sched.on_hint(5000)
            assert sched.next_due_at() <= first  # type: ignore[operator]
        # Whatever came last, one sync is planned, within the first hint's window.
        assert sched.next_due_at() <= first  # type: ignore[operator]


def test_hint_does_not_postpone_a_sooner_sync() -> None:
    sched, clock = started()
    clock.advance(INTERVAL_MS / 1000.0)  # the interval sync is due now
    assert not sched.on_hint(5000)
    assert sched.due_in() == 0.0


def test_after_the_hints_sync_the_interval_follows() -> None:
    for seed in SEEDS:
        sched, clock = started(seed)
        sched.on_hint(5000)
        clock.advance(sched.due_in())  # type: ignore[arg-type]
        sched.on_sync_started()
        sched.on_success()
        due = sched.due_in()
        assert INTERVAL_MS / 1000.0 * 0.9 <= due <= INTERVAL_MS / 1000.0  # type: ignore[operator]


def test_hint_during_a_sync_plans_one_more_sync_after_it() -> None:
    for seed in SEEDS:
        sched, clock = started(seed)
        clock.advance(INTERVAL_MS / 1000.0)
        sched.on_sync_started()
        # Several hints while the sync runs: one more sync, not one per hint.
        assert not sched.on_hint(5000)
        assert not sched.on_hint(5000)
        clock.advance(3.0)
        sched.on_success()
        assert 0.0 <= sched.due_in() <= 5.0  # type: ignore[operator]
        clock.advance(sched.due_in())  # type: ignore[arg-type]
        sched.on_sync_started()
        sched.on_success()
        # ... and then the interval again.
        assert sched.due_in() >= INTERVAL_MS / 1000.0 * 0.9  # type: ignore[operator]


def test_no_hint_during_a_sync_means_no_extra_sync() -> None:
    sched, clock = started()
    clock.advance(INTERVAL_MS / 1000.0)
    sched.on_sync_started()
    sched.on_success()
    assert sched.due_in() >= INTERVAL_MS / 1000.0 * 0.9  # type: ignore[operator]


def test_hint_during_a_failed_sync_leaves_the_backoff() -> None:
    sched, clock = started()
    clock.advance(INTERVAL_MS / 1000.0)
    sched.on_sync_started()
    sched.on_hint(5000)
    sched.on_failure(retry_after_s=120.0)
    assert sched.due_in() >= 120.0  # type: ignore[operator]


def test_hint_never_pulls_a_sync_before_retry_after() -> None:
    sched, clock = started()
    clock.advance(INTERVAL_MS / 1000.0)
    sched.on_failure(retry_after_s=600.0)
    sched.on_hint(5000)
    assert sched.due_in() >= 600.0  # type: ignore[operator]


def test_hint_before_start_plans_nothing() -> None:
    sched, _ = make()
    assert not sched.on_hint(5000)
    assert sched.due_in() is None


def test_hint_plan_survives_a_settings_update() -> None:
    sched, _ = started()
    sched.on_hint(5000)
    planned = sched.next_due_at()
    sched.update_settings(INTERVAL_MS * 2, MAX_DELAY_MS)
    assert sched.next_due_at() == planned


def test_hint_while_paused_is_due_on_resume() -> None:
    sched, clock = started()
    sched.pause()
    sched.on_hint(1000)
    assert sched.due_in() is None
    clock.advance(2.0)
    sched.resume()
    assert sched.due_in() == 0.0


def test_zero_max_delay_syncs_at_once() -> None:
    sched, _ = started()
    assert sched.on_hint(0)
    assert sched.due_in() == 0.0


@pytest.mark.parametrize("bad", [-1.0, math.inf, math.nan])
def test_hint_refuses_a_broken_window(bad: float) -> None:
    sched, _ = started()
    with pytest.raises(ValueError):
        sched.on_hint(bad)


# --- reconnecting the hint stream -------------------------------------------------------------


@given(st.integers(min_value=0, max_value=100), st.floats(min_value=0.0, max_value=0.999))
def test_hint_backoff_is_full_jitter_capped_at_five_minutes(failures: int, u: float) -> None:
    window = min(HINT_BACKOFF_CEILING_S, 2.0**failures)
    assert hint_backoff_delay(failures, lambda: u) == pytest.approx(window * u)


def test_hint_backoff_doubles_then_stops_at_the_ceiling() -> None:
    almost = 0.999999
    windows = [hint_backoff_delay(f, lambda: almost) / almost for f in range(12)]
    assert windows[:9] == pytest.approx([1, 2, 4, 8, 16, 32, 64, 128, 256])
    assert windows[9:] == pytest.approx([HINT_BACKOFF_CEILING_S] * 3)
    assert hint_backoff_delay(3, lambda: 0.0) == 0.0


def test_hint_backoff_refuses_negative_failures() -> None:
    with pytest.raises(ValueError):
        hint_backoff_delay(-1, random.Random(0))


def test_bye_delay_is_zero_to_reconnect_ms() -> None:
    assert bye_delay(1000, lambda: 0.5) == pytest.approx(0.5)
    assert bye_delay(0, lambda: 0.9) == 0.0
    for seed in SEEDS:
        assert 0.0 <= bye_delay(1000, random.Random(seed)) < 1.0
