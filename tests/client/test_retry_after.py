"""``Retry-After`` is honoured, in seconds or as a date, and capped."""

from __future__ import annotations

import datetime as dt

from tcxkit import catalog

CAT = catalog("20.0.10")


def test_retry_after_is_honoured_in_seconds_and_capped() -> None:
    from tcxkit.retry import RetryPolicy

    policy = RetryPolicy()
    assert policy.delay(1, "2") == 2.0
    assert policy.delay(1, "0") == 0.0
    assert policy.delay(1, "100000") == 60.0
    assert policy.delay(1, "-3") >= 0.0
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    assert 25.0 <= policy.delay(1, later) <= 30.0
