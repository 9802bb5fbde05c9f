"""Domain errors raised by services; views turn them into form errors or flashes."""


class DomainError(Exception):
    """A rule of the domain refused the action; ``message`` is already translated."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The actor may not do this."""


class NotFound(DomainError):
    """The thing does not exist (or the actor may not know it does)."""


class Conflict(DomainError):
    """The state changed under the actor (already used, already taken, …)."""


class InvalidToken(DomainError):
    """A link is unknown, used or expired."""
