"""The shared reference data the tests read: the Stack Exchange dumps (CC BY-SA).

They sit beside the repository, in ../shared/data/stackexchange/<site>-<year>/, or under the
folder that TRELLIS_SHARED_DATA names (the one holding stackexchange/). A test that needs them
skips, saying where it looked, when they are not there; in CI (CI=true) it fails instead, so a
CI run without the data cannot pass by skipping.
"""

import os
from pathlib import Path
from typing import NoReturn

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
KNOWN_DUMPS = ("conlang-meta-2020", "devops-meta-2017", "quantumcomputing-2018")


def shared_data() -> Path:
    override = os.environ.get("TRELLIS_SHARED_DATA")
    return Path(override) if override else REPOSITORY.parent / "shared" / "data"


def stackexchange_dumps() -> Path:
    """The folder holding one folder per dump (it may not exist)."""
    return shared_data() / "stackexchange"


def missing(what: Path) -> NoReturn:
    message = (
        f"{what} is not here: the shared data sits beside the repository "
        "(../shared/data/stackexchange) or where TRELLIS_SHARED_DATA points"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI must have it)", pytrace=False)
    pytest.skip(message)


def stackexchange_dump(name: str) -> Path:
    """A dump's folder, e.g. "quantumcomputing-2018"; skips (fails in CI) when it is missing."""
    path = stackexchange_dumps() / name
    if not path.is_dir():
        missing(path)
    return path


def dump_names() -> list[str]:
    """The dumps there are, for parametrizing; the known ones when there are none, so that
    each test still runs and says what is missing (instead of an empty parameter set)."""
    root = stackexchange_dumps()
    found = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    return found or list(KNOWN_DUMPS)
