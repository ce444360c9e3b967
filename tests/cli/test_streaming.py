"""``--all`` exports stream in every format, and secrets stay masked while they do.

The CLI tests run ``3cx`` against the emulator over real HTTP; the printer tests feed
the printer a generator and check, structurally, that rows are written before the
source is exhausted (constant memory), not how long anything takes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tcxkit.cli.output import Printer
from tcxkit.redaction import MASK

from .conftest import Runner

LIST = ("users", "list-user", "--all", "--page-size", "7", "--orderby", "Number")


def test_every_format_of_an_all_export_has_every_row_with_secrets_masked(run: Runner) -> None:
    lines = run(*LIST, "-o", "jsonl")
    assert lines.code == 0, lines.err
    rows = lines.lines()
    assert len(rows) >= 20  # several pages of 7
    secrets = [r[k] for r in rows for k in ("AuthPassword", "VMPIN") if r.get(k)]
    assert len(secrets) >= 20 and set(secrets) == {MASK}  # demo users have both

    array = run(*LIST, "-o", "json")
    assert array.code == 0, array.err
    assert array.json() == rows  # the incrementally written array is one valid document

    table = run(*LIST, "-o", "csv")
    parsed = list(csv.DictReader(io.StringIO(table.out)))
    assert [p["Number"] for p in parsed] == [r["Number"] for r in rows]
    assert {p["AuthPassword"] for p in parsed} - {""} == {MASK}

    shown = run(*LIST, "-o", "jsonl", "--show-secrets").lines()
    assert MASK not in {r.get("AuthPassword") for r in shown}


def test_json_with_count_streams_the_same_document(run: Runner) -> None:
    r = run("users", "list-user", "--top", "3", "--count", "--select", "Number,VMPIN")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["@odata.count"] >= 20 and len(doc["value"]) == 3
    assert {row["VMPIN"] for row in doc["value"]} == {MASK}


def test_a_table_longer_than_the_terminal_says_so_only_on_a_terminal(run: Runner) -> None:
    """Captured output is a pipe: no note (test_columns.py shows it on a terminal)."""
    r = run(*LIST, "-o", "table", "--select", "Number,FirstName", env={"LINES": "10"})
    assert r.code == 0, r.err
    assert len(r.out.splitlines()) > 10
    assert "do not fit" not in r.err
    short = run("users", "list-user", "--top", "3", "-o", "table", env={"LINES": "10"})
    assert short.code == 0 and "do not fit" not in short.err


# -- the printer: output leaves before the source is exhausted -------------------------


def _source(n: int, out: io.StringIO, seen: list[int]) -> Iterator[dict[str, Any]]:
    """Rows with a secret; records how much output existed when row 400 was asked for."""
    for i in range(n):
        if i == 400:
            seen.append(len(out.getvalue()))
        yield {
            "Id": i,
            "Number": str(1000 + i),
            "Nested": {"Pin": "pin-secret"},
            "Password": "pw-secret",
        }


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "table"])
@pytest.mark.parametrize("pretty", [False, True])
def test_printer_writes_rows_while_the_source_still_yields(fmt: str, pretty: bool) -> None:
    out = io.StringIO()
    seen: list[int] = []
    n = Printer(fmt=fmt, out=out, pretty=pretty).rows(_source(500, out, seen))
    assert n == 500
    assert seen and seen[0] > 0  # rows were written before the source finished
    text = out.getvalue()
    assert "secret" not in text
    if fmt == "json":
        doc = json.loads(text)
        assert len(doc) == 500 and doc[499]["Nested"] == {"Pin": MASK}
    elif fmt == "jsonl":
        assert len(text.splitlines()) == 500
    elif fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(text)))) == 500
    else:
        lines = text.splitlines()
        assert len(lines) == 501 and lines[0].split() == ["Id", "Number", "Password", "Nested"]
        assert lines[-1].split()[:2] == ["499", "1499"]


def test_table_rows_after_the_sample_keep_the_sample_widths() -> None:
    out = io.StringIO()
    rows = [{"Id": i, "Name": "x"} for i in range(250)] + [{"Id": 250, "Name": "y" * 30}]
    Printer(fmt="table", out=out, pretty=False).rows(iter(rows))
    last = out.getvalue().splitlines()[-1]
    assert last == "250  yy…y"  # cut to the column (as wide as "Name"), not misaligned
