"""Domain errors raised by services; views and the API turn them into responses."""


class ServiceError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class NotFound(ServiceError):
    status_code = 404


class Forbidden(ServiceError):
    status_code = 403


class Invalid(ServiceError):
    status_code = 400
