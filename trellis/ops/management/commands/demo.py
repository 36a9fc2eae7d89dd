"""`trellis demo`: generate the fictional demo organisation (see trellis/ops/demo.py)."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from trellis.core.startup import ensure_secret_key_file
from trellis.ops.demo import (
    DEFAULT_SEED,
    DEFAULT_SIZE,
    DEMO_PASSWORD,
    ORG_NAME,
    DemoError,
    demo_generate,
    demo_people_exist,
)


class Command(BaseCommand):
    help = (
        "Generate a deterministic fictional organisation (people, departments, communities, "
        "activity) to try Trellis with. Refuses to touch a database that already holds people "
        "unless --reset or --if-empty is given."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--size",
            type=int,
            default=DEFAULT_SIZE,
            help=f"Number of people (default {DEFAULT_SIZE}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed: same seed, same organisation (default {DEFAULT_SEED}).",
        )
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--reset", action="store_true", help="Delete an existing demo organisation first."
        )
        group.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) if the database already holds people.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The quick start's first run: a key of this installation's own, kept in the data folder.
        if key_file := ensure_secret_key_file():
            self.stdout.write(f"Wrote a new secret key to {key_file}.")
        if options["if_empty"] and demo_people_exist():
            self.stdout.write("The database already holds people: demo organisation not created.")
            return
        try:
            result = demo_generate(
                size=options["size"], seed=options["seed"], reset=options["reset"]
            )
        except DemoError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Demo organisation {ORG_NAME} (seed {result.seed}): {result.people:,} people in "
            f"{result.departments} departments, {result.communities} communities "
            f"({result.private_communities} private), {result.memberships:,} memberships, "
            f"{result.sponsorships} sponsorships, {result.activities:,} activity rows, "
            f"{result.questions:,} questions with {result.answers:,} answers, "
            f"{result.resources:,} library resources; "
            f"generated in {result.seconds:.1f} s."
        )
        self.stdout.write(
            f"Log in as {result.admin_email} (org admin) with the password {DEMO_PASSWORD}, "
            f"or as any demo person, e.g. {result.sample_email}, with the same password."
        )
