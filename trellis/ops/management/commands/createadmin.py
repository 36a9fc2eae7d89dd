import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trellis.core.errors import Invalid
from trellis.core.text import clean_name
from trellis.people.models import Person
from trellis.search.models import DocKind
from trellis.search.services import documents_index_after_commit


class Command(BaseCommand):
    help = "Create an org admin, or make an existing person one (idempotent by email)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--password",
            default=None,
            help="Defaults to $TRELLIS_ADMIN_PASSWORD, else asks on the terminal.",
        )

    def handle(
        self, *args: Any, email: str, name: str, password: str | None, **options: Any
    ) -> None:
        email = email.strip().lower()
        if name:
            try:
                name = clean_name(name)
            except Invalid as error:
                message = " ".join([error.message, *error.field_errors.values()])
                raise CommandError(message) from error
        password = password or os.environ.get("TRELLIS_ADMIN_PASSWORD")
        person = Person.objects.filter(email=email).first()
        if password is None and (person is None or not person.has_usable_password()):
            if not os.isatty(0):
                raise CommandError("Give --password or set TRELLIS_ADMIN_PASSWORD.")
            password = getpass.getpass("Password: ")
        if person is None:
            person = Person.objects.create_superuser(
                email, password, name=name or email.split("@")[0].title()
            )
            verb = "created"
        else:
            person.is_org_admin = person.is_staff = person.is_superuser = True
            if name:
                person.name = name
            if password:
                person.set_password(password)
            person.save()
            verb = "updated"
        documents_index_after_commit(kind=DocKind.PERSON, ids=[person.pk])  # found by name
        self.stdout.write(f"Org admin {person.email} {verb}.")
