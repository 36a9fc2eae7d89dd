"""How an email address is kept: trimmed and lower-cased (sign-in matches it so), and checked."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from trellis.core.errors import Invalid


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise Invalid(
            f"'{raw}' is not an email address.", field_errors={"email": "Invalid email."}
        ) from error
    return email
