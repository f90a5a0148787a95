"""An office stops a campaign or a levy it (or an office below it) issued: suspends it, cancels it, or resumes a
suspension. One transaction does it all, or nothing:

1. duties changes the standing and cancels every open share in one statement (what was still owed is forgiven,
   never passed on); resuming a suspension restores exactly those shares. Stamps already issued stay valid, and
   entitlement rules that require the obligation's stamp count it as fulfilled while it is stopped.
2. Every open petition about it is answered (accepted) with the decision, which tells its signers (on suspending or
   cancelling; a resumption grants no petition, so open ones stay with their office). Complaints about an
   official's conduct that name it are not settled by stopping the duty and stay open, as do petitions already
   escalated above the deciding office.
3. Every household of the obligation's area is told through a directive from the obligation's office, in both
   languages with the reason, to acknowledge.
4. The accounts of the households with a share get a notification.

duties cannot know governance, so this module calls into duties, never the other way round."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inminban.audit.services import audit_record
from inminban.duties import services as duty_services
from inminban.duties.models import Campaign, Levy, Share, Standing

from . import petitions
from .models import Petition
from .notifications import notify, users_of_households

ACKNOWLEDGE_DAYS = 7  # the directive that announces the decision asks for acknowledgement within a week
NOTIFICATION_KINDS = {
    Standing.SUSPENDED: "obligation_suspended",
    Standing.CANCELLED: "obligation_cancelled",
    Standing.ACTIVE: "obligation_resumed",
}


def obligation_link(obligation: Campaign | Levy) -> str:
    return f"/{'campaigns' if isinstance(obligation, Campaign) else 'levies'}/{obligation.pk}/"


def _title_in(obligation: Campaign | Levy, language: str) -> str:
    korean, english = obligation.title_ko, obligation.title_en
    return (korean or english) if language == "ko" else (english or korean)


def _wording(obligation: Campaign | Levy, standing: str, reason: str, language: str) -> tuple[str, str]:
    """The directive's title and text (and the petitions' answer) in one language."""
    with translation.override(language):
        title = _title_in(obligation, language)
        office = (
            (obligation.office.name_ko or obligation.office.name_en)
            if language == "ko"
            else (obligation.office.name_en or obligation.office.name_ko)
        )
        if standing == Standing.SUSPENDED:
            heading = _("Suspended: %(title)s") % {"title": title}
            body = _(
                "%(office)s has suspended “%(title)s”. Until it is resumed, nothing more is asked of your household "
                "for it, and nobody else's share grows. Stamps already issued stay valid."
            )
        elif standing == Standing.CANCELLED:
            heading = _("Cancelled: %(title)s") % {"title": title}
            body = _(
                "%(office)s has cancelled “%(title)s”. Nothing more is asked of any household for it, and nobody "
                "else's share grows. Stamps already issued stay valid."
            )
        else:
            heading = _("In force again: %(title)s") % {"title": title}
            body = _(
                "%(office)s has resumed “%(title)s”. What your household still had to do when it was suspended is "
                "asked again."
            )
        text = body % {"office": office, "title": title} + "\n\n" + _("Reason: %(reason)s") % {"reason": reason}
    return heading, text


@transaction.atomic
def _standing_change(*, actor: User, obligation: Campaign | Levy, standing: str, reason: str) -> Campaign | Levy:
    # duties checks the office (the issuer or one above it), the reason and the move, and writes nothing otherwise.
    obligation = duty_services.obligation_standing_set(
        actor=actor, obligation=obligation, standing=standing, reason=reason
    )
    reason = obligation.standing_reason
    wording = {language: _wording(obligation, standing, reason, language) for language in ("ko", "en")}

    answered = []
    if standing != Standing.ACTIVE:
        answer = f"{wording['ko'][1]}\n\n{wording['en'][1]}"
        # Petitions asking about the obligation itself; a complaint about an official's conduct is not settled by
        # stopping the duty, and a petition already escalated beyond the deciding office stays with that office.
        about = petitions.petitions_about(obligation).filter(subject=Petition.Subject.OBLIGATION).order_by("pk")
        for petition in about:
            if petitions.may_respond(actor, petition):
                petitions.petition_respond(actor=actor, petition=petition, outcome="accepted", text=answer)
                answered.append(petition.pk)

    today = timezone.localdate()
    directive = duty_services.directive_issue(
        actor=actor,
        office=obligation.office,
        area=obligation.area,
        effective_on=today,
        due_on=today + timedelta(days=ACKNOWLEDGE_DAYS),
        requires_ack=True,
        title_ko=wording["ko"][0][:200],
        title_en=wording["en"][0][:200],
        text_ko=wording["ko"][1],
        text_en=wording["en"][1],
    )

    quota = {"quota__campaign": obligation} if isinstance(obligation, Campaign) else {"quota__levy": obligation}
    households = Share.objects.filter(**quota).values("household_id")
    told = notify(
        users=users_of_households(households),
        kind=NOTIFICATION_KINDS[standing],
        params={"title_ko": _title_in(obligation, "ko"), "title_en": _title_in(obligation, "en"), "reason": reason},
        link=obligation_link(obligation),
    )
    audit_record(
        actor=actor,
        action="obligation.decision_publish",
        target=obligation,
        area=obligation.area,
        after={
            "obligation": obligation.ref,
            "standing": standing,
            "directive": directive.pk,
            "petitions_answered": answered,
            "accounts_told": told,
        },
    )
    return obligation


def obligation_suspend(*, actor: User, obligation: Campaign | Levy, reason: str) -> Campaign | Levy:
    """Suspend a campaign or levy: open shares cancelled, petitions answered, households told."""
    return _standing_change(actor=actor, obligation=obligation, standing=Standing.SUSPENDED, reason=reason)


def obligation_cancel(*, actor: User, obligation: Campaign | Levy, reason: str) -> Campaign | Levy:
    """Cancel a campaign or levy for good (also from a suspension): as a suspension, but it cannot be resumed."""
    return _standing_change(actor=actor, obligation=obligation, standing=Standing.CANCELLED, reason=reason)


def obligation_resume(*, actor: User, obligation: Campaign | Levy, reason: str) -> Campaign | Levy:
    """Resume a suspended campaign or levy: the shares its suspension cancelled are owed again."""
    return _standing_change(actor=actor, obligation=obligation, standing=Standing.ACTIVE, reason=reason)


STANDING_SERVICES = {
    Standing.SUSPENDED: obligation_suspend,
    Standing.CANCELLED: obligation_cancel,
    Standing.ACTIVE: obligation_resume,
}


def obligation_standing_set(*, actor: User, obligation: Campaign | Levy, standing: str, reason: str):
    """The API's and the page's one entry: `standing` as a value of duties' Standing."""
    service = STANDING_SERVICES.get(standing)
    if service is None:
        # duties names the allowed values (and checks the office first, so an outsider still gets a 404).
        return duty_services.obligation_standing_set(
            actor=actor, obligation=obligation, standing=standing, reason=reason
        )
    return service(actor=actor, obligation=obligation, reason=reason)
