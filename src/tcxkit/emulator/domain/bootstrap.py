"""The first start hook: repair the app's model of the release before any table opens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..registry import on_start
from .common import fix_set_types

if TYPE_CHECKING:
    from ..app import AppState

__all__: list[str] = []


@on_start
def _prepare(state: AppState) -> None:
    fix_set_types(state)
