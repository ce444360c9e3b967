"""Hatchling build hook: the type stubs are generated when the wheel is built.

They are about 640 KB of text derived entirely from the catalog (see
scripts/gen_stubs.py), so they are not committed.  For a wheel they are written
into src/tcxkit/ (ignored by git) and force-included; an editable install
(``pip install -e .``) leaves them there only, where type checkers find them
through the install's path entry.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class StubsBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return  # the sdist ships the generator, not its output
        root = Path(self.root)
        spec = importlib.util.spec_from_file_location(
            "gen_stubs", root / "scripts" / "gen_stubs.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        written = module.write(root / "src" / "tcxkit")
        if version == "editable":
            return  # found next to the sources; copies in site-packages would shadow nothing
        for path in written:
            build_data["force_include"][str(path)] = f"tcxkit/{path.name}"
