"""A PBX row in a file's form shares nothing mutable with the row (no deep copy needed)."""

from __future__ import annotations

from tcxkit.state.managed import get_type
from tcxkit.state.shape import to_file


def test_to_file_result_shares_no_container_with_the_row() -> None:
    kind = get_type("users")
    row = {
        "Id": 7,
        "Number": "100",
        "FirstName": "Ann",
        "Groups": [{"GroupId": 1, "Rights": {"RoleName": "users", "Tags": []}}],
        "ForwardingProfiles": [{"Id": 3, "Name": "Available", "AcceptMultipleCalls": True}],
        "Empty": {"Nested": {"Deeper": None}},
    }
    before = repr(row)
    body = to_file(kind, row, {"groups": {"DEFAULT": 1}}, secrets=True)
    assert "Empty" not in body  # pruned to nothing, in one pass
    for value in body.values():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    item.clear()
            value.clear()
        elif isinstance(value, dict):
            value.clear()
    assert repr(row) == before
