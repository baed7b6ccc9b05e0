"""Byte views of a text that let the detectors find candidates with fast literal searches.

Python's ``re`` is quick only where a pattern starts with a literal (it then searches for
that literal in C); a pattern starting with a character class is tried at every position,
at tens of nanoseconds each. So every detector is anchored on a literal: either in the
text itself (``sk-``, ``@``, ``-----BEGIN``) or in a *class view*, a copy of the text with
each byte replaced by its class (``0`` for a digit, ``a`` for a letter ...), where a shape
such as "a separator then four digits" becomes the literal ``s0000``.

Every view has one byte per character of the text (non-ASCII characters become ``?``), so
a position found in a view is the same position in the text.
"""

from __future__ import annotations


def _table(classes: dict[bytes, bytes], default: bytes) -> bytes:
    table = bytearray(default * 256)
    for chars, cls in classes.items():
        for char in chars:
            table[char] = cls[0]
    return bytes(table)


_DIGITS = b"0123456789"
_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = b"abcdefghijklmnopqrstuvwxyz"

WORD_TABLE = _table({_DIGITS: b"0", _UPPER: b"A", _LOWER + b"_": b"a"}, b"s")
"""Digits → ``0``, capitals → ``A``, other word characters → ``a``, anything else → ``s``."""
BASE64_TABLE = _table({_DIGITS + _UPPER + _LOWER + b"+/": b"b"}, b" ")
"""The base64 alphabet → ``b``, anything else → space."""


class Views:
    """One text seen as bytes: as is, lower-cased, and through the class tables (each made on first use).

    (Plain attributes rather than ``functools.cached_property``, which takes a lock per access
    on Python 3.11: a body is a few hundred bytes, and every call counts.)
    """

    __slots__ = ("_base64", "_digits", "_lower", "_words", "ab")

    def __init__(self, text: str) -> None:
        self.ab = text.encode("ascii", "replace")
        """The text with every non-ASCII character as ``?`` (same length, same positions)."""
        self._lower = self._words = self._base64 = b""
        self._digits = -1

    @property
    def digits(self) -> int:
        """How many digits the text has (a card, phone number or IBAN has at least 9)."""
        if self._digits < 0:  # counting one byte is a fast C loop (deleting all others is not)
            self._digits = self.words.count(b"0")
        return self._digits

    @property
    def capitals(self) -> bool:
        """Whether the text has an ASCII capital letter."""
        return self.ab != self.lower

    @property
    def lower(self) -> bytes:
        """ASCII lower case, for case-insensitive literals (``Password``, ``BEARER``)."""
        if not self._lower:
            self._lower = self.ab.lower()
        return self._lower

    @property
    def words(self) -> bytes:
        """``WORD_TABLE`` classes, after two ``s``: the text's start counts as a separator."""
        if not self._words:
            self._words = b"ss" + self.ab.translate(WORD_TABLE)
        return self._words

    @property
    def base64(self) -> bytes:
        """``BASE64_TABLE`` classes, after one space."""
        if not self._base64:
            self._base64 = b" " + self.ab.translate(BASE64_TABLE)
        return self._base64
