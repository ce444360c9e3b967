"""The YAML examples of docs/state.md are state files tcxkit accepts."""

from __future__ import annotations

import re
from pathlib import Path

from tcxkit.state import load_document

DOC = Path(__file__).resolve().parents[2] / "docs" / "state.md"


def test_every_yaml_example_loads(tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert len(blocks) >= 4
    (tmp_path / "customers").mkdir()
    env = {"ACME_TRUNK_PASSWORD": "x", "ACME_100_PIN": "1"}
    for i, text in enumerate(blocks):
        first = text.splitlines()[0]
        name = (
            first[2:].strip() if first.startswith("# ") and first.endswith(".yaml") else f"{i}.yaml"
        )
        path = tmp_path / name
        path.write_text(text)
        if "extends:" not in text:
            assert load_document(path, env=env) is not None, name
    layered = load_document(tmp_path / "customers" / "acme.yaml", env=env)
    assert layered["office_hours"] == {
        "TimeZoneId": "Europe/London",
        "Hours": {"Type": "OfficeHours"},
    }
    assert set(layered) == {"parameters", "outbound_rules", "office_hours", "users"}


def test_every_kind_is_in_the_kinds_table_of_the_docs() -> None:
    from tcxkit.state import MANAGED_TYPES

    text = DOC.read_text()
    for kind in MANAGED_TYPES:
        assert f"| `{kind.name}` |" in text, kind.name
