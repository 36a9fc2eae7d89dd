"""What a process checks before it serves anyone: a secret key nobody else knows."""

import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from trellis import settings as trellis_settings


def secret_key_is_placeholder() -> bool:
    return settings.SECRET_KEY == trellis_settings.INSECURE_SECRET_KEY


def require_secret_key() -> None:
    """Refuse to serve with the published placeholder key unless in DEBUG: with it anyone can
    sign a session, a password-reset or a one-click unsubscribe link."""
    if secret_key_is_placeholder() and not settings.DEBUG:
        raise ImproperlyConfigured(
            "Trellis will not start without a secret key: set TRELLIS_SECRET_KEY (50 random "
            f"characters or more), or run `trellis secret-key` to write one to "
            f"{settings.SECRET_KEY_FILE}. TRELLIS_DEBUG=true runs with an insecure "
            "placeholder on a development machine."
        )


def ensure_secret_key_file() -> Path | None:
    """Write a new random key to the key file unless a key is already configured; returns the
    file written, or None. Owner-readable only, created atomically (never half a key)."""
    if not secret_key_is_placeholder():
        return None
    path = Path(settings.SECRET_KEY_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    try:
        with path.open("x", encoding="utf-8") as handle:  # never overwrite an existing key
            path.chmod(0o600)
            handle.write(key + "\n")
    except FileExistsError:
        return None
    settings.SECRET_KEY = key
    return path
