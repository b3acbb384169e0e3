"""Argon2id password hashing (argon2-cffi defaults: RFC 9106 low-memory profile) and the password policy.

The policy follows NIST SP 800-63B §3.1.1.2: a minimum length, a maximum that still lets the
password be typed into the sign-in form, and refusal of passwords that are commonly used or
derived from the account's own name. The common-password list ships with the code
(``data/common-passwords.txt``, source in its header) and is never fetched at run time.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 12
MAX_LENGTH = 128  # the sign-in form accepts this many characters
COMMON_PASSWORDS = Path(__file__).with_name("data") / "common-passwords.txt"
# A common word with digits or symbols around it ("password1234", "!!qwerty2024") is still that word.
_DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")
# A hash of a password nobody has, verified when the username is unknown so that a failed sign-in
# costs the same time whether or not the account exists.
DUMMY_HASH = _hasher.hash("riskdesk: no such account")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _is_common(lowered: str) -> bool:
    words = common_passwords()
    bare = _DECORATION.sub("", lowered)
    return lowered in words or (len(bare) >= 4 and bare in words)


def password_problem(password: str, username: str = "") -> str | None:
    """What is wrong with ``password`` for the account ``username`` (None when it may be used)."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    lowered = password.lower()
    if len(set(lowered)) < 4:
        return "repeats too few characters; choose a longer phrase of several words"
    if _is_common(lowered):
        return "is one of the most commonly used passwords; choose a phrase of several words"
    name = username.strip().lower()
    rest = lowered.replace(name, "") if len(name) >= 3 else lowered
    if len(rest) < MIN_LENGTH or _is_common(rest):
        return "is too close to the username; without it, at least 12 other characters are needed"
    return None
