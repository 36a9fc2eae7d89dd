"""What account secrets look like and how they are kept: API tokens start with a prefix, and
only a hash of a token or of an invitation link is stored."""

import hashlib

TOKEN_PREFIX = "trl_"  # noqa: S105 (a label, not a secret)


def hash_secret(raw: str) -> str:
    """The stored form of a secret. The secrets are long and random, so a plain SHA-256 is
    enough (no salt, no stretching): equal secrets are found by their equal hashes."""
    return hashlib.sha256(raw.encode()).hexdigest()
