"""The hint hub's dispatch: who is hinted for which commits, the herd window, and the
streams it ends (with an in-memory commit reader)."""

from __future__ import annotations

import asyncio
from typing import Any

from docshelf.domain.accounts import Actor
from docshelf.server.hints.hub import (
    CLOSE,
    Batch,
    Bye,
    CommitAudience,
    Event,
    Hint,
    Hub,
    Stream,
    herd_window_ms,
)

ANNA = Actor(user_id="anna", login="anna")
BERT = Actor(user_id="bert", login="bert", groups=frozenset({"g1"}))


def template(use: list[str]) -> dict[str, Any]:
    facts = {"id": "t", "active": True, "status": "released", "use_rights": use}
    return {"kind": "template", "before": None, "after": {**facts, "change_rights": []}}


def drained(stream: Stream) -> list[Event]:
    events = []
    while not stream.queue.empty():
        events.append(stream.queue.get_nowait())
    return events


def batch(*commits: CommitAudience, enabled: bool = True) -> Batch:
    return Batch(commits=list(commits), hint_max_delay_ms=5000, hints_enabled=enabled)


def run(test: Any) -> None:
    async def main() -> None:
        hub = Hub(lambda _after: batch(), syncs_per_second=1)
        await hub.start(10)
        try:
            test(hub)
        finally:
            await hub.stop()

    asyncio.run(main())


def test_only_concerned_streams_are_hinted_with_the_newest_seq() -> None:
    def check(hub: Hub) -> None:
        anna, bert = Stream("d1", ANNA, 10), Stream("d2", BERT, 10)
        hub.register(anna)
        hub.register(bert)
        hub.dispatch(
            batch(
                CommitAudience(11, [template(["group:g1"])]),
                CommitAudience(12, [template(["user:anna", "group:g1"])]),
                CommitAudience(13, [template(["group:g1"])]),
            )
        )
        assert drained(anna) == [Hint(12, 5000)]
        assert drained(bert) == [Hint(13, 5000)]
        assert hub.last_hinted == (13, 2)

    run(check)


def test_the_window_grows_with_the_streams_woken() -> None:
    assert herd_window_ms(5000, 3, 100) == 5000
    assert herd_window_ms(5000, 10_000, 100) == 100_000
    assert herd_window_ms(0, 10**9, 100) == 10 * 60 * 1000

    def check(hub: Hub) -> None:
        streams = [Stream(f"d{i}", Actor(user_id=f"u{i}", login=f"u{i}"), 10) for i in range(8)]
        for stream in streams:
            hub.register(stream)
        hub.dispatch(batch(CommitAudience(11, None)))
        # 8 streams at 1 sync per second: 8 s.
        assert {e for s in streams for e in drained(s)} == {Hint(11, 8000)}

    run(check)


def test_a_newer_stream_of_a_device_replaces_the_older() -> None:
    def check(hub: Hub) -> None:
        old, new = Stream("d1", ANNA, 10), Stream("d1", ANNA, 10)
        hub.register(old)
        hub.register(new)
        assert hub.count == 1
        assert drained(old) == [CLOSE]

    run(check)


def test_a_stream_registered_late_hears_of_what_it_missed() -> None:
    def check(hub: Hub) -> None:
        hub.dispatch(batch(CommitAudience(11, [template(["user:anna"])])))
        late = Stream("d1", ANNA, 10)
        hub.register(late)
        assert drained(late) == [Hint(11, 5000)]
        other = Stream("d2", BERT, 10)
        hub.register(other)
        assert drained(other) == []
        assert other.seq == 11

    run(check)


def test_scope_changes_and_switching_off_end_every_stream() -> None:
    def check(hub: Hub) -> None:
        anna = Stream("d1", ANNA, 10)
        hub.register(anna)
        hub.dispatch(batch(CommitAudience(11, None, scope_changed=True)))
        assert drained(anna) == [Hint(11, 5000), Bye("scope", 5000)]
        assert hub.count == 0
        bert = Stream("d2", BERT, 11)
        hub.register(bert)
        hub.dispatch(batch(enabled=False))
        assert drained(bert) == [Bye("off")]

    run(check)


def test_a_scope_change_spreads_the_reconnections_like_the_syncs() -> None:
    def check(hub: Hub) -> None:
        hub.syncs_per_second = 10
        streams = [Stream(f"d{i}", ANNA, 10) for i in range(200)]
        for stream in streams:
            hub.register(stream)
        hub.dispatch(batch(CommitAudience(11, None, scope_changed=True)))
        # 200 streams at 10 per second: a 20 s window for the syncs and the reconnections.
        assert drained(streams[0]) == [Hint(11, 20_000), Bye("scope", 20_000)]

    run(check)


def test_heard_numbers_wake_the_dispatch_task() -> None:
    async def main() -> None:
        reads: list[int] = []

        def read(after: int) -> Batch:  # runs on a worker thread
            reads.append(after)
            return batch(CommitAudience(after + 1, None))

        hub = Hub(read)
        await hub.start(10)
        stream = Stream("d1", ANNA, 10)
        hub.register(stream)
        hub.heard(9)  # old news: nothing to read
        hub.heard(11)
        await asyncio.wait_for(stream.queue.get(), 30)
        await hub.stop()
        assert reads == [10]

    asyncio.run(main())
