"""Maintenance windows and waves, without a PBX (#25): the grammar, midnight, tags."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tcxkit.config.inventory import PbxTarget, SecretRef
from tcxkit.errors import ConfigurationError, UsageError
from tcxkit.updates import RolloutOptions, WindowError, parse_window, waves, windows_by_tag
from tcxkit.updates.window import next_start

SAT = datetime(2026, 12, 12)  # a Saturday


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("Sat 02:00-05:00", [SAT.replace(hour=2), SAT.replace(hour=4, minute=59)],
         [SAT.replace(hour=5), SAT.replace(hour=1, minute=59), SAT.replace(day=13, hour=3)]),
        ("Sat 23:00-02:00", [SAT.replace(hour=23), SAT.replace(day=13, hour=1, minute=59)],
         [SAT.replace(hour=1), SAT.replace(day=13, hour=2), SAT.replace(day=13, hour=23)]),
        ("Mon-Fri 22:00-24:00", [SAT.replace(day=11, hour=23, minute=59)],
         [SAT.replace(hour=22), SAT.replace(day=14, hour=21)]),
        ("Fri-Mon 01:00-02:00", [SAT.replace(day=14, hour=1), SAT.replace(day=11, hour=1)],
         [SAT.replace(day=15, hour=1)]),
        ("sat,SUN 00:00-01:00", [SAT, SAT.replace(day=13)], [SAT.replace(day=14)]),
        ("daily 03:00-04:00", [SAT.replace(day=d, hour=3) for d in range(7, 14)], []),
    ],
)  # fmt: skip
def test_a_window_holds_its_hours_and_no_others(
    text: str, inside: list[datetime], outside: list[datetime]
) -> None:
    window = parse_window(text)
    assert str(window) == text
    assert all(window.contains(t) for t in inside)
    assert not any(window.contains(t) for t in outside)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "not of the form DAYS HH:MM-HH:MM"),
        ("Sat", "not of the form DAYS HH:MM-HH:MM"),
        ("Sat 02:00 - 05:00", "not of the form DAYS HH:MM-HH:MM"),
        ("Saturday 02:00-05:00", "'Saturday' is not a day"),
        ("Sat-Xyz 02:00-05:00", "'Xyz' is not a day"),
        ("Sat 24:00-05:00", "24:00 is not a time of day"),
        ("Sat 02:60-05:00", "02:60 is not a time of day"),
        ("Sat 02:00-02:00", "it starts and ends at the same time"),
        ("Sat 02:00-05:00 " + "x" * 100, "not a short text"),
    ],
)
def test_an_unreadable_window_is_refused_with_the_fix(text: str, why: str) -> None:
    with pytest.raises(WindowError) as err:
        parse_window(text)
    assert why in err.value.message
    assert err.value.hint and "e.g. 'Sat 02:00-05:00'" in err.value.hint


def test_the_next_opening_is_in_the_pbx_zone() -> None:
    zone = ZoneInfo("Pacific/Honolulu")
    now = datetime(2026, 12, 12, 14, 0, tzinfo=ZoneInfo("UTC"))  # Sat 04:00 in Honolulu
    assert parse_window("Sat 02:00-05:00").contains(now.astimezone(zone))
    assert not parse_window("Sat 02:00-03:00").contains(now.astimezone(zone))
    opens = next_start(parse_window("Sat 02:00-03:00"), now, zone)
    assert (opens.isoformat(), opens.tzinfo) == ("2026-12-19T02:00:00-10:00", zone)


def _target(name: str, *tags: str) -> PbxTarget:
    return PbxTarget(name, "https://pbx.example", "id", SecretRef("env", "K"), tags=tags)


def test_inventory_windows_by_tag_fall_back_to_the_fleet_one() -> None:
    table = {"window": "Sun 02:00-05:00", "tags": {"eu": {"window": "Sat 01:00-04:00"}, "us": {}}}
    got = windows_by_tag([_target("a", "eu"), _target("b", "us"), _target("c")], table, "f.toml")
    assert {k: str(v) for k, v in got.items()} == {
        "a": "Sat 01:00-04:00", "b": "Sun 02:00-05:00", "c": "Sun 02:00-05:00",
    }  # fmt: skip
    assert windows_by_tag([_target("a")], None) == {"a": None}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"window": "weekends"}, "f.toml [updates]: Maintenance window 'weekends': not of the"),
        ({"windows": "Sat 01:00-02:00"}, "f.toml [updates]: unknown key(s) windows."),
        ({"tags": []}, "f.toml [updates.tags]: must be a table of tags."),
        ({"tags": {"eu": {"tags": {"us": {}}}}},
         "f.toml [updates.tags.eu]: unknown key(s) tags."),
        ({"tags": {"eu": {"window": "Sat 01:00-02:00"}, "us": {"window": "Sun 01:00-02:00"}}},
         "f.toml: PBX a is tagged eu and us, and both set a window."),
    ],
)  # fmt: skip
def test_a_bad_updates_table_names_the_file(table: dict, message: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        windows_by_tag([_target("a", "eu", "us")], table, "f.toml")
    assert message in err.value.message
    assert "[updates.tags.eu]" in str(err.value.hint)


def test_waves_cut_the_fleet_into_canary_and_batches() -> None:
    assert waves(list("abcde"), 1, 2) == [["a"], ["b", "c"], ["d", "e"]]
    assert waves(list("abc"), 0, 5) == [["a", "b", "c"]]
    assert waves(list("ab"), 5, 1) == [["a", "b"]]
    for canary, batch in ((-1, 2), (1, 0)):  # -1 would cut all but the last as "canary"
        with pytest.raises(UsageError) as err:
            waves(list("abc"), canary, batch)
        assert err.value.message == (
            f"canary must be 0 or more and batch 1 or more (got {canary}, {batch})."
        )


def test_rollout_options_refuse_what_cannot_run() -> None:
    with pytest.raises(UsageError) as err:
        RolloutOptions(batch=0)
    assert "batch 1 or more" in err.value.message
    with pytest.raises(UsageError) as err:
        RolloutOptions(checks=("no_such_check",))
    assert "no check named 'no_such_check'" in err.value.message
