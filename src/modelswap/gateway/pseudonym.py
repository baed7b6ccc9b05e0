"""What the store keeps instead of a user id: a keyed hash (HMAC-SHA256) under the store's secret.

An unkeyed hash of ``jane.doe@example.com`` can be recomputed by anyone who guesses the address;
an HMAC cannot without the secret, which lives in the store (``store_secrets``) and is read once
at gateway start. Every replica on one store uses the same secret, so one user gets one
pseudonym everywhere; two stores give unrelated pseudonyms. Routing does not use this: the
bucketing hash in ``routing.py`` is separate and is never stored.
"""

from __future__ import annotations

import hashlib
import hmac


def sticky_pseudonym(secret: bytes | None, sticky: str | None) -> str | None:
    """Hex HMAC-SHA256 of ``sticky`` under ``secret``, cut to 128 bits; ``None`` without either."""
    if not sticky or not secret:
        return None
    mac = hmac.new(secret, sticky.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return mac.hexdigest()[:32]
