"""Reads of petitions, scoped to the actor. No retaliation: which households signed a petition, and which opened it,
is readable only by officers of the offices it is or was addressed to, by auditors of an area covering it, and by
administrators. Unit leaders see the petitions of their unit with counts only (in all and per unit); residents see
the open petitions they may co-sign, their own petitions and the petitions their household signed, and whether
their household signed, never anyone else's identity."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from inminban.areas.access import AUDIT, VIEW, active_assignments, scope_for, subtree_q
from inminban.areas.models import Area, Office, Role
from inminban.common.errors import NotPermitted, NotVisible
from inminban.registry.models import Household

from .models import Escalation, Petition, PetitionResponse, Signature

OPEN = Petition.Status.OPEN
RECALL = Petition.Subject.RECALL
RELATED = ("office__area", "unit", "campaign", "levy", "directive")


def _ancestors(path: str) -> list[str]:
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[:length]) + "/" for length in range(1, len(parts) + 1)]


def officer_office_ids(actor) -> set[int]:
    if scope_for(actor).user_id is None:
        return set()
    return set(active_assignments(actor).filter(role=Role.OFFICER).values_list("office_id", flat=True))


def petitions_visible(*, actor) -> QuerySet[Petition]:
    """Petitions the actor may read (without signers): officers, leaders and auditors those opened in or addressed
    to their area; residents those addressed to an area containing their unit (a recall petition: of their unit),
    open to co-sign or answered, their household's own and those it signed."""
    scope = scope_for(actor)
    rows = Petition.objects.select_related(*RELATED)
    if scope.user_id is None:
        return rows.none()
    if scope.is_admin:
        return rows
    q = Q(pk__in=[])
    for prefix in scope.prefixes(VIEW):
        q |= subtree_q("unit__path", prefix) | subtree_q("office__area__path", prefix)
    if scope.household_ids:
        households = list(Household.objects.filter(pk__in=scope.household_ids).values_list("unit_id", "unit__path"))
        unit_ids = [unit_id for unit_id, _path in households]
        ancestors = sorted({ancestor for _id, path in households for ancestor in _ancestors(path)})
        q |= Q(household_id__in=scope.household_ids)
        q |= Q(pk__in=Signature.objects.filter(household_id__in=scope.household_ids).values("petition_id"))
        # Open or answered: what the office answered to the district is no secret to its residents.
        q |= Q(office__area__path__in=ancestors) & ~Q(subject=RECALL)
        q |= Q(subject=RECALL, unit_id__in=unit_ids)
    return rows.filter(q)


def petition_detail(*, actor, pk) -> Petition:
    try:
        return petitions_visible(actor=actor).get(pk=pk)
    except (Petition.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"petition {pk} not found") from None


def addressed_office_ids(petition: Petition) -> set[int]:
    """The offices the petition is or was addressed to."""
    offices = {petition.office_id}
    for from_id, to_id in Escalation.objects.filter(petition=petition).values_list("from_office_id", "to_office_id"):
        offices |= {from_id, to_id}
    return offices


def may_see_signers(actor, petition: Petition) -> bool:
    """Officers of an office the petition is or was addressed to, auditors of an area covering its unit,
    administrators. Never a unit leader, never a resident (who sees only their own household's signature)."""
    scope = scope_for(actor)
    if scope.user_id is None:
        return False
    if scope.is_admin:
        return True
    if any(petition.unit.path.startswith(prefix) for prefix in scope.prefixes(AUDIT)):
        return True
    return bool(officer_office_ids(actor) & addressed_office_ids(petition))


def petition_signatures(*, actor, petition: Petition) -> QuerySet[Signature]:
    """Who signed (withdrawn signatures included, marked), oldest first: for those who may see signers only; anyone
    else is told the list is not there (404), as for any object outside their scope."""
    if not may_see_signers(actor, petition):
        raise NotVisible(f"signatures of petition {petition.pk} not found")
    return (
        Signature.objects.filter(petition=petition)
        .select_related("household", "unit", "household__head")
        .order_by("signed_at", "id")
    )


def own_signature(*, actor, petition: Petition) -> Signature | None:
    """The actor's household's signature in force on the petition, if any (residents only)."""
    scope = scope_for(actor)
    if not scope.household_ids:
        return None
    return Signature.objects.filter(
        petition=petition, household_id__in=scope.household_ids, withdrawn_at__isnull=True
    ).first()


def is_own(actor, petition: Petition) -> bool:
    """Whether the actor's household opened the petition."""
    return petition.household_id in scope_for(actor).household_ids


def may_see_unit_counts(actor) -> bool:
    """Counts per unit: for anyone but a resident acting as such (a resident sees the total)."""
    scope = scope_for(actor)
    return scope.is_admin or bool(scope.prefixes(VIEW))


def unit_counts(petition: Petition) -> list[tuple[Area, int]]:
    """Signatures in force per unit, largest first: counts only."""
    rows = (
        Signature.objects.filter(petition=petition, withdrawn_at__isnull=True)
        .values("unit_id")
        .annotate(count=Count("id"))
        .order_by("-count", "unit_id")
    )
    units = Area.objects.in_bulk([row["unit_id"] for row in rows])
    return [(units[row["unit_id"]], row["count"]) for row in rows]


def escalations_of(petition: Petition) -> QuerySet[Escalation]:
    return Escalation.objects.filter(petition=petition).select_related("from_office", "to_office").order_by("at", "id")


def is_overdue(petition: Petition, now: datetime | None = None) -> bool:
    return petition.status == OPEN and petition.due_at < (now or timezone.now())


def with_own_signature(queryset: QuerySet[Petition], actor) -> QuerySet[Petition]:
    """Annotates `signed_by_me`: whether the actor's household's signature is in force."""
    households = scope_for(actor).household_ids
    signed = Signature.objects.filter(petition=OuterRef("pk"), household_id__in=households, withdrawn_at__isnull=True)
    return queryset.annotate(signed_by_me=Exists(signed))


def petitions_to_sign(*, actor) -> QuerySet[Petition]:
    """The open petitions the actor's household may co-sign (or has signed), nearest deadline first."""
    scope = scope_for(actor)
    if not scope.household_ids:
        return Petition.objects.none()
    households = list(Household.objects.filter(pk__in=scope.household_ids).values_list("unit_id", "unit__path"))
    ancestors = sorted({ancestor for _id, path in households for ancestor in _ancestors(path)})
    q = (Q(office__area__path__in=ancestors) & ~Q(subject=RECALL)) | Q(
        subject=RECALL, unit_id__in=[unit_id for unit_id, _path in households]
    )
    return with_own_signature(petitions_visible(actor=actor).filter(q, status=OPEN), actor).order_by("due_at", "id")


def own_petitions(*, actor) -> QuerySet[Petition]:
    """The petitions the actor's household opened or signed, newest first."""
    scope = scope_for(actor)
    if not scope.household_ids:
        return Petition.objects.none()
    signed = Signature.objects.filter(household_id__in=scope.household_ids).values("petition_id")
    rows = petitions_visible(actor=actor).filter(Q(household_id__in=scope.household_ids) | Q(pk__in=signed))
    return with_own_signature(rows, actor).order_by("-opened_at", "-id")


def petition_queue(*, actor, status: str | None = OPEN) -> QuerySet[Petition]:
    """The petitions addressed to the actor's offices (an administrator: all), the nearest deadline first."""
    scope = scope_for(actor)
    rows = petitions_visible(actor=actor)
    if not scope.is_admin:
        rows = rows.filter(office_id__in=officer_office_ids(actor))
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("due_at", "id")


def may_read_groups(actor) -> bool:
    scope = scope_for(actor)
    return scope.is_admin or Role.OFFICER in scope.roles or bool(scope.prefixes(AUDIT))


@dataclass
class PetitionGroup:
    """Petitions that reached one office by escalation, about the same thing (one obligation, or one subject)."""

    office: Office
    subject: str
    obligation: object | None
    petitions: list[Petition] = field(default_factory=list)

    @property
    def signatures(self) -> int:
        return sum(petition.signature_count for petition in self.petitions)

    @property
    def districts(self) -> int:
        return len({petition.unit.parent_id for petition in self.petitions})

    @property
    def key(self) -> str:
        if self.obligation is not None:
            return f"{self.obligation._meta.model_name}:{self.obligation.pk}"
        return self.subject


def petition_groups(*, actor, status: str | None = OPEN) -> list[PetitionGroup]:
    """For a city office: the petitions escalated to it from its districts, grouped by obligation (a campaign,
    levy or directive) or else by subject, with their signatures across districts; most signatures first. Officers
    see their offices' groups, auditors those in their area, administrators all."""
    if not may_read_groups(actor):
        raise NotPermitted("petition groups are for offices and auditors")
    scope = scope_for(actor)
    rows = petitions_visible(actor=actor).exclude(subject=RECALL)
    if not scope.is_admin and not scope.prefixes(AUDIT):
        rows = rows.filter(office_id__in=officer_office_ids(actor))
    arrived = Escalation.objects.filter(petition=OuterRef("pk"), to_office=OuterRef("office"))
    rows = rows.filter(Exists(arrived))
    if status:
        rows = rows.filter(status=status)
    groups: dict[tuple, PetitionGroup] = {}
    for petition in rows.select_related("unit").order_by("office_id", "due_at", "id"):
        obligation = petition.campaign or petition.levy or petition.directive
        key = (petition.office_id, petition.subject, petition.campaign_id, petition.levy_id, petition.directive_id)
        group = groups.setdefault(key, PetitionGroup(petition.office, petition.subject, obligation))
        group.petitions.append(petition)
    return sorted(groups.values(), key=lambda group: (-group.signatures, group.key))


def response_of(petition: Petition) -> PetitionResponse | None:
    """The answer to a petition the caller has already read through `petition_detail`, if it was answered."""
    return PetitionResponse.objects.filter(petition=petition).select_related("office").first()
