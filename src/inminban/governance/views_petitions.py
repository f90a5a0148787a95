"""Pages: petitions. Thin: scoping in the selectors, rules in the services.

A resident, on a phone, sees the petitions of their district they can co-sign (one button to sign, one to take the
signature back), their own, and a form to start one; the petition's page says in words where it is, by when the
office answers, how many households signed, the answer, and where it went. The office works through its queue,
nearest deadline first, and answers on the petition's page; the city sees what came up from its districts grouped by
what it is about. No retaliation: only the addressed offices, auditors and administrators see who signed; a unit
leader's pages show counts."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from inminban.areas.access import scope_for
from inminban.areas.models import Role
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.web.decorators import page
from inminban.web.forms import Form, apply_service, text_field

from . import petition_selectors as selectors
from . import petitions
from .models import Petition

SUBJECT_WORDS = [
    ("obligation", gettext_lazy("A duty we were given: a labour campaign, a levy or a directive")),
    ("conduct", gettext_lazy("How an official behaved")),
    ("general", gettext_lazy("Something else about our neighbourhood")),
    ("recall", gettext_lazy("Recall our unit leader")),
]
OUTCOME_WORDS = [
    ("accepted", gettext_lazy("Accepted: the office will do what is asked")),
    ("partly", gettext_lazy("Partly accepted")),
    ("rejected", gettext_lazy("Rejected, with the reasons")),
]


# Forms ---------------------------------------------------------------------------------------------------------------


class PetitionForm(Form):
    subject = forms.ChoiceField(
        label=gettext_lazy("What is it about?"), choices=SUBJECT_WORDS, widget=forms.RadioSelect
    )
    obligation = forms.ChoiceField(
        label=gettext_lazy("Which duty?"),
        required=False,
        help_text=gettext_lazy("Only when the petition is about a duty."),
    )
    official_name = text_field(
        gettext_lazy("Which official?"), help_text=gettext_lazy("Only when the petition is about an official.")
    )
    title = text_field(gettext_lazy("In a few words"), help_text=gettext_lazy("For example: Fix the village well"))
    text = forms.CharField(
        label=gettext_lazy("What do you ask for, and why?"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args, obligations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.obligations = {key: obj for key, obj, _label in obligations}
        self.fields["obligation"].choices = [("", _("— choose —"))] + [(key, label) for key, _o, label in obligations]


class ResponseForm(Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("The office's answer"), choices=OUTCOME_WORDS, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=gettext_lazy("The answer and its reasons, as the signers will read it"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


def _obligations(actor) -> list[tuple[str, object, str]]:
    """The duties of the resident's area a petition may be about: (key, object, name), the newest first."""
    from inminban.duties import selectors as duties

    choices = []
    for kind, visible, label in (
        ("campaign", duties.campaigns_visible, _("Labour campaign")),
        ("levy", duties.levies_visible, _("Levy")),
        ("directive", duties.directives_visible, _("Directive")),
    ):
        for obj in visible(actor=actor)[:30]:
            choices.append((f"{kind}:{obj.pk}", obj, f"{obj.title} ({label})"))
    return choices


# Pages ---------------------------------------------------------------------------------------------------------------


def _role_of(actor) -> str:
    scope = scope_for(actor)
    if scope.household_ids:
        return "resident"
    if scope.is_admin or Role.AUDITOR in scope.roles:
        return "auditor"
    if Role.OFFICER in scope.roles:
        return "officer"
    if Role.LEADER in scope.roles:
        return "leader"
    raise NotVisible("no petitions")


@page
def petition_list(request):
    actor = request.user
    role = _role_of(actor)
    context = {"role": role, "now": timezone.now()}
    if role == "resident":
        context["to_sign"] = list(selectors.petitions_to_sign(actor=actor)[:100])
        own = selectors.own_petitions(actor=actor).exclude(pk__in=[p.pk for p in context["to_sign"]])
        context["own"] = list(own[:100])
    else:
        context["petitions"] = list(selectors.petitions_visible(actor=actor).order_by("-opened_at", "-id")[:200])
        context["may_queue"] = role == "officer" or scope_for(actor).is_admin
    return render(request, "governance/petitions/list.html", context)


@page
@require_http_methods(["GET", "POST"])
def petition_new(request):
    actor = request.user
    if petitions.resident_household(actor) is None:
        raise NotPermitted("only residents open petitions")
    obligations = _obligations(actor)
    form = PetitionForm(request.POST or None, obligations=obligations, initial={"subject": "general"})
    status = 200
    if request.method == "POST":
        done = {}
        if form.is_valid():
            data = form.cleaned_data
            chosen = {}
            if data["subject"] == "obligation" and data["obligation"]:
                kind = data["obligation"].partition(":")[0]
                chosen[kind] = form.obligations[data["obligation"]]

            def open_it():
                if data["subject"] == "obligation" and not chosen:
                    raise DomainError("obligation", _("Choose the duty the petition is about."))
                done["petition"] = petitions.petition_open(
                    actor=actor,
                    subject=data["subject"],
                    title=data["title"],
                    text=data["text"],
                    official_name=data["official_name"] if data["subject"] == "conduct" else "",
                    **chosen,
                )

            fields = {"campaign": "obligation", "levy": "obligation", "directive": "obligation"}
            if apply_service(form, open_it, fields=fields):
                messages.success(request, _("Your petition is open. Your household has signed it."))
                return redirect("governance-petition", done["petition"].pk)
        status = 422
    return render(request, "governance/petitions/new.html", {"form": form}, status=status)


def _detail_context(actor, petition: Petition, form=None) -> dict:
    household = petitions.resident_household(actor)
    signed = selectors.own_signature(actor=actor, petition=petition) is not None
    sees_signers = selectors.may_see_signers(actor, petition)
    may_respond = petition.status == Petition.Status.OPEN and petitions.may_respond(actor, petition)
    return {
        "petition": petition,
        "obligation": petition.campaign or petition.levy or petition.directive,
        "response": selectors.response_of(petition),
        "escalations": list(selectors.escalations_of(petition)),
        "overdue": selectors.is_overdue(petition),
        "resident": household is not None,
        "signed": signed,
        "mine": selectors.is_own(actor, petition),
        "may_sign": household is not None
        and not signed
        and petition.status == Petition.Status.OPEN
        and petitions.may_sign_in(petition, household),
        "unit_counts": selectors.unit_counts(petition) if selectors.may_see_unit_counts(actor) else None,
        "signers": list(selectors.petition_signatures(actor=actor, petition=petition)) if sees_signers else None,
        "opener": petition.household if sees_signers else None,
        "form": (form or ResponseForm()) if may_respond else None,
        "recall_vote": getattr(petition, "recall_vote", None) if petition.subject == "recall" else None,
    }


@page
@require_http_methods(["GET", "POST"])
def petition_detail(request, petition_id):
    actor = request.user
    petition = selectors.petition_detail(actor=actor, pk=petition_id)
    form, status = None, 200
    if request.method == "POST":
        if not petitions.may_respond(actor, petition):
            raise NotPermitted("only the addressed office answers")
        form = ResponseForm(request.POST)
        if form.is_valid():

            def answer():
                petitions.petition_respond(
                    actor=actor, petition=petition, outcome=form.cleaned_data["outcome"], text=form.cleaned_data["text"]
                )

            if apply_service(form, answer, fields={"petition": None}):
                messages.success(request, _("The answer is published to every household that signed."))
                return redirect("governance-petition", petition.pk)
        status = 422
    context = _detail_context(actor, petition, form)
    return render(request, "governance/petitions/detail.html", context, status=status)


def _back(request, petition_id):
    target = request.POST.get("next", "")
    if target == "list":
        return redirect("governance-petitions")
    return redirect("governance-petition", petition_id)


@page
@require_POST
def petition_sign_page(request, petition_id):
    actor = request.user
    petition = selectors.petition_detail(actor=actor, pk=petition_id)
    try:
        petitions.petition_sign(actor=actor, petition=petition)
    except DomainError as error:
        messages.error(request, error.translated())
    else:
        messages.success(request, _("Your household signed the petition."))
    return _back(request, petition_id)


@page
@require_POST
def petition_withdraw_page(request, petition_id):
    actor = request.user
    petition = selectors.petition_detail(actor=actor, pk=petition_id)
    try:
        petitions.signature_withdraw(actor=actor, petition=petition)
    except DomainError as error:
        messages.error(request, error.translated())
    else:
        messages.success(request, _("Your household's signature is withdrawn."))
    return _back(request, petition_id)


@page
def petition_queue(request):
    actor = request.user
    scope = scope_for(actor)
    if not (scope.is_admin or Role.OFFICER in scope.roles):
        raise NotVisible("no queue")
    now = timezone.now()
    rows = selectors.petition_queue(actor=actor).select_related("office")
    items = [{"petition": p, "overdue": selectors.is_overdue(p, now)} for p in rows[:200]]
    return render(request, "governance/petitions/queue.html", {"items": items})


@page
def petition_groups(request):
    groups = selectors.petition_groups(actor=request.user)
    return render(request, "governance/petitions/groups.html", {"groups": groups})


urlpatterns = [
    path("petitions/", petition_list, name="governance-petitions"),
    path("petitions/new/", petition_new, name="governance-petition-new"),
    path("petitions/queue/", petition_queue, name="governance-petition-queue"),
    path("petitions/groups/", petition_groups, name="governance-petition-groups"),
    path("petitions/<int:petition_id>/", petition_detail, name="governance-petition"),
    path("petitions/<int:petition_id>/sign/", petition_sign_page, name="governance-petition-sign"),
    path("petitions/<int:petition_id>/withdraw/", petition_withdraw_page, name="governance-petition-withdraw"),
]
