"""One-time ballot codes (测评码): made at random, read back forgivingly as typed, kept only as digests.

A code is 12 characters of Crockford's base 32 (no I, L, O or U: nothing to misread on paper), shown in three
groups of four — 60 random bits, so guessing one among millions issued is hopeless. Typed back, case, blanks and
hyphens do not matter, and I/L read as 1, O as 0. The database keeps the SHA-256 of the normalised code
(:func:`digest`), never the code itself: the slips are the only place it is written.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_codes(count: int) -> list[str]:
    """``count`` fresh codes, shown grouped (``ABCD-EFGH-JKMN``)."""
    out = []
    for _ in range(count):
        value = secrets.randbits(5 * LENGTH)
        chars = "".join(ALPHABET[(value >> (5 * k)) & 31] for k in range(LENGTH))
        out.append(f"{chars[:4]}-{chars[4:8]}-{chars[8:]}")
    return out


def normal(typed: str) -> str:
    """A code as typed, normalised: upper case, without blanks or hyphens, I/L → 1 and O → 0."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum()).translate(_READ_AS)


def well_formed(typed: str) -> bool:
    code = normal(typed)
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def digest(typed: str) -> str:
    """What the database keeps of a code: the SHA-256 of its normal form."""
    return hashlib.sha256(normal(typed).encode("ascii", "replace")).hexdigest()
