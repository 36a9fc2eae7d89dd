"""Signed one-click unsubscribe links: they work without signing in and never expire."""

from django.core import signing

SALT = "trellis.notifications.unsubscribe"
WHAT = ("digest", "immediate")


def unsubscribe_token(person_id: int, what: str) -> str:
    return signing.dumps({"p": person_id, "w": what}, salt=SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if (
        not isinstance(data, dict)
        or data.get("w") not in WHAT
        or not isinstance(data.get("p"), int)
    ):
        return None
    return data["p"], data["w"]
