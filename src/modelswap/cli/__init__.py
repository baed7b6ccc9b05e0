"""The ``modelswap`` command: thin commands over the library."""
