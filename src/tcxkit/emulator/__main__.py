"""``python -m tcxkit.emulator``: serve an emulated PBX in the foreground.

The command itself is :mod:`tcxkit.emulator.cli`, the same one ``3cx emulator`` runs.
"""

from __future__ import annotations

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
