"""The last start hook: demo data (``data="demo"``) and scale records (``scale=N``)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..registry import on_start

if TYPE_CHECKING:
    from ..state import AppState

__all__: list[str] = []


@on_start
def _seed(state: AppState) -> None:
    from .. import demo

    began = time.perf_counter()
    if state.config.data == "demo":
        demo.seed(state)
    elif state.config.scale:
        demo.seed_scale(state, int(state.config.scale))
    state.extra["seed_seconds"] = time.perf_counter() - began
