"""Requests and expected shapes shared by the client tests."""

from __future__ import annotations

from pydantic import BaseModel

ARITHMETIC = [{"role": "user", "content": "What is 17 * 23?"}]
ARITHMETIC_ANSWER = "391"
QUESTION = [{"role": "user", "content": "How do I export my projects?"}]
ORDER = [{"role": "user", "content": "Where is my order ORD-48213?"}]
ORDER_ID = "ORD-48213"
ORDER_RESULT = '{"order_id": "ORD-48213", "status": "shipped", "eta": "2026-03-02"}'


class Ticket(BaseModel):
    """A structured answer with nested shapes (a list, a boolean)."""

    category: str
    urgent: bool
    tags: list[str]


def lookup_order(order_id: str) -> str:
    """Look up an order by id."""
    return ORDER_RESULT if order_id == ORDER_ID else '{"error": "not found"}'
