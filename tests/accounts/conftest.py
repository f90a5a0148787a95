import pytest
from django.test import Client

from inminban.audit.models import AuditEntry

ATTACKER = "10.0.0.66"
ELSEWHERE = "10.0.0.77"


def log_in(username: str, password: str, address: str, client: Client | None = None):
    """A login from `address`; returns (client, response)."""
    client = client or Client()
    response = client.post("/login/", {"username": username, "password": password, "next": "/"}, REMOTE_ADDR=address)
    return client, response


def logged_in(client: Client) -> bool:
    return client.get("/", REMOTE_ADDR=ELSEWHERE).status_code == 302 and "_auth_user_id" in client.session


@pytest.fixture
def audit_actions():
    """The actions of the audit entries written since the fixture was set up."""
    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    return lambda: list(AuditEntry.objects.filter(seq__gt=last).order_by("seq").values_list("action", flat=True))


def field_error(html: str, field: str) -> bool:
    """Whether the page shows the error summary with a link to this form field, and the error at the field (the
    field template ties it to the input by id)."""
    import re

    name = rf"id_(\w+-)?{re.escape(field)}"
    return (
        "data-error-summary" in html
        and re.search(rf'href="#{name}"', html) is not None
        and re.search(rf'id="{name}[-_]errors?"', html) is not None
    )
