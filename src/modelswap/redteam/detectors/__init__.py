"""The built-in detectors, one file each; importing this package registers them all."""

from modelswap.redteam.detectors import (  # noqa: F401  (each module registers its detector)
    active_html,
    canary,
    exfil_url,
    hijack_marker,
    refusal,
    secret,
    tool_args,
)
