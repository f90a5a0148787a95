"""Petitions: a resident opens one to the office of their district, households of the addressed area co-sign it, and
it goes up a level when enough of the area's units signed (threshold) or when the office did not answer in time
(deadline). A response is published to every signer. A recall petition stays in its unit and opens a recall vote
once enough of the unit's households signed.

No retaliation: who signed (and who opened a petition) is written where only the addressed offices, auditors and
administrators read it. The audit entries of opening and signing carry no household id, so a household's history
page, which its unit leader may read, never says that it signed or opened a petition; they are scoped to the unit's
area, which only auditors and administrators read in the audit log (audit.selectors.audit_entries_visible)."""

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from inminban.areas.access import active_assignments, scope_for, subtree_q
from inminban.areas.models import Area, Office, Role
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.common.validators import text_value
from inminban.registry.models import Household

from .models import ConsentVote, Escalation, Petition, PetitionResponse, Signature
from .notifications import notify, users_of_households, users_of_office
from .rules import office_above, office_of_area, rules_for, sitting_leader

TITLE_MAX = 200
TEXT_MAX = 4000
RESPONSE_MAX = 4000
OFFICIAL_MAX = 150
DIGEST_DAYS = 3  # officers are told of open petitions due within this many days
OBLIGATION_FIELDS = ("campaign", "levy", "directive")

OPEN = Petition.Status.OPEN
RECALL = Petition.Subject.RECALL


# Small pieces --------------------------------------------------------------------------------------------------------


def petition_link(petition: Petition) -> str:
    return reverse("governance-petition", args=[petition.pk])


def ancestor_paths(path: str) -> list[str]:
    """'/KP/RG/HS/' -> ['/KP/RG/HS/', '/KP/RG/', '/KP/'] (the area itself first)."""
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[:length]) + "/" for length in range(len(parts), 0, -1)]


def resident_household(actor) -> Household | None:
    """The household the actor signs for: a resident's own (residents only; a leader's account acts as leader)."""
    scope = scope_for(actor)
    if not scope.household_ids:
        return None
    return Household.objects.select_related("unit").filter(pk=scope.household_ids[0]).first()


def _require_resident(actor) -> Household:
    scope = scope_for(actor)
    if scope.user_id is None:
        raise NotVisible("petitions not found")
    household = resident_household(actor)
    if household is None:
        raise NotPermitted("only a resident signs or opens a petition, for their household")
    return household


def _locked(petition: Petition) -> Petition:
    return (
        Petition.objects.select_for_update()
        .select_related("office__area", "unit", "household")
        .get(pk=petition.pk if isinstance(petition, Petition) else petition)
    )


def _visible(actor, petition: Petition) -> bool:
    from .petition_selectors import petitions_visible

    return petitions_visible(actor=actor).filter(pk=petition.pk).exists()


def may_respond(actor, petition: Petition) -> bool:
    """An officer of the petition's current office or of an office above it; an administrator. An office the
    petition was addressed to before it went up may still answer it: it may settle the matter (a district suspending
    its own levy answers the petitions about it, wherever they went)."""
    from .petition_selectors import addressed_office_ids

    scope = scope_for(actor)
    if scope.is_admin:
        return True
    if scope.user_id is None:
        return False
    offices = set(active_assignments(actor).filter(role=Role.OFFICER).values_list("office_id", flat=True))
    if offices & addressed_office_ids(petition):
        return True
    return Office.objects.filter(pk__in=offices, area__path__in=ancestor_paths(petition.office.area.path)).exists()


def responding_office(actor, petition: Petition) -> Office:
    """The office an answer is given in the name of: the actor's own office among those the petition is or was
    addressed to (the district answering after it went up answers as the district), else the actor's office above
    it (the city answering a district's petition, or settling it by suspending the duty), the nearest first; the
    petition's current office for an administrator without an office of their own."""
    from .petition_selectors import addressed_office_ids

    scope = scope_for(actor)
    if scope.user_id is None:
        return petition.office
    offices = set(active_assignments(actor).filter(role=Role.OFFICER).values_list("office_id", flat=True))
    if petition.office_id in offices:
        return petition.office
    mine = offices & addressed_office_ids(petition)
    if mine:
        return Office.objects.filter(pk__in=mine).order_by("-area__path").first()
    above = Office.objects.filter(pk__in=offices, area__path__in=ancestor_paths(petition.office.area.path))
    return above.order_by("-area__path").first() or petition.office


def signing_area(petition: Petition) -> Area:
    """Where households may sign: a recall petition's unit, otherwise the area of the office it is addressed to."""
    return petition.unit if petition.subject == RECALL else petition.office.area


def may_sign_in(petition: Petition, household: Household) -> bool:
    return household.unit.path.startswith(signing_area(petition).path)


def _signer_users(petition: Petition) -> set[int]:
    signed = Signature.objects.filter(petition=petition, withdrawn_at__isnull=True).values("household_id")
    return set(users_of_households(signed).values_list("user_id", flat=True))


def _obligation_visible(actor, name: str, obligation) -> bool:
    from inminban.duties import selectors as duties

    visible = {"campaign": duties.campaigns_visible, "levy": duties.levies_visible}.get(name, duties.directives_visible)
    return visible(actor=actor).filter(pk=obligation.pk).exists()


# For the suspension of a campaign or levy ----------------------------------------------------------------------------


def petitions_about(obligation) -> QuerySet[Petition]:
    """The open petitions naming this campaign or levy (any subject). A service-internal helper: no actor scoping."""
    field = "levy" if obligation._meta.model_name == "levy" else "campaign"
    return Petition.objects.filter(status=OPEN, **{field: obligation}).select_related("office__area", "unit")


# Responding ----------------------------------------------------------------------------------------------------------


@transaction.atomic
def petition_respond(*, actor: User, petition: Petition, outcome: str, text: str) -> PetitionResponse:
    """The addressed office (or an office above it) answers an open petition: accepted, partly accepted or rejected,
    with its reasons. The answer is published to every household that signed it."""
    petition = _locked(petition)
    if not may_respond(actor, petition):
        if _visible(actor, petition):
            raise NotPermitted("only the office the petition is addressed to, or one above it, answers it")
        raise NotVisible(f"petition {petition.pk} not found")
    if outcome not in PetitionResponse.Outcome.values:
        raise DomainError("outcome", gettext_noop("Choose accepted, partly accepted or rejected."))
    text = text_value("text", text, max_length=RESPONSE_MAX)
    if petition.status != OPEN:
        raise DomainError(
            "petition", gettext_noop("This petition is no longer open: it was already answered or closed.")
        )
    now = timezone.now()
    response = PetitionResponse(
        petition=petition,
        office=responding_office(actor, petition),
        outcome=outcome,
        text=text,
        responded_by=actor,
        responded_at=now,
    )
    response.full_clean()
    response.save()
    Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.ANSWERED)
    petition.status = Petition.Status.ANSWERED
    audit_record(
        actor=actor,
        action="petition.respond",
        target=petition,
        area=petition.unit,
        before={"status": OPEN, "title": petition.title},
        after={
            "status": petition.status,
            "title": petition.title,
            "office": response.office_id,
            "outcome": outcome,
            "response": text,
        },
    )
    notify(
        users=_signer_users(petition),
        kind="petition_response",
        params={"title": petition.title},
        link=petition_link(petition),
    )
    return response


# Opening -------------------------------------------------------------------------------------------------------------


def _obligation_named(subject: str, named: list[tuple[str, object]], actor) -> None:
    if subject == Petition.Subject.OBLIGATION:
        if len(named) != 1:
            raise DomainError(
                "campaign", gettext_noop("Choose the one campaign, levy or directive the petition is about.")
            )
        name, obligation = named[0]
        if not _obligation_visible(actor, name, obligation):
            raise DomainError(name, gettext_noop("Choose a campaign, levy or directive of your area."))
    elif named:
        raise DomainError(
            named[0][0], gettext_noop("Only a petition about an obligation names a campaign, levy or directive.")
        )


@transaction.atomic
def petition_open(
    *,
    actor: User,
    subject: str,
    title: str,
    text: str,
    campaign=None,
    levy=None,
    directive=None,
    official_name: str = "",
) -> Petition:
    """A resident opens a petition for their household, addressed to the office governing their district, and
    signs it at once. A recall petition needs a sitting leader and no recall already under way in the unit."""
    household = _require_resident(actor)
    unit = household.unit
    if subject not in Petition.Subject.values:
        raise DomainError("subject", gettext_noop("Choose what the petition is about."))
    title = text_value("title", title, max_length=TITLE_MAX)
    text = text_value("text", text, max_length=TEXT_MAX)
    official_name = text_value("official_name", official_name, max_length=OFFICIAL_MAX, required=False)
    named = [(name, obj) for name, obj in zip(OBLIGATION_FIELDS, (campaign, levy, directive), strict=True) if obj]
    _obligation_named(subject, named, actor)
    if subject == Petition.Subject.CONDUCT and not official_name:
        raise DomainError("official_name", gettext_noop("Name the official the petition is about."))
    if subject != Petition.Subject.CONDUCT and official_name:
        raise DomainError(
            "official_name", gettext_noop("Only a petition about an official's conduct names an official.")
        )
    if subject == RECALL:
        if sitting_leader(unit) is None:
            raise DomainError("subject", gettext_noop("Your unit has no sitting leader to recall."))
        under_way = Petition.objects.filter(unit=unit, subject=RECALL, status=OPEN).exists()
        if under_way or ConsentVote.objects.filter(unit=unit, kind="recall", status="open").exists():
            raise DomainError("subject", gettext_noop("A recall of your unit's leader is already under way."))
    office = office_of_area(unit)
    if office is None:
        raise DomainError("subject", gettext_noop("No office governs your area yet."))
    now = timezone.now()
    petition = Petition(
        subject=subject,
        title=title,
        text=text,
        campaign=campaign,
        levy=levy,
        directive=directive,
        official_name=official_name,
        unit=unit,
        household=household,
        opened_by=actor,
        opened_at=now,
        office=office,
        addressed_at=now,
        due_at=now + timedelta(days=rules_for(office).response_days),
    )
    petition.full_clean()
    petition.save()
    # No household_id: the household's history (which its unit leader reads) must not say that it opened a petition.
    audit_record(
        actor=actor,
        action="petition.open",
        target=petition,
        area=unit,
        after={
            "subject": subject,
            "title": title,
            "text": text,
            "campaign": getattr(campaign, "pk", None),
            "levy": getattr(levy, "pk", None),
            "directive": getattr(directive, "pk", None),
            "official_name": official_name,
            "household": household.pk,
            "office": office.pk,
            "due_at": petition.due_at,
            "due_on": timezone.localtime(petition.due_at).date(),
        },
    )
    _sign(actor=actor, petition=petition, household=household, now=now)
    petition.refresh_from_db()
    return petition


# Signing -------------------------------------------------------------------------------------------------------------


def _count_signatures(petition: Petition) -> int:
    count = Signature.objects.filter(petition=petition, withdrawn_at__isnull=True).count()
    Petition.objects.filter(pk=petition.pk).update(signature_count=count)
    petition.signature_count = count
    return count


def _sign(*, actor, petition: Petition, household: Household, now: datetime) -> Signature:
    signature = Signature.objects.create(
        petition=petition, household=household, unit=household.unit, signed_by=actor, signed_at=now
    )
    _count_signatures(petition)
    # No household_id, for the same reason as petition.open; the auditor reads the household in `after`.
    audit_record(
        actor=actor,
        action="petition.sign",
        target=signature,
        area=household.unit,
        after={"petition": petition.pk, "title": petition.title, "household": household.pk},
    )
    if petition.subject == RECALL:
        _recall_check(petition, now)
    else:
        _threshold_check(petition, now)
    return signature


@transaction.atomic
def petition_sign(*, actor: User, petition: Petition) -> Signature:
    """The actor's household co-signs an open petition of its area (a recall petition: of its unit); one
    signature per household."""
    household = _require_resident(actor)
    petition = _locked(petition)
    if not _visible(actor, petition):
        raise NotVisible(f"petition {petition.pk} not found")
    if not may_sign_in(petition, household):
        raise NotPermitted("only households of the area the petition is addressed to sign it")
    if petition.status != OPEN:
        raise DomainError("petition", gettext_noop("This petition is closed: it no longer takes signatures."))
    if Signature.objects.filter(petition=petition, household=household, withdrawn_at__isnull=True).exists():
        raise DomainError(
            "petition", gettext_noop("Your household has already signed this petition."), code="duplicate"
        )
    return _sign(actor=actor, petition=petition, household=household, now=timezone.now())


@transaction.atomic
def signature_withdraw(*, actor: User, petition: Petition) -> Signature:
    """The actor's household takes its signature back, while the petition is open."""
    household = _require_resident(actor)
    petition = _locked(petition)
    if not _visible(actor, petition):
        raise NotVisible(f"petition {petition.pk} not found")
    if petition.status != OPEN:
        raise DomainError(
            "petition", gettext_noop("The petition is closed: its signatures can no longer be withdrawn.")
        )
    signature = Signature.objects.filter(petition=petition, household=household, withdrawn_at__isnull=True).first()
    if signature is None:
        raise DomainError("petition", gettext_noop("Your household has not signed this petition."))
    signature.withdrawn_at = timezone.now()
    signature.save(update_fields=["withdrawn_at"])
    _count_signatures(petition)
    audit_record(
        actor=actor,
        action="petition.unsign",
        target=signature,
        area=signature.unit,
        after={"petition": petition.pk, "title": petition.title, "household": household.pk},
    )
    return signature


# Recall --------------------------------------------------------------------------------------------------------------


def _recall_check(petition: Petition, now: datetime) -> None:
    """Enough of the unit's households signed: the recall vote opens and the petition stops collecting."""
    households = Household.objects.filter(unit=petition.unit, dissolved_on__isnull=True).count()
    share = rules_for(petition.office).recall_signature_percent
    if not households or petition.signature_count * 100 < share * households:
        return
    from .votes import recall_vote_open

    try:
        with transaction.atomic():
            recall_vote_open(petition=petition)
    except DomainError:
        # Another vote is open in the unit: the petition keeps collecting, and a later signature opens the recall.
        return
    Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.ANSWERED)
    petition.status = Petition.Status.ANSWERED
    audit_record(
        actor=None,
        action="petition.recall_reached",
        target=petition,
        area=petition.unit,
        before={"status": OPEN, "title": petition.title},
        after={"status": petition.status, "title": petition.title, "signatures": petition.signature_count},
    )


# Escalation ----------------------------------------------------------------------------------------------------------


def units_signed(petition: Petition, area: Area) -> tuple[int, int]:
    """(units of `area` whose households signed, units of `area`): two COUNT queries."""
    units = Area.objects.filter(level__is_unit=True).filter(subtree_q("path", area.path)).count()
    signed = (
        Signature.objects.filter(petition=petition, withdrawn_at__isnull=True)
        .filter(subtree_q("unit__path", area.path))
        .aggregate(units=Count("unit", distinct=True))["units"]
    )
    return signed, units


def _threshold_reached(petition: Petition) -> bool:
    signed, units = units_signed(petition, petition.office.area)
    return units > 0 and signed * 100 >= rules_for(petition.office).escalation_percent * units


def _threshold_check(petition: Petition, now: datetime) -> None:
    """Up one level for each office whose threshold the signatures meet."""
    while petition.status == OPEN:
        above = office_above(petition.office)
        if above is None or not _threshold_reached(petition):
            return
        if _escalate(petition=petition, to_office=above, reason=Escalation.Reason.THRESHOLD, now=now) is None:
            return
        petition.refresh_from_db()


def _escalate(
    *, petition: Petition, to_office: Office, reason: str, now: datetime, due_by: datetime | None = None
) -> Escalation | None:
    """Readdress the petition from the office it was read with to `to_office`, if no one else did it first: one
    conditional UPDATE (the office unchanged, and for a deadline still due), then the Escalation row, whose unique
    constraint (one per petition and office left) holds against a second writer. Only the winner audits and
    notifies. None when another process got there first."""
    from_office = petition.office
    rows = Petition.objects.filter(pk=petition.pk, office_id=from_office.pk, status=OPEN)
    if due_by is not None:
        rows = rows.filter(due_at__lte=due_by)
    due_at = now + timedelta(days=rules_for(to_office).response_days)
    try:
        with transaction.atomic():
            if not rows.update(office=to_office, addressed_at=now, due_at=due_at):
                return None
            escalation = Escalation.objects.create(
                petition=petition, from_office=from_office, to_office=to_office, reason=reason, at=now
            )
    except IntegrityError:
        return None
    recorded = {
        "target": petition,
        "area": petition.unit,
        "before": {"office": from_office.pk, "due_at": petition.due_at, "title": petition.title},
        "after": {"office": to_office.pk, "due_at": due_at, "title": petition.title},
    }
    # Two literal actions, so that the audit table's source scan finds both.
    if reason == Escalation.Reason.THRESHOLD:
        audit_record(actor=None, action="petition.escalate_threshold", **recorded)
    else:
        audit_record(actor=None, action="petition.escalate_deadline", **recorded)
    petition.office, petition.due_at, petition.addressed_at = to_office, due_at, now
    told = _signer_users(petition) | set(users_of_office(to_office).values_list("user_id", flat=True))
    # A notification keeps plain values: the office by its name as written (Korean first, as the registry has it).
    office_name = to_office.name_ko or to_office.name_en
    notify(
        users=told,
        kind="petition_escalated",
        params={"title": petition.title, "office": office_name},
        link=petition_link(petition),
    )
    return escalation


def petitions_escalate_due(*, now: datetime | None = None) -> int:
    """Every open petition (recall petitions stay in their unit) whose office let its deadline pass goes up one level,
    if there is an office above; one at the top stays overdue. Safe to run twice, or from two processes at once:
    each petition is moved by a conditional UPDATE, in its own transaction. Returns how many went up."""
    now = now or timezone.now()
    due = (
        Petition.objects.filter(status=OPEN, due_at__lte=now)
        .exclude(subject=RECALL)
        .order_by("due_at", "id")
        .values_list("pk", "office_id")
    )
    moved = 0
    above_of: dict[int, Office | None] = {}
    for pk, office_id in list(due):
        if office_id not in above_of:
            above_of[office_id] = office_above(Office.objects.select_related("area").get(pk=office_id))
        above = above_of[office_id]
        if above is None:
            continue
        with transaction.atomic():
            petition = Petition.objects.select_related("office__area", "unit").get(pk=pk)
            if petition.office_id != office_id:  # moved since the list was read
                continue
            if _escalate(petition=petition, to_office=above, reason=Escalation.Reason.DEADLINE, now=now, due_by=now):
                moved += 1
    return moved


# The officers' daily digest ------------------------------------------------------------------------------------------


def petition_digest_send(*, now: datetime | None = None) -> int:
    """Tell each officer of an office with open petitions due within DIGEST_DAYS (or overdue) how many there are:
    once a day (the notification's dedupe key is the day). Returns how many officers were told."""
    now = now or timezone.now()
    day = timezone.localtime(now).date()
    key = f"petition-digest:{day.isoformat()}"
    per_office = (
        Petition.objects.filter(status=OPEN, due_at__lte=now + timedelta(days=DIGEST_DAYS))
        .values("office_id")
        .annotate(count=Count("id"))
    )
    per_user: dict[int, int] = {}
    for row in per_office:
        for user_id in users_of_office(Office(pk=row["office_id"])).values_list("user_id", flat=True):
            per_user[user_id] = per_user.get(user_id, 0) + row["count"]
    by_count: dict[int, set[int]] = {}
    for user_id, count in per_user.items():
        by_count.setdefault(count, set()).add(user_id)
    told = 0
    link = reverse("governance-petition-queue")
    for count, users in sorted(by_count.items()):
        try:
            with transaction.atomic():
                told += notify(users=users, kind="petition_digest", params={"count": count}, link=link, dedupe_key=key)
        except IntegrityError:  # another process told them first
            continue
    return told
