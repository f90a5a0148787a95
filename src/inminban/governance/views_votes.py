"""Pages: consent votes. Thin: scoping in vote_selectors, rules in votes.

An officer nominates a resident of a unit (picked by name) and enters the tally sheets of unit meetings; a resident
votes on a phone with three big buttons, confirms, and is told that their household has voted (never what); once
the vote closes, everyone of the unit sees the result in words and as a bar chart."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from inminban.areas.access import MANAGE_AREAS, can, require_any, scope_for
from inminban.areas.selectors import units_visible
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.web.charts import bar_chart
from inminban.web.decorators import page
from inminban.web.forms import Form, apply_service, date_field, text_field

from . import vote_selectors as selectors
from . import votes
from .models import Choice, ConsentVote, Electorate
from .rules import rules_for

# Forms ---------------------------------------------------------------------------------------------------------------


class NominationForm(Form):
    nominee = forms.TypedChoiceField(label=gettext_lazy("Nominee"), coerce=int)
    statement = forms.CharField(
        label=gettext_lazy("Why this person"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("The unit's residents read this before they vote. At most 2000 characters."),
    )
    opens_on = date_field(gettext_lazy("Voting starts"))
    closes_on = date_field(gettext_lazy("Last day of voting"), help_text=gettext_lazy("Voting ends that night."))

    def __init__(self, *args, residents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nominee"].choices = [("", _("Choose a person"))] + [
            (p.pk, f"{p.full_name} ({p.birth_date.year})") for p in residents
        ]


class BallotForm(Form):
    choice = forms.ChoiceField(
        label=gettext_lazy("Your household's vote"),
        choices=[
            (Choice.YES, gettext_lazy("Yes, I agree")),
            (Choice.NO, gettext_lazy("No, I do not agree")),
            (Choice.ABSTAIN, gettext_lazy("I abstain")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose one of the three answers.")},
    )


class PaperTallyForm(Form):
    sheet_number = text_field(gettext_lazy("Tally sheet number"))
    yes = forms.IntegerField(label=gettext_lazy("Yes"), min_value=0, initial=0)
    no = forms.IntegerField(label=gettext_lazy("No"), min_value=0, initial=0)
    abstain = forms.IntegerField(label=gettext_lazy("Abstain"), min_value=0, initial=0)
    households = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Households counted at the meeting"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, households=(), label_households=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["households"].choices = [(h.pk, h.label) for h in households]
        if not label_households:
            self.fields["households"].label = _("Adults counted at the meeting")


class WithdrawForm(Form):
    reason = forms.CharField(
        label=gettext_lazy("Why the vote is withdrawn"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


# Helpers -------------------------------------------------------------------------------------------------------------


def _is_office(actor, vote_or_unit) -> bool:
    unit = vote_or_unit.unit if isinstance(vote_or_unit, ConsentVote) else vote_or_unit
    return can(actor, MANAGE_AREAS, unit)


def _subject(vote: ConsentVote) -> str:
    if vote.kind == ConsentVote.Kind.RECALL:
        leader = vote.leader_assignment
        name = leader.person.full_name if leader and leader.person_id else ""
        return _("Recall of the leader %(name)s") % {"name": name} if name else _("Recall of the leader")
    return _("%(name)s as unit leader") % {"name": vote.nomination.nominee.full_name}


def _refusal_text(actor, vote: ConsentVote) -> str:
    """Why this person cannot vote here, in words; empty when they can or are no voter of the unit."""
    if not selectors.is_open(vote):
        return ""
    try:
        refusal = votes.ballot_refusal(actor, vote)
    except (NotVisible, NotPermitted):
        return ""
    return refusal.translated() if refusal is not None else ""


def _chart(vote: ConsentVote, result) -> str:
    bars = [
        (_("Yes"), result.total.yes, _("Yes: %(count)s") % {"count": result.total.yes}),
        (_("No"), result.total.no, _("No: %(count)s") % {"count": result.total.no}),
        (_("Abstain"), result.total.abstain, _("Abstain: %(count)s") % {"count": result.total.abstain}),
        (
            _("Did not vote"),
            max(result.electorate_size - result.ballots, 0),
            _("Did not vote: %(count)s") % {"count": max(result.electorate_size - result.ballots, 0)},
        ),
    ]
    return bar_chart(
        chart_id=f"vote-{vote.pk}-result",
        title=_("How the unit voted"),
        bars=bars,
        description=_("%(ballots)s ballots of %(size)s; %(yes)s yes, %(no)s no, %(abstain)s abstaining.")
        % {
            "ballots": result.ballots,
            "size": result.electorate_size,
            "yes": result.total.yes,
            "no": result.total.no,
            "abstain": result.total.abstain,
        },
    )


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _household_choices(vote: ConsentVote) -> list:
    """The households of the unit that have not voted yet, labelled for the tally sheet form (none when adults vote:
    the page enters household tallies only)."""
    if vote.electorate == Electorate.ADULT:
        return []
    rows = list(selectors.households_yet_to_vote(vote=vote))
    for row in rows:
        row.label = f"{row.number} · {row.head.full_name}" if row.head_id else row.number
    return rows


# Pages ---------------------------------------------------------------------------------------------------------------


@page
def vote_list(request):
    actor = request.user
    rows = list(selectors.votes_visible(actor=actor).order_by("-opens_at", "-id")[:100])
    items = [
        {
            "vote": vote,
            "subject": _subject(vote),
            "open": selectors.is_open(vote),
            "may_vote": selectors.may_vote(actor=actor, vote=vote),
            "voted": selectors.household_has_voted(actor=actor, vote=vote),
            "result": selectors.vote_result(vote),
        }
        for vote in rows
    ]
    scope = scope_for(actor)
    context = {"items": items, "may_nominate": scope.is_admin or bool(scope.prefixes(MANAGE_AREAS))}
    return render(request, "governance/votes/list.html", context)


@page
@require_http_methods(["GET", "POST"])
def nominate(request):
    actor = request.user
    require_any(actor, MANAGE_AREAS)
    units = [u for u in units_visible(actor=actor).order_by("path")[:500] if can(actor, MANAGE_AREAS, u)]
    code = request.POST.get("unit") or request.GET.get("unit")
    unit = next((u for u in units if u.code == code), None) if code else None
    if unit is None:
        return render(request, "governance/votes/nominate_unit.html", {"units": units, "asked": bool(code)})
    residents = list(selectors.unit_residents(actor=actor, unit=unit))
    rules = rules_for(votes.district_office(unit))
    today = timezone.localdate()
    initial = {"opens_on": today, "closes_on": today + timedelta(days=rules.window_days - 1)}
    form = NominationForm(request.POST or None, residents=residents, initial=initial)
    status = 200
    if request.method == "POST":
        done = {}
        if form.is_valid():
            data = form.cleaned_data
            nominee = next(p for p in residents if p.pk == data["nominee"])

            def create():
                opens_on, closes_on = data["opens_on"], data["closes_on"]
                opens_at = timezone.now() if opens_on <= today else _start_of(opens_on)
                if opens_on < today:
                    raise DomainError("opens_on", _("The vote cannot start in the past."))
                done["nomination"] = votes.nomination_create(
                    actor=actor,
                    unit=unit,
                    nominee=nominee,
                    statement=data["statement"],
                    opens_at=opens_at,
                    closes_at=_start_of(closes_on + timedelta(days=1)),
                )

            if apply_service(form, create, fields={"opens_at": "opens_on", "closes_at": "closes_on"}):
                messages.success(request, _("The nomination is made and the unit's vote is open."))
                return redirect("governance-vote", done["nomination"].vote.pk)
        status = 422
    context = {"form": form, "unit": unit, "rules": rules}
    return render(request, "governance/votes/nominate.html", context, status=status)


def _detail_context(actor, vote: ConsentVote, **forms_given) -> dict:
    result = selectors.vote_result(vote)
    office = _is_office(actor, vote)
    open_now = selectors.is_open(vote)
    participated = selectors.participation_count(vote)
    context = {
        "vote": vote,
        "subject": _subject(vote),
        "nomination": vote.nomination,
        "result": result,
        "chart": _chart(vote, result) if result else "",
        "open": open_now,
        "not_yet": vote.status == ConsentVote.Status.OPEN and timezone.now() < vote.opens_at,
        "ended": vote.status == ConsentVote.Status.OPEN and timezone.now() >= vote.closes_at,
        "participated": participated,
        "turnout": selectors.percent(participated, vote.electorate_size),
        "voted": selectors.household_has_voted(actor=actor, vote=vote),
        "may_vote": selectors.may_vote(actor=actor, vote=vote),
        "refusal": _refusal_text(actor, vote),
        "by_adult": vote.electorate == Electorate.ADULT,
        "office": office,
        "tallies": list(selectors.paper_tallies(actor=actor, vote=vote)) if office or result else [],
        "paper_form": None,
        "withdraw_form": None,
    }
    if office and vote.status == ConsentVote.Status.OPEN:
        nominated_by_me = vote.nomination is not None and vote.nomination.nominated_by_id == actor.pk
        if open_now and not nominated_by_me and vote.electorate == Electorate.HOUSEHOLD:
            context["paper_form"] = forms_given.get("paper_form") or PaperTallyForm(
                households=_household_choices(vote), auto_id="id_paper-%s"
            )
        context["withdraw_form"] = forms_given.get("withdraw_form") or WithdrawForm(auto_id="id_withdraw-%s")
    return context


@page
@require_http_methods(["GET", "POST"])
def vote_detail(request, vote_id: int):
    actor = request.user
    vote = selectors.vote_detail(actor=actor, pk=vote_id)
    status = 200
    forms_given = {}
    if request.method == "POST":
        require_any(actor, MANAGE_AREAS)
        action = request.POST.get("action")
        if action == "close":
            try:
                votes.vote_close(actor=actor, vote=vote)
            except DomainError as error:
                messages.error(request, error.translated())
            else:
                messages.success(request, _("The vote is closed and its result published."))
            return redirect("governance-vote", vote.pk)
        if action == "paper":
            choices = _household_choices(vote)
            form = PaperTallyForm(request.POST, households=choices, auto_id="id_paper-%s")
            if form.is_valid():
                data = form.cleaned_data
                listed = {h.pk: h for h in choices}

                def enter():
                    votes.paper_tally_enter(
                        actor=actor,
                        vote=vote,
                        sheet_number=data["sheet_number"],
                        yes=data["yes"],
                        no=data["no"],
                        abstain=data["abstain"],
                        households=[listed[pk] for pk in data["households"] if pk in listed],
                    )

                if apply_service(form, enter, fields={"vote": None}):
                    messages.success(request, _("The tally sheet is entered."))
                    return redirect("governance-vote", vote.pk)
            forms_given["paper_form"] = form
        elif action == "withdraw":
            form = WithdrawForm(request.POST, auto_id="id_withdraw-%s")
            if form.is_valid():
                if apply_service(
                    form,
                    lambda: votes.vote_withdraw(actor=actor, vote=vote, reason=form.cleaned_data["reason"]),
                    fields={"vote": None},
                ):
                    messages.success(request, _("The vote is withdrawn; the unit is told why."))
                    return redirect("governance-vote", vote.pk)
            forms_given["withdraw_form"] = form
        else:
            raise NotVisible("unknown action")
        status = 422
    vote = selectors.vote_detail(actor=actor, pk=vote_id)
    return render(request, "governance/votes/detail.html", _detail_context(actor, vote, **forms_given), status=status)


@page
@require_http_methods(["GET", "POST"])
def ballot(request, vote_id: int):
    """Choose, confirm, done: the choice is shown back once, on the confirmation, and never again."""
    actor = request.user
    vote = selectors.vote_detail(actor=actor, pk=vote_id)
    if not selectors.may_vote(actor=actor, vote=vote):
        return redirect("governance-vote", vote.pk)
    form = BallotForm(request.POST or None)
    context = {"vote": vote, "subject": _subject(vote), "form": form, "nomination": vote.nomination}
    context["by_adult"] = vote.electorate == Electorate.ADULT
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "governance/votes/ballot.html", context, status=422)
        choice = form.cleaned_data["choice"]
        if request.POST.get("step") != "confirm":
            context["choice"] = choice
            context["choice_label"] = dict(form.fields["choice"].choices)[choice]
            return render(request, "governance/votes/confirm.html", context)
        try:
            votes.ballot_cast(actor=actor, vote=vote, choice=choice)
        except DomainError as error:
            messages.error(request, error.translated())
            return redirect("governance-vote", vote.pk)
        messages.success(
            request,
            _("You have voted. Thank you.") if context["by_adult"] else _("Your household has voted. Thank you."),
        )
        return redirect("governance-vote", vote.pk)
    return render(request, "governance/votes/ballot.html", context)


urlpatterns = [
    path("votes/", vote_list, name="governance-votes"),
    path("votes/nominate/", nominate, name="governance-nominate"),
    path("votes/<int:vote_id>/", vote_detail, name="governance-vote"),
    path("votes/<int:vote_id>/ballot/", ballot, name="governance-ballot"),
]
