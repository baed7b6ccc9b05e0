"""The built-in router signals; importing this package registers each of them."""

from modelswap.routing.signals import verifier

__all__ = ["verifier"]
