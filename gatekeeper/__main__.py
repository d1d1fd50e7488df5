"""``python -m gatekeeper``: the same command as the ``gatekeeper`` console script."""

from gatekeeper.cli import main

if __name__ == "__main__":
    main()
