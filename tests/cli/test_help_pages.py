"""Help pages that fit a terminal: short helps not cut, long usage lines wrapped as
pasteable commands, result and argument forms described.
"""

from __future__ import annotations

from tcxkit import catalog

from .conftest import Runner


def test_root_help_short_helps_are_not_cut(bare: Runner) -> None:
    r = bare("--help")
    commands = r.out.split("\nCommands:\n")[1].split("\n\n")[0]
    assert "..." not in commands
    assert "actions     Find actions; `actions show ACTION` explains one." in commands


def test_long_usage_lines_wrap_as_pasteable_commands(bare: Runner) -> None:
    r = bare("actions", "show", "GetCallLogData")
    assert r.code == 0
    usage = r.out.split("\nUsage:\n")[1].split("\n\n")[0].splitlines()
    assert all(len(line) <= 100 for line in usage), usage
    assert usage[0].endswith(" \\") and usage[1].startswith("      --")
    shell = " ".join(line.strip().rstrip("\\").strip() for line in usage[:4])
    assert shell.startswith("3cx report-call-log-data get-call-log-data --period-from ")
    assert shell.endswith("--hide-pcalls false --top 10")  # a report example shows 10 rows
    assert len(catalog().require("GetCallLogData").params) + 1 == shell.count(" --")


def test_primitive_result_described_as_json(bare: Runner) -> None:
    r = bare("actions", "show", "HasDuplicatedEmail")
    assert 'Returns: boolean (JSON {"value": ...}); -o raw prints the bare value' in r.out
    assert "{'value'" not in r.out


def test_actions_show_argument_forms(bare: Runner) -> None:
    r = bare("actions", "show", "users", "get-user")
    assert r.code == 0 and r.out.startswith("GetUser  (Users, XAPI ")
    r = bare("actions", "show")
    assert r.code == 2
    assert (
        "`3cx actions show` takes one ACTION (got none), e.g. `3cx actions show ListUser`" in r.err
    )
    r = bare("actions", "show", "GetUser", "extra")
    assert r.code == 2
    assert "takes one ACTION (got 2: GetUser extra)" in r.err
