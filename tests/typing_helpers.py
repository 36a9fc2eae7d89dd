"""Types for the tests' own fixtures (pytest-django's are imported from pytest_django)."""

from collections.abc import Callable

from django.test import Client

from trellis.people.models import Person

ClientFor = Callable[[Person], Client]
"""conftest's `client_for`: a test client logged in as the persona given."""
