"""Pure translation between the OpenAI chat completions and Anthropic Messages dialects.

Requests, whole responses and streams, both ways. Nothing here does I/O; the
``translating`` wrappers drive these functions around a real upstream.
"""

from modelswap.providers.translate.common import (
    ANTHROPIC_STOP_TO_OPENAI,
    OPENAI_FINISH_TO_ANTHROPIC,
    TranslationError,
    anthropic_usage_to_openai,
    openai_usage_to_anthropic,
)
from modelswap.providers.translate.request_to_anthropic import DEFAULT_MAX_TOKENS, openai_request_to_anthropic
from modelswap.providers.translate.request_to_openai import anthropic_request_to_openai
from modelswap.providers.translate.responses import anthropic_response_to_openai, openai_response_to_anthropic
from modelswap.providers.translate.streams import AnthropicStreamToOpenAI, OpenAIStreamToAnthropic

__all__ = [
    "ANTHROPIC_STOP_TO_OPENAI",
    "DEFAULT_MAX_TOKENS",
    "OPENAI_FINISH_TO_ANTHROPIC",
    "AnthropicStreamToOpenAI",
    "OpenAIStreamToAnthropic",
    "TranslationError",
    "anthropic_request_to_openai",
    "anthropic_response_to_openai",
    "anthropic_usage_to_openai",
    "openai_request_to_anthropic",
    "openai_response_to_anthropic",
    "openai_usage_to_anthropic",
]
