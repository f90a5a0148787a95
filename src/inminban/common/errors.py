"""The one error type services raise for bad input, and the access errors selectors raise."""

from django.utils.translation import gettext


class DomainError(Exception):
    """Bad input for a use case: names the field and says why. Turned into a 4xx by the API and forms.

    `message` may be a template with `params` (`"at most %(days)d days"`): the template is what the catalogue
    translates, so a message that quotes a value can still be shown in Korean (`translated()`)."""

    def __init__(self, field: str, message: str, *, code: str = "invalid", params: dict | None = None):
        self.field = field
        self.template = message
        self.params = params or {}
        self.message = message % self.params if self.params else message
        self.code = code
        super().__init__(f"{field}: {self.message}")

    @property
    def fields(self) -> dict[str, list[str]]:
        return {self.field: [self.message]}

    def translated(self) -> str:
        """The message in the active language, when the catalogue has it (see web/service_messages.py)."""
        text = gettext(self.template)
        return text % self.params if self.params else text


class NotVisible(Exception):
    """The object does not exist or lies outside the actor's scope; both answer 404."""


class NotPermitted(Exception):
    """The actor can see the object but may not do this to it (e.g. an auditor writing); answers 403."""
