"""The store's errors: what a write cannot do (the XAPI layer turns them into 400/404)."""

from __future__ import annotations

__all__ = ["DuplicateKeyError", "EntityNotFoundError", "StoreError"]


class StoreError(Exception):
    """A write the store cannot perform (bad key, key change, ...)."""


class DuplicateKeyError(StoreError):
    """An insert used a key that already exists."""


class EntityNotFoundError(StoreError):
    """An update or replace named a key that does not exist."""
