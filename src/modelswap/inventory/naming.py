"""Which proposed workload a ``--name KEY=NAME`` means: by fingerprint, stable across runs.

A proposal's P-number (``P1``, ``P2``, …) is its rank by volume in one run's table, and the
ranking changes with the set of logs read; naming ``P1`` then writing to the migration file
could give the name to another prompt cluster than the one a person looked at. So a key is a
fingerprint, or a prefix of one (at least ``MIN_PREFIX`` hex digits, as the table prints them),
naming the proposal that gathers it; a P-number still works as a shortcut into the table of
the same run (the CLI refuses it when writing, see ``p_numbers``). Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from modelswap.config import SLUG
from modelswap.inventory.errors import InventoryError

MIN_PREFIX = 6
"""Fewest hex digits of a fingerprint that name a proposal (fingerprints have 12)."""

_P_NUMBER = re.compile(r"^[Pp]([1-9][0-9]*)$")
_HEX = re.compile(r"^[0-9a-f]+$")


class NamingError(InventoryError, ValueError):
    """A ``--name`` that names no proposal, several, or clashes with another name."""


def p_numbers(names: Mapping[str, str]) -> list[str]:
    """The keys of ``names`` that are P-numbers (positions in one run's table) rather than fingerprints."""
    return [key for key in names if _P_NUMBER.match(key.strip())]


def _listing(proposals: Sequence[Sequence[str]]) -> str:
    shown = [f"P{i} {fps[0]}" for i, fps in enumerate(proposals[:8], 1) if fps]
    more = f", … ({len(proposals)} in all)" if len(proposals) > 8 else ""
    return ", ".join(shown) + more if shown else "none"


def _by_fingerprint(key: str, proposals: Sequence[Sequence[str]], accepted: Mapping[str, str]) -> int:
    if len(key) < MIN_PREFIX or len(key) > 12 or not _HEX.match(key):
        raise NamingError(
            f"--name {key}=…: expected a fingerprint ({MIN_PREFIX} to 12 hex digits, as printed with each "
            f"proposal) or a P-number; proposals: {_listing(proposals)}"
        )
    hits = sorted({i for i, fps in enumerate(proposals) for fp in fps if fp.startswith(key)})
    if len(hits) == 1:
        return hits[0]
    if hits:
        which = ", ".join(f"P{i + 1} ({proposals[i][0]})" for i in hits)
        raise NamingError(
            f"--name {key}=…: fingerprint prefix {key} is in several proposals ({which}); give more digits"
        )
    done = sorted({name for fp, name in accepted.items() if fp.startswith(key)})
    if done:
        raise NamingError(f"--name {key}=…: fingerprint {key} is already accepted as {done[0]!r} in the migration file")
    raise NamingError(
        f"--name {key}=…: no proposed workload has a fingerprint starting with {key}; proposals: {_listing(proposals)}"
    )


def resolve_names(
    proposals: Sequence[Sequence[str]],
    names: Mapping[str, str],
    *,
    accepted: Mapping[str, str] | None = None,
    taken: set[str] | frozenset[str] = frozenset(),
) -> dict[int, str]:
    """Proposal index (0-based, in table order) → the name ``names`` gives it.

    ``proposals`` are the listed proposals' fingerprints, in table order; ``names`` maps a
    fingerprint (or prefix) or a P-number to a name; ``accepted`` are fingerprints already in the
    migration file and ``taken`` names already in use. Raises ``NamingError`` for a key that
    names no proposal or several, a name that is not a slug or is taken, or two names for one
    proposal.
    """
    accepted = accepted or {}
    chosen: dict[int, str] = {}
    for raw_key, raw_name in names.items():
        key, name = raw_key.strip().lower(), raw_name.strip()
        if not SLUG.match(name):
            raise NamingError(f"--name {raw_key}={raw_name}: a workload name is a lowercase slug like support-chat")
        numbered = _P_NUMBER.match(key.upper())
        if numbered:
            index = int(numbered.group(1)) - 1
            if index >= len(proposals):
                raise NamingError(
                    f"--name {raw_key}=…: {raw_key.upper()}, which is not a proposal (proposals: "
                    f"{', '.join(f'P{i}' for i in range(1, len(proposals) + 1)) or 'none'})"
                )
        else:
            index = _by_fingerprint(key, proposals, accepted)
        if chosen.get(index, name) != name:
            raise NamingError(
                f"P{index + 1} ({proposals[index][0]}) is given two names: {chosen[index]!r} and {name!r}"
            )
        chosen[index] = name
    clash = sorted(n for n in set(chosen.values()) if list(chosen.values()).count(n) > 1)
    if clash:
        raise NamingError(f"name {clash[0]!r} is given to more than one proposal; pick one per proposal")
    for index, name in chosen.items():
        if name in taken:
            raise NamingError(f"name {name!r} for P{index + 1} is already a workload; pick another")
    return chosen
