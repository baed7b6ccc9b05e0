"""The built-in probe families, one file each; importing this package registers them all."""

from modelswap.redteam.families import (  # noqa: F401  (each module registers its family)
    direct_injection,
    extraction,
    indirect_injection,
    jailbreak,
    leakage,
    obfuscation,
    output_handling,
)
