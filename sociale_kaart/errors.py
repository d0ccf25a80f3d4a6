"""Errors that services raise and views translate."""


class ServiceError(Exception):
    """Base class of the errors services raise."""


class NotFound(ServiceError):
    """The thing asked for does not exist or is not public."""


class PermissionDenied(ServiceError):
    """The acting user may not do this."""


class ValidationError(ServiceError):
    """Input that passed the form but breaks a rule; names the field."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message
