"""The `trellis` console script: Django's management commands plus Trellis' own.

`trellis serve`, `trellis demo`, `trellis import-people FILE.csv`, `trellis createadmin`,
`trellis scheduler`, `trellis migrate`, `trellis worker`, ...
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trellis.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "trellis"
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
