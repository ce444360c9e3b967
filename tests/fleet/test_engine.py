"""The one fleet engine (:class:`tcxkit.fleet.runner.Bounded`), its one sync bridge
(:mod:`tcxkit.fleet.bridge`) and its report (tests/test_one_core.py holds every other
module to them)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tcxkit import FleetFailure
from tcxkit.fleet import PbxTarget, SecretRef
from tcxkit.fleet.bridge import iterate, run_sync
from tcxkit.fleet.runner import NOT_SENT, Bounded

# -- the bridge --------------------------------------------------------------------------


def test_stopping_early_cancels_the_requests_in_flight() -> None:
    """The reader going away (Ctrl-C, `| head`) must not wait for slow PBXs."""
    cleaned: list[str] = []

    async def source() -> AsyncIterator[int]:
        try:
            yield 1
            await asyncio.Event().wait()  # a PBX that never answers
            yield 2
        finally:
            cleaned.append("closed")

    rows = iterate(source)
    assert next(rows) == 1
    rows.close()  # returns only once the worker thread has ended
    assert cleaned == ["closed"]


def test_iterate_passes_items_and_errors_through() -> None:
    async def source() -> AsyncIterator[int]:
        for i in range(3000):  # more than the queue holds
            yield i
        raise ValueError("boom")

    got: list[int] = []
    with pytest.raises(ValueError, match="boom"):
        got.extend(iterate(source))
    assert got == list(range(3000))


async def test_run_sync_works_where_an_event_loop_already_runs() -> None:
    """Why the bridge is a thread with its own loop: asyncio.run refuses in here."""

    async def work() -> str:
        return "done"

    assert run_sync(work) == "done"
    pending = work()
    with pytest.raises(RuntimeError, match="cannot be called from a running event loop"):
        asyncio.run(pending)
    pending.close()


# -- the engine ----------------------------------------------------------------------------


def _collect(
    jobs: list[Callable[[], Awaitable[Any]]], concurrency: int, **kw: Any
) -> list[tuple[int, Any, Any]]:
    async def outcomes() -> AsyncIterator[tuple[int, Any, Any]]:
        async for outcome in Bounded(concurrency).outcomes(jobs, **kw):
            yield outcome

    return list(iterate(outcomes))


def test_outcomes_come_in_submission_order_whatever_finishes_first() -> None:
    first_may_end = asyncio.Event()
    running: list[int] = []

    def job(i: int) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            running.append(i)
            if i == 1:
                await first_may_end.wait()  # the first ends last
            elif len(running) == 3:
                first_may_end.set()
            return i * 10

        return run

    got = _collect([job(i) for i in (1, 2, 3)], 3)
    assert got == [(1, 10, None), (2, 20, None), (3, 30, None)]


def test_after_the_first_failure_no_job_starts_but_running_ones_are_reported() -> None:
    """At most once: items mode's rule. Job 2 fails while job 1 runs; 1 is reported,
    3 and 4 (queued behind the gate) are never started."""
    started: list[int] = []
    failed = asyncio.Event()

    def job(i: int) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            started.append(i)
            if i == 1:
                await failed.wait()
                return 1
            failed.set()
            raise ValueError(f"item {i} refused")

        return run

    got = _collect([job(i) for i in (1, 2, 3, 4)], 2, window=4, stop_on_error=True)
    assert started == [1, 2]
    assert got[0] == (1, 1, None)
    assert got[1][0] == 2 and str(got[1][2]) == "item 2 refused"
    assert got[2:] == [(3, None, NOT_SENT), (4, None, NOT_SENT)]


def test_concurrency_below_one_is_refused() -> None:
    from tcxkit import UsageError

    with pytest.raises(UsageError, match="concurrency must be at least 1, got 0"):
        Bounded(0)


# -- the report ----------------------------------------------------------------------------


def test_run_sync_reports_rows_in_fleet_order_and_raises_for_failures(
    tcx_fleet: Any, dead_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tcxkit import Fleet

    monkeypatch.setenv("TCX_TEST_DOWN_SECRET", "whatever-key-1234")
    down = PbxTarget("down", dead_url, "nobody", SecretRef("env", "TCX_TEST_DOWN_SECRET"))
    fleet = Fleet([down, *tcx_fleet.targets[:2]], token_cache=tmp_path / "t", retries=0)

    async def count(_name: str, client: Any) -> int:
        return len((await client.call("ListUser", top=2))["value"])

    report = fleet.run_sync(count)
    assert [r.pbx for r in report.rows] == ["down", "pbx01", "pbx02"]
    assert report.values == {"pbx01": 2, "pbx02": 2}
    assert [r.pbx for r in report.failures] == ["down"]
    assert not report.ok
    with pytest.raises(FleetFailure) as info:
        report.raise_for_failures()
    assert str(info.value).startswith("1 of 3 PBXs failed (down: ")
    assert info.value.exit_code == 10


# -- per-PBX file names ----------------------------------------------------------------------


def test_pbx_placeholder_and_its_deprecated_alias_warning_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import warnings

    from tcxkit.fleet import files

    monkeypatch.setattr(files, "_warned", set())
    assert files.file_for("state/{pbx}.yaml", "acme") == "state/acme.yaml"
    assert files.names_each_pbx("state/{pbx}.yaml")
    assert not files.names_each_pbx("standard.yaml")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert files.file_for("c/{conn_id}.yaml", "threecx_a") == "c/threecx_a.yaml"
        assert files.file_for("c/{conn_id}.yaml", "threecx_b") == "c/threecx_b.yaml"
    assert [(w.category, str(w.message)) for w in caught] == [
        (
            FutureWarning,
            "{conn_id} in a per-PBX file name is deprecated; write {pbx} (same meaning): "
            "'c/{conn_id}.yaml'",
        )
    ]


def test_run_sync_closes_each_pbx_client_when_its_work_is_done(
    tcx_fleet: Any, tmp_path: Path
) -> None:
    """A big fleet must not hold every finished PBX's idle connections until the end
    (100 emulated PBXs hit the emulator's connection cap that way)."""
    from tcxkit import Fleet

    fleet = Fleet(tcx_fleet.targets, token_cache=tmp_path / "t", concurrency=1)
    seen: list[Any] = []

    async def work(_name: str, client: Any) -> list[bool]:
        closed_before = [c._http.is_closed for c in seen]
        seen.append(client)
        await client.call("ListUser", top=1)
        return closed_before

    report = fleet.run_sync(work)
    assert report.values == {"pbx01": [], "pbx02": [True], "pbx03": [True, True]}
