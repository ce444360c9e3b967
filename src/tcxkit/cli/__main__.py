"""``python -m tcxkit.cli``."""

from . import main

main()
