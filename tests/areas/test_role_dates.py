"""A role assignment starts on an effective date like any other record: 1900 to at most the horizon ahead."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from inminban.areas import services
from inminban.areas.models import RoleAssignment
from inminban.audit.models import AuditEntry
from inminban.common.errors import DomainError


@pytest.mark.parametrize(
    ("since", "message"),
    [
        (date(9999, 12, 31), "The date is more than 365 days ahead; the latest date accepted today is {latest}."),
        (date(1899, 12, 31), "The date is before 1900."),
    ],
)
def test_a_role_dated_outside_the_policy_is_refused(since, message, cast, unit_a1):
    user = User.objects.create_user("new-leader")
    before = (RoleAssignment.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as error:
        services.role_assign(actor=cast["admin"], user=user, role="leader", area=unit_a1, since=since)
    latest = (timezone.localdate() + timedelta(days=365)).isoformat()
    assert (error.value.field, error.value.message) == ("since", message.format(latest=latest))
    assert (RoleAssignment.objects.count(), AuditEntry.objects.count()) == before
