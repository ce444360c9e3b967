"""A local 3CX PBX speaking XAPI over real HTTP, for tests, demos and offline work.

``running(EmulatorConfig(version="20.0.8"))`` starts one in a background
thread; ``python -m tcxkit.emulator`` serves one in the foreground.  Heavy
modules (Starlette, uvicorn) load only when an emulator is actually built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes
from .config import EmulatorConfig
from .limits import EdgeLimits

if TYPE_CHECKING:
    from .app import create_app
    from .server import RunningEmulator, run, running

__all__ = ["EdgeLimits", "EmulatorConfig", "RunningEmulator", "create_app", "run", "running"]

_LAZY = {"create_app": "app", "run": "server", "running": "server", "RunningEmulator": "server"}


__getattr__ = lazy_attributes(__name__, _LAZY)
