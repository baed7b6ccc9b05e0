"""Model providers: the ``Upstream`` interface, OpenAI and Anthropic clients, translation, retries."""

from modelswap.providers.anthropic import AnthropicUpstream
from modelswap.providers.base import RETRYABLE, Dialect, ErrorKind, Json, Upstream, UpstreamError
from modelswap.providers.factory import ProviderKind, build_upstream
from modelswap.providers.http import HttpPool
from modelswap.providers.openai import OpenAIUpstream
from modelswap.providers.retry import Retrying, RetryPolicy, backoff_delay
from modelswap.providers.sse import SSEEvent, SSEParser, iter_sse, parse_sse
from modelswap.providers.translate import TranslationError
from modelswap.providers.translating import AnthropicOverOpenAI, OpenAIOverAnthropic

__all__ = [
    "RETRYABLE",
    "AnthropicOverOpenAI",
    "AnthropicUpstream",
    "Dialect",
    "ErrorKind",
    "HttpPool",
    "Json",
    "OpenAIOverAnthropic",
    "OpenAIUpstream",
    "ProviderKind",
    "RetryPolicy",
    "Retrying",
    "SSEEvent",
    "SSEParser",
    "TranslationError",
    "Upstream",
    "UpstreamError",
    "backoff_delay",
    "build_upstream",
    "iter_sse",
    "parse_sse",
]
