"""``from tcxkit import Client`` stays lean: httpx's own command line is not loaded.

httpx imports ``httpx._main`` (click, rich, pygments) whenever those are installed, and
they are with the ``cli`` extra; tcxkit._httpx defers it.  Checked in a fresh process,
since this one has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
from tcxkit import Client
heavy = sorted({m.split('.')[0] for m in sys.modules} & {'click', 'rich', 'pygments'})
import httpx
print(json.dumps({'heavy': heavy, 'httpx': 'httpx' in sys.modules, 'client': Client.__name__}))
httpx.main(['--help'])
"""


def test_client_import_leaves_httpx_cli_unloaded_yet_httpx_main_still_works() -> None:
    import click  # noqa: F401 - the cli extra is installed here, so the check is real

    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    first, _, rest = proc.stdout.partition("\n")
    assert json.loads(first) == {"heavy": [], "httpx": True, "client": "Client"}
    # httpx's real command line loads on demand and prints its usage.
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in rest and "httpx" in rest
