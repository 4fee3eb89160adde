"""One-time ballot codes (测评码): made at random, read back forgivingly as typed, kept only as digests.

A code is 12 characters of Crockford's base 32 (no I, L, O or U: nothing to misread on paper), shown in three
groups of four — 60 random bits, so guessing one among millions issued is hopeless. Typed back, case, blanks and
hyphens do not matter, and I/L read as 1, O as 0. The database keeps the SHA-256 of the normalised code
(:func:`digest`), never the code itself: the slips are the only place it is written.
"""

from __future__ import annotations

import hashlib
import secrets

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


_SYMBOLS = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
_SHIFTS = (5 * np.arange(LENGTH)).astype(np.uint64)


def new_codes(count: int) -> tuple[list[str], list[str]]:
    """``count`` fresh codes, as shown (grouped, ``ABCD-EFGH-JKMN``), and their digests (:func:`digest`), made a
    million at a time from the operating system's randomness (``secrets``)."""
    raw = np.frombuffer(secrets.token_bytes(8 * count), dtype="<u8")
    symbols = _SYMBOLS[((raw[:, None] >> _SHIFTS) & np.uint64(31)).astype(np.intp)]  # (count, 12): 60 random bits
    plain = np.ascontiguousarray(symbols).view(f"S{LENGTH}").ravel()
    grouped = np.full((count, LENGTH + 2), ord("-"), dtype=np.uint8)
    grouped[:, 0:4], grouped[:, 5:9], grouped[:, 10:14] = symbols[:, 0:4], symbols[:, 4:8], symbols[:, 8:12]
    shown = grouped.view(f"S{LENGTH + 2}").ravel().astype(f"U{LENGTH + 2}").tolist()
    return shown, [hashlib.sha256(code).hexdigest() for code in plain.tolist()]


def normal(typed: str) -> str:
    """A code as typed, normalised: upper case, without blanks or hyphens, I/L → 1 and O → 0."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum()).translate(_READ_AS)


def well_formed(typed: str) -> bool:
    code = normal(typed)
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def digest(typed: str) -> str:
    """What the database keeps of a code: the SHA-256 of its normal form."""
    return hashlib.sha256(normal(typed).encode("ascii", "replace")).hexdigest()
