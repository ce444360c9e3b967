"""``python -m tcxkit.emulator --instances N``: the inventory on stdout, keys in a private
temporary directory that Ctrl-C removes."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

from tcxkit import Fleet
from tcxkit.fleet import parse_inventory


async def test_instances_print_an_inventory_that_works(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tcxkit.emulator", "--instances", "2", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None and proc.stdout is not None
        line = proc.stderr.readline()  # after the inventory was printed and flushed
        found = re.match(
            r"emulating 2 PBXs \(3CX [\d.]+\) at .*; inventory: (/\S+) \(keys in ", line
        )
        assert found, line
        inventory = Path(found.group(1))
        text = inventory.read_text()
        targets = parse_inventory(text, str(inventory))
        assert [(t.name, t.secret.source) for t in targets] == [
            ("pbx01", "file"),
            ("pbx02", "file"),
        ]
        assert all(Path(t.secret.ref).is_absolute() for t in targets)  # printed: usable anywhere
        async with Fleet(targets, token_cache=tmp_path / "t") as fleet:
            results = await fleet.call("ListUser", top=1)
        assert [r.ok for r in results] == [True, True]
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert out == text  # stdout is exactly the inventory, no key in it
    assert not inventory.parent.exists()  # Ctrl-C removed the keys
