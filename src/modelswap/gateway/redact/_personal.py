"""Personal data: e-mail addresses, payment card numbers, phone numbers and IBANs.

Candidates come from literal searches (``@`` in the text; ``000s000``, ``00s00s00s00``,
``00000000`` and ``sAA00`` in the class view), so text without them costs one C scan per view. A number
is a card only if it passes the Luhn check, an IBAN only if it passes mod-97, and a phone
number needs a ``+``, a bracket or at least three digit groups, so order numbers, dates,
versions, IP addresses and hashes stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from modelswap.gateway.redact._views import Views

Span = tuple[int, int, str]

# the domain after an ``@``: up to 8 labels and a top-level domain of letters; ``?`` is any non-ASCII
_DOMAIN = re.compile(rb"@(?:[A-Za-z0-9?][A-Za-z0-9?\-]{0,62}+\.){1,8}[A-Za-z?]{2,63}+(?![A-Za-z0-9?\-])")
_LOCAL_REVERSED = re.compile(rb"[A-Za-z0-9._%+?'\-]{0,64}")  # a local part, read backwards from the @

# a card or phone number has two groups of three digits or more, four groups of two, or a long group
_NUMBER_NEEDLES = (b"000s000", b"00s00s00s00", b"s00000000")
_NUMBER = re.compile(
    rb"(?<![A-Za-z0-9_+])(?<![0-9][ .()/\-])(?<![A-Za-z_][\-/.])"  # not glued to a word or another number
    rb"\+?\(?[0-9][0-9 .()/\-]{7,28}[0-9]\)?"
    rb"(?![A-Za-z0-9_])(?![ .()/\-]?[0-9])"
)
_NUMBER_MAX = 40  # characters a _NUMBER match can span, and its look-ahead
_LONG_RUN = 256
_NOT_DIGITS = b" .()/-+"
_DIGIT_GROUP = re.compile(rb"[0-9]+")
_ISO_DATE = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_IPV4 = re.compile(rb"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_THOUSANDS = re.compile(rb"[0-9]{1,3}(?:[ .][0-9]{3})+")  # 8 000 000 000, 1.234.567.890

_IBAN = re.compile(rb"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}")
_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def personal_spans(views: Views) -> Iterator[Span]:
    """Where ``views``' text holds personal data: (start, end, ``[email]``/``[card]``/``[phone]``/``[iban]``)."""
    ab = views.ab
    if b"@" in ab and b"." in ab:
        yield from _emails(ab)
    if views.digits < 9:  # fewer than any card, phone number or IBAN has
        return
    words = views.words
    # "00s" first: a needle ending in "0" is slow to look for in a long run of digits
    needles = [n for n in _NUMBER_NEEDLES[:2] if n in words] if b"00s" in words else []
    needles += [n for n in _NUMBER_NEEDLES[2:] if n in words]
    if needles:
        yield from _numbers(views, needles)
    if b"sAA00" in words:
        yield from _ibans(views)


def _emails(ab: bytes) -> Iterator[Span]:
    for m in _DOMAIN.finditer(ab):
        at = m.start()
        local = _LOCAL_REVERSED.match(ab[max(0, at - 64) : at][::-1])
        if local is not None and local.end():
            yield at - local.end(), m.end(), "[email]"


def _numbers(views: Views, needles: list[bytes]) -> Iterator[Span]:
    """Each run of digits and separators (letters end a run) that holds one of ``needles``, once."""
    view, pos = views.words, 0
    hits = [view.find(needle) for needle in needles]
    letters = [view.find(b"a"), view.find(b"A")]  # the next letter of each kind: a run ends there
    while True:
        for k, needle in enumerate(needles):
            if 0 <= hits[k] < pos:
                hits[k] = view.find(needle, pos)
        live = [hit for hit in hits if hit >= 0]
        if not live:
            return
        hit = min(live)
        for k, letter in enumerate((b"a", b"A")):
            if 0 <= letters[k] < hit:
                letters[k] = view.find(letter, hit)
        start = max(pos, view.rfind(b"a", pos, hit) + 1, view.rfind(b"A", pos, hit) + 1)
        end = min([at for at in letters if at >= 0] or [len(view)])
        if view.count(b"0", start, end) >= 9:  # the fewest digits a phone number has
            yield from _numbers_in_run(views, max(0, start - 2), end - 2)  # the view has two more bytes
        pos = end


def _numbers_in_run(views: Views, start: int, end: int) -> Iterator[Span]:
    ab, view = views.ab, views.words
    stop = min(len(ab), end + 1)  # one more: the look-ahead sees the letter that ends the run
    starts = view.count(b"ss0", start + 2, end + 2)
    if end - start <= _LONG_RUN or starts > (end - start) // 64:
        matches = list(_NUMBER.finditer(ab, start, stop))
    else:  # a long run (a table of figures, a run of digits): try only where a number can start
        matches, last = [], start
        for at in [start - 1, *_find_all(view, b"ss0", start + 2, end + 2)]:
            for begin in (at + 1, at + 2):  # the second separator (a + or a bracket), or the digit
                if begin >= last:
                    m = _NUMBER.match(ab, begin, min(stop, begin + _NUMBER_MAX))
                    if m is not None:
                        matches.append(m)
                        last = m.end()
                        break
    for m in matches:
        label = _number_kind(m.group())
        if label is not None:
            yield m.start(), m.end(), label


def _find_all(view: bytes, needle: bytes, start: int, end: int) -> Iterator[int]:
    at = view.find(needle, start, end)
    while at >= 0:
        yield at - 2
        at = view.find(needle, at + 1, end)


def _number_kind(raw: bytes) -> str | None:
    digits = raw.translate(None, _NOT_DIGITS)
    groups = len(_DIGIT_GROUP.findall(raw))
    card_like = 13 <= len(digits) <= 19 and digits[:1] in (b"2", b"3", b"4", b"5", b"6")
    if card_like and not raw.translate(None, b"0123456789 -") and _luhn(digits):  # spaces or dashes only
        return "[card]"
    if not 9 <= len(digits) <= 15 or _ISO_DATE.match(raw) or _IPV4.fullmatch(raw) or _THOUSANDS.fullmatch(raw):
        return None
    if raw[:1] in (b"+", b"(") or groups >= 3:
        return "[phone]"
    return None


def _luhn(digits: bytes) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = char - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _ibans(views: Views) -> Iterator[Span]:
    ab, view = views.ab, views.words
    at = view.find(b"sAA00")
    while at >= 0:
        end = _iban_end(ab, at - 1)  # ``at`` in the view is the byte before the IBAN: ``at - 1`` in the text
        if end:
            yield at - 1, end, "[iban]"
        at = view.find(b"sAA00", max(at + 1, end + 2))


def _iban_end(ab: bytes, at: int) -> int:
    """Where the IBAN starting at ``at`` ends (0 if none): the longest prefix that passes mod-97."""
    m = _IBAN.match(ab, at)
    if m is None:
        return 0
    raw = m.group()
    ends = [len(raw)] if ab[m.end() : m.end() + 1] not in _ALNUM_BYTES else []
    ends += [k for k in range(len(raw) - 1, 14, -1) if raw[k] == 32]  # or it ends before a space
    for k in ends:
        compact = raw[:k].replace(b" ", b"")
        if 15 <= len(compact) <= 34 and _mod97(compact):
            return at + k
    return 0


_ALNUM_BYTES = frozenset(bytes([c]) for c in _ALNUM)


def _mod97(iban: bytes) -> bool:
    moved = (iban[4:] + iban[:4]).decode("ascii")
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1
