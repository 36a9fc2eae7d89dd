"""Which failures are worth trying again: the database or a mail server briefly away."""

import smtplib
import socket

from django.db import InterfaceError, OperationalError


class RetryLater(Exception):
    """Raised by a task that knows its failure will pass (a busy upstream, a lock)."""


def is_transient(error: BaseException) -> bool:
    """A locked or unreachable database, a dropped connection, a mail server that is down or
    answers 4xx: the same work succeeds later. A bug or bad data would fail again."""
    if isinstance(error, RetryLater | OperationalError | InterfaceError):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    return isinstance(error, ConnectionError | TimeoutError | socket.gaierror)
