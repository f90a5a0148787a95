"""The one error type services raise for bad input, and the access errors selectors raise."""


class DomainError(Exception):
    """Bad input for a use case: names the field and says why. Turned into a 4xx by the API and forms."""

    def __init__(self, field: str, message: str, *, code: str = "invalid"):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code

    @property
    def fields(self) -> dict[str, list[str]]:
        return {self.field: [self.message]}


class NotVisible(Exception):
    """The object does not exist or lies outside the actor's scope; both answer 404."""


class NotPermitted(Exception):
    """The actor can see the object but may not do this to it (e.g. an auditor writing); answers 403."""
