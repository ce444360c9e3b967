"""JSON request files: a malformed file names the file, line and column and quotes
the line, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from .conftest import Runner


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err and "unexpected error" not in err, err


def test_json_file_cut_short_names_file_line_and_column(run: Runner, dirs: dict[str, Path]) -> None:
    """An unclosed object at the end of a file used to crash with IndexError (exit 1)."""
    (dirs["work"] / "req.json").write_text('{\n  "DnNumbers": ["100",\n  "101"\n  ]\n')
    r = run("peers", "retreive-peers-by-numbers", "--peers-request", "@req.json")
    assert r.code == 2
    assert "3cx: malformed JSON: --peers-request (file req.json): " in r.err
    assert "at line 5, column 1." in r.err
    assert "(the text ends before the JSON value is complete)" in r.err
    assert "Hint: Fix the JSON in req.json at the line and column shown." in r.err
    _no_traceback(r.err)


def test_json_file_error_quotes_the_line(run: Runner, dirs: dict[str, Path]) -> None:
    (dirs["work"] / "req.json").write_text('{"DnNumbers": ["100",]}\n')
    r = run("peers", "retreive-peers-by-numbers", "--peers-request", "@req.json")
    assert r.code == 2
    assert "Expecting value at line 1, column 22." in r.err
    assert '    {"DnNumbers": ["100",]}\n' + " " * 25 + "^" in r.err
    assert "Quote the JSON for your shell" not in r.err  # that hint is for literals
