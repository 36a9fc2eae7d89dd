"""`trellis secret-key`: write a random secret key to the data folder if none is configured."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from trellis.core.startup import ensure_secret_key_file


class Command(BaseCommand):
    help = (
        "Write a random secret key to TRELLIS_DATA_DIR/secret_key (or TRELLIS_SECRET_KEY_FILE) "
        "unless TRELLIS_SECRET_KEY or that file already holds one. Every process on the machine "
        "reads it; on several machines, set TRELLIS_SECRET_KEY to the same value instead."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        written = ensure_secret_key_file()
        if written:
            self.stdout.write(f"Wrote a new secret key to {written} (readable by its owner only).")
        else:
            self.stdout.write(f"A secret key is already configured ({settings.SECRET_KEY_FILE}).")
