"""``python -m modelswap`` is the ``modelswap`` command."""

from modelswap.cli.app import main

main()
