"""docs/actions/ matches the catalog (regenerated in memory with the shared renderer)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

from tcxkit import catalog
from tcxkit.catalog.render import cli_options, example_body

ROOT = Path(__file__).resolve().parents[2]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "gen_action_docs", ROOT / "scripts" / "gen_action_docs.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_match_catalog() -> None:
    files = _generator().build_docs(catalog())
    docs = ROOT / "docs" / "actions"
    on_disk = {p.relative_to(docs).as_posix() for p in docs.rglob("*.md")}
    assert on_disk == set(files), "run scripts/gen_action_docs.py"
    stale = [rel for rel, text in files.items() if (docs / rel).read_text() != text]
    assert not stale, f"{len(stale)} stale pages, e.g. {stale[:3]}; run scripts/gen_action_docs.py"


def test_one_page_per_action() -> None:
    cat = catalog()
    files = _generator().build_docs(cat)
    assert sum(1 for rel in files if not rel.endswith("README.md")) == len(cat)


def test_body_examples_are_valid_for_their_patterns() -> None:
    """Examples never hold placeholders that break a pattern (dates, durations, GUIDs)."""
    cat = catalog()
    from tcxkit.validation import Checker

    problems = []
    for action in cat:
        body = example_body(action, cat)
        if body is None:
            continue
        checker = Checker(cat.schema_index)
        checker.check(json.loads(json.dumps(body)), action.body.schema, "body")  # type: ignore[union-attr]
        problems += [f"{action.id}: {p}" for p in checker.problems]
    assert not problems, problems[:10]


def test_option_names_are_unique_per_action() -> None:
    for action in catalog():
        flags = [o.flag for o in cli_options(action, catalog())]
        assert len(flags) == len(set(flags)), action.id
        assert all(re.fullmatch(r"--[a-z0-9-]+", f) for f in flags), action.id


def test_query_options_read_the_same_in_help_and_actions_show() -> None:
    """`3cx actions show` and `--help` take their words from the one table."""
    from click.testing import CliRunner

    from tcxkit.catalog.options import QUERY_OPTIONS
    from tcxkit.catalog.render import render_text
    from tcxkit.cli.lazy import action_command

    cat = catalog()
    page = render_text(cat.require("ListUser"), cat)
    result = CliRunner().invoke(action_command(cat, "ListUser"), ["--help"], terminal_width=400)
    assert result.exit_code == 0, result.output
    for option in QUERY_OPTIONS:
        assert option.help in page, option.name
        assert option.help in " ".join(result.output.split()), option.name
