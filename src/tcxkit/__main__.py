"""``python -m tcxkit``: the ``3cx`` command line."""

from .cli import main

if __name__ == "__main__":
    main()
