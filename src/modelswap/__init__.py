"""modelswap: take a production LLM workload from one model to another without breaking it."""

__version__ = "0.1.0"
