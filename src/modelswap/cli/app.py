"""Entry point: ``modelswap <command>``. Each command parses arguments and calls the library.

Start-up is kept light on purpose (``modelswap rollback`` is the command typed during an incident):
this module and the command modules import only typer, rich and the standard library at the top;
each command imports the library it needs when it runs. ``tests/cli/test_startup.py`` keeps it so.
"""

from __future__ import annotations

# Each command module registers itself on ``app``; importing them here makes them part of it.
# They are cheap to import: each defers the library it drives to the moment its command runs.
from modelswap.cli import (  # noqa: F401  (imported for their registrations)
    baseline_cmd,
    check_cmd,
    choose_cmd,
    demo_cmd,
    eval_cmd,
    gate_cmd,
    init_cmd,
    inventory_cmd,
    plan_cmd,
    redteam_cmd,
    review_cmd,
    rollout_cmd,
    route_cmd,
    serve_cmd,
    sim_cmd,
)
from modelswap.cli.root import app

__all__ = ["app", "main"]


def main() -> None:
    app(prog_name="modelswap")


if __name__ == "__main__":  # pragma: no cover
    main()
