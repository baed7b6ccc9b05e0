"""The built-in router signals; importing this package registers each of them."""

from modelswap.routing.signals import classifier, logprobs, self_consistency, verifier

__all__ = ["classifier", "logprobs", "self_consistency", "verifier"]
