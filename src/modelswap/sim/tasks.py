"""Tasks the simulator knows the truth for, recognised from the request.

Each task gives the right answer and a plausibly wrong one (off-by-some number, wrong
label, a missing or altered field, a wrong tool argument). Which one a model gives is
decided elsewhere (``answers.py``) from the model's quality for the task's ``kind``.
Recognition and solving are pure functions of the conversation.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

import yaml

from modelswap.sim.conversation import Answer, Conversation


class Task(Protocol):
    """A recognised task: its quality kind, the right answer, and a wrong one."""

    @property
    def kind(self) -> str:
        """The quality kind (a key of ``ModelProfile.quality``)."""
        ...

    def right(self) -> Answer: ...

    def wrong(self, rng: random.Random) -> Answer: ...


@dataclass(frozen=True, slots=True)
class TaskData:
    """The parsed ``data/tasks.yaml``."""

    labels: tuple[str, ...]
    default_label: str
    rules: tuple[tuple[str, re.Pattern[str]], ...]
    order_tools: frozenset[str]
    order_param: str
    statuses: tuple[str, ...]
    weather_tools: frozenset[str]
    weather_param: str
    conditions: tuple[str, ...]
    cities: tuple[str, ...]
    city_pattern: re.Pattern[str]


@lru_cache(maxsize=1)
def task_data() -> TaskData:
    """Load the task ground truth once per process."""
    text = resources.files("modelswap.sim").joinpath("data/tasks.yaml").read_text(encoding="utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)
    triage, order, weather = raw["triage"], raw["tools"]["order"], raw["tools"]["weather"]
    rules = tuple((r["label"], _words_pattern(r["keywords"])) for r in triage["rules"])
    return TaskData(
        labels=tuple(triage["labels"]),
        default_label=triage["default"],
        rules=rules,
        order_tools=frozenset(order["names"]),
        order_param=order["default_param"],
        statuses=tuple(order["statuses"]),
        weather_tools=frozenset(weather["names"]),
        weather_param=weather["default_param"],
        conditions=tuple(weather["conditions"]),
        cities=tuple(weather["cities"]),
        city_pattern=_words_pattern(weather["cities"]),
    )


def _words_pattern(words: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


def _pick_other(rng: random.Random, options: tuple[str, ...], truth: str) -> str:
    others = [o for o in options if o != truth]
    return rng.choice(others) if others else truth


# --- arithmetic -------------------------------------------------------------------------

_ARITH = re.compile(
    r"\s*(?:what\s+is|what's|compute|calculate)\s+(-?\d+)\s*([-+*/×x])\s*(-?\d+)\s*[?.!]?\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """``What is A op B?`` → the exact result (integer, or a decimal for inexact division)."""

    value: Fraction
    kind: str = "arithmetic"

    def right(self) -> Answer:
        return Answer(text=format_number(self.value), kind=self.kind)

    def wrong(self, rng: random.Random) -> Answer:
        delta = rng.choice((-10, -2, -1, 1, 2, 10, 100))
        return Answer(text=format_number(self.value + delta), kind=self.kind)


def format_number(value: Fraction) -> str:
    """An integer as digits; anything else rounded to 4 decimals, trailing zeros dropped."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.4f}".rstrip("0").rstrip(".")


def evaluate(a: int, op: str, b: int) -> Fraction | None:
    """The exact result of ``a op b`` (``None`` for division by zero)."""
    if op == "+":
        return Fraction(a + b)
    if op == "-":
        return Fraction(a - b)
    if op in "*×x":
        return Fraction(a * b)
    return None if b == 0 else Fraction(a, b)


def recognise_arithmetic(conv: Conversation) -> Arithmetic | None:
    """An arithmetic question as the whole last user message."""
    match = _ARITH.fullmatch(conv.last_user_text())
    if match is None:
        return None
    value = evaluate(int(match[1]), match[2], int(match[3]))
    return None if value is None else Arithmetic(value)


# --- ticket triage ----------------------------------------------------------------------

_TICKET = re.compile(r"^\s*ticket\s*:", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Triage:
    """A support ticket → its label by the keyword rules in ``tasks.yaml``."""

    label: str
    labels: tuple[str, ...]
    kind: str = "triage"

    def right(self) -> Answer:
        return Answer(text=self.label, kind=self.kind)

    def wrong(self, rng: random.Random) -> Answer:
        return Answer(text=_pick_other(rng, self.labels, self.label), kind=self.kind)


def triage_label(ticket: str) -> str:
    """The true label of a ticket: the first rule with a keyword in it, else the default."""
    data = task_data()
    for label, pattern in data.rules:
        if pattern.search(ticket):
            return label
    return data.default_label


def recognise_triage(conv: Conversation) -> Triage | None:
    """A last user message containing a ``Ticket:`` line."""
    text = conv.last_user_text()
    match = _TICKET.search(text)
    if match is None:
        return None
    return Triage(triage_label(text[match.end() :]), task_data().labels)


# --- JSON extraction --------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_AMOUNT = re.compile(r"\$\s?(\d[\d,]*(?:\.\d+)?)|(\d[\d,]*(?:\.\d+)?)\s?(?:USD|dollars)\b")
_NAME = re.compile(r"\b([A-Z][a-z]+(?:[ '-][A-Z][a-z]+)+)\b")
_EXTRACT = re.compile(r"\bextract", re.IGNORECASE)
FIELDS: tuple[str, ...] = ("name", "email", "amount")


@dataclass(frozen=True, slots=True)
class Extraction:
    """A sentence → ``{"name", "email", "amount"}`` (``null`` for what it does not say)."""

    fields: tuple[tuple[str, Any], ...]
    kind: str = "extraction"
    hard: bool = False
    """No amount stated (the answer must say null), or one written with a thousands separator."""

    def right(self) -> Answer:
        return Answer(text=json.dumps(dict(self.fields)), kind=self.kind)

    def wrong(self, rng: random.Random) -> Answer:
        obj = dict(self.fields)
        present = [k for k, v in obj.items() if v is not None] or list(obj)
        key = rng.choice(present)
        flaw = rng.choice(("drop", "alter"))
        if flaw == "drop":
            del obj[key]
        else:
            obj[key] = _alter(key, obj[key], rng)
        return Answer(text=json.dumps(obj), kind=self.kind)

    def invalid(self, rng: random.Random) -> Answer:
        """A wrong answer that breaks the JSON shape: a field left out, or the amount written as text."""
        obj = dict(self.fields)
        if rng.random() < 0.5:
            del obj[rng.choice(list(obj))]
        else:
            amount = obj.get("amount")
            obj["amount"] = "unknown" if amount is None else f"about {amount} dollars"
        return Answer(text=json.dumps(obj), kind=self.kind)


def _alter(key: str, value: Any, rng: random.Random) -> Any:
    if value is None:
        return {"name": "Unknown", "email": "unknown@example.com", "amount": 0}[key]
    if key == "amount":
        return round(float(value) + rng.choice((-10, -1, 1, 5, 10)), 2)
    if key == "email":
        local, _, domain = str(value).partition("@")
        return f"{local}@{'mail.com' if domain != 'mail.com' else 'example.org'}"
    return str(value).split()[0]


def extract_fields(text: str) -> dict[str, Any]:
    """What a perfect extractor finds in ``text``: first name-like phrase, email and amount."""
    email = _EMAIL.search(text)
    amount = _AMOUNT.search(text)
    name = _NAME.search(text)
    amount_value: float | None = None
    if amount is not None:
        amount_value = float((amount[1] or amount[2]).replace(",", ""))
    return {
        "name": name[1] if name else None,
        "email": email[0] if email else None,
        "amount": amount_value,
    }


def recognise_extraction(conv: Conversation) -> Extraction | None:
    """An 'extract ...' instruction (system or user) over a text with something to extract."""
    text = conv.last_user_text()
    if not (_EXTRACT.search(conv.system) or _EXTRACT.search(text)):
        return None
    _, sep, body = text.partition("Text:")
    source = body if sep else text
    fields = extract_fields(source)
    if all(v is None for v in fields.values()):
        return None
    amount = _AMOUNT.search(source)
    hard = amount is None or "," in amount[0]
    return Extraction(tuple(fields.items()), hard=hard)
